using V2VConverter.Guest.Access;
using V2VConverter.TestSupport;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Tests.Integration;

[Collection("guest appliance")]
public sealed class ApplianceTests
{
    /// <summary>
    /// A disk without an operating system must give compatibility mode, not an exception. The launch
    /// insists on KVM first (libguestfs force_kvm), which fails on this machine, so the converter must
    /// fall back to TCG by itself and say so.
    /// </summary>
    [Fact]
    public void Blank_disk_gives_compatibility_mode_and_a_failed_kvm_launch_falls_back_to_tcg()
    {
        Tool.Require("qemu-img");
        Tool.Require("guestfish");
        var dir = RepoPaths.NewTempDir("v2v-guest-blank");
        try
        {
            var disk = Path.Combine(dir, "blank.qcow2");
            Tool.Check("qemu-img", "create", "-q", "-f", "qcow2", disk, "64M");
            var log = new List<string>();
            var report = LinuxGuestConverter.Convert(disk, "qcow2", [("sda", "vda")], [], new GuestConversionOptions { Accelerator = ApplianceAccelerator.Kvm }, new TestLog(log.Add).Logger);

            Assert.True(report.CompatibilityMode);
            Assert.Contains("no operating system", report.CompatibilityReason, StringComparison.Ordinal);
            Assert.False(report.Succeeded);
            Assert.Empty(report.Fixups);
            Assert.Contains(log, l => l.Contains("compatibility mode", StringComparison.Ordinal));
            if (KvmProbe.Check().Usable)
            {
                // A working KVM launches; one that hangs (nested virtualization) is stopped at the deadline and retried with TCG.
                Assert.True(report.Accelerator == "kvm" || log.Any(l => l.Contains("did not finish within", StringComparison.Ordinal)), string.Join('\n', log));
            }
            else
            {
                Assert.Contains(log, l => l.Contains("launch with KVM failed", StringComparison.Ordinal) && l.Contains("falling back to TCG", StringComparison.Ordinal));
                Assert.Equal("tcg", report.Accelerator);
            }

            Assert.Equal(1, log.Count(l => l.StartsWith("appliance: launched", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Kvm_probe_gives_a_reason_when_kvm_is_unusable()
    {
        var (usable, reason) = KvmProbe.Check();
        Assert.True(usable || reason.Contains("/dev/kvm", StringComparison.Ordinal), reason);
    }

    [Fact]
    public void Missing_disk_is_an_error_before_any_launch()
    {
        Assert.Throws<FileNotFoundException>(() => GuestfsSession.Launch([new ApplianceDisk("/nonexistent/x.qcow2", "qcow2", false)], ApplianceAccelerator.Tcg, LogExtensions.None));
    }
}
