using System.Globalization;
using V2VConverter.Guest.Access;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>
/// A host whose KVM passes the probe but whose guests hang (nested virtualization) is simulated without the host's
/// KVM: the appliance's QEMU is a wrapper (libguestfs set_hv) that says KVM is present when libguestfs asks, and
/// starts the KVM launch paused (<c>-S</c>, under TCG), so it never boots. The TCG retry goes through unchanged.
/// </summary>
[Collection("guest appliance")]
public sealed class KvmDeadlineTests
{
    private const string Qemu = "/usr/bin/qemu-system-x86_64";

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_kvm_launch_that_hangs_is_stopped_at_its_deadline_and_retried_with_tcg()
    {
        Tool.Require("qemu-img");
        Tool.Require("guestfish");
        Tool.Require(Qemu);
        var dir = RepoPaths.NewTempDir("v2v-kvm-hang");
        try
        {
            var disk = Path.Combine(dir, "blank.qcow2");
            Tool.Check("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M");
            var pidFile = Path.Combine(dir, "paused-qemu.pid");
            var wrapper = WriteHangingKvmWrapper(dir, pidFile);
            var memory = Path.Combine(dir, "kvm-launch-hung");
            var log = new List<string>();
            var launch = new ApplianceLaunch { Accelerator = ApplianceAccelerator.Kvm, KvmDeadline = TimeSpan.FromSeconds(3), Hypervisor = wrapper, HangMemoryPath = memory };

            using (var session = GuestfsSession.Launch([new ApplianceDisk(disk, "qcow2", ReadOnly: true)], launch, new TestLog(log.Add).Logger, TestContext.Current.CancellationToken))
            {
                Assert.Equal("tcg", session.Accelerator);
                Assert.Equal(["/dev/sda"], session.ListDevices());
            }

            Assert.Contains(log, l => l.Contains("the KVM launch did not finish within 3 s", StringComparison.Ordinal) && l.Contains("retrying with TCG", StringComparison.Ordinal));
            Assert.Equal(1, log.Count(l => l.StartsWith("appliance: launched with TCG", StringComparison.Ordinal)));

            // The paused QEMU was really started, and it is gone (killed, not left to libguestfs's 20 minutes).
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            Assert.False(IsRunning(pid), $"the paused QEMU (pid {pid}) is still running");

            // A hang through a wrapper says nothing about the host's KVM: it is not remembered.
            Assert.False(File.Exists(memory));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_hang_remembered_on_this_boot_sends_later_automatic_launches_to_tcg()
    {
        var dir = RepoPaths.NewTempDir("v2v-kvm-memory");
        try
        {
            var memory = Path.Combine(dir, "cache", "kvm-launch-hung");
            var log = new List<string>();
            Assert.Null(KvmHangMemory.Recalled(memory));

            KvmHangMemory.Remember(memory, "the KVM launch did not finish within 60 s", new TestLog(log.Add).Logger);
            Assert.Equal("the KVM launch did not finish within 60 s", KvmHangMemory.Recalled(memory));

            var auto = new ApplianceLaunch { HangMemoryPath = memory };
            Assert.False(GuestfsSession.ChooseKvm(auto, "", ownHypervisor: false, memory, new TestLog(log.Add).Logger));
            Assert.Contains(log, l => l.Contains("a KVM launch hung earlier on this boot", StringComparison.Ordinal));

            // Asking for KVM explicitly still tries it; so does a launch through another QEMU.
            Assert.True(GuestfsSession.ChooseKvm(auto with { Accelerator = ApplianceAccelerator.Kvm }, "", ownHypervisor: false, memory, new TestLog(log.Add).Logger));
            Assert.DoesNotContain(log.Skip(2), l => l.Contains("hung earlier", StringComparison.Ordinal));

            // Another boot's memory is forgotten.
            File.WriteAllLines(memory, ["00000000-0000-0000-0000-000000000000", "old"]);
            Assert.Null(KvmHangMemory.Recalled(memory));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The wrapper: for libguestfs's capability queries (<c>-qmp stdio</c>) it reports KVM enabled and present; a
    /// launch with <c>accel=kvm</c> runs under TCG, paused, after writing its PID; anything else runs as asked.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string WriteHangingKvmWrapper(string dir, string pidFile)
    {
        var path = Path.Combine(dir, "qemu-kvm-hangs");
        File.WriteAllText(path, $$"""
            #!/bin/bash
            qemu={{Qemu}}
            case " $* " in
              *" -qmp stdio "*)
                "$qemu" "$@" | sed -e 's/"enabled": *false/"enabled": true/' -e 's/"present": *false/"present": true/'
                exit "${PIPESTATUS[0]}" ;;
              *accel=kvm*)
                args=()
                for a in "$@"; do args+=("${a//accel=kvm/accel=tcg}"); done
                echo $$ > '{{pidFile}}'
                exec "$qemu" -S "${args[@]}" ;;
            esac
            exec "$qemu" "$@"

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>True while /proc/PID exists and is not a zombie.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
