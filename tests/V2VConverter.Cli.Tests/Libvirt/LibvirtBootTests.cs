using System.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// Issue 12's proof by booting: the fixture guest (a VMware-style Debian whose fstab says /dev/sda and whose initramfs
/// has no virtio) converted with <c>-o libvirt -os POOL --start</c> boots on the test libvirtd (TCG: a qemu domain),
/// its serial console logged to a file; the guest prints V2V-BOOT-OK and, once DHCP from the libvirt network
/// answered, V2V-NET-OK. The guest was converted before the copy, over NBD, on a copy-on-write view of the source.
/// </summary>
[Trait("Category", "Boot")]
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtBootTests
{
    [Fact]
    public void The_fixture_guest_converted_into_a_pool_boots_with_its_network()
    {
        var host = LibvirtHost.Require();
        if (RepoPaths.Shared is null)
        {
            Assert.Skip("../shared is not present; the boot proof needs ../shared/fixtures");
        }

        var fixture = Tool.Run("bash", [Path.Combine(RepoPaths.Root, "tests", "deps", "setup.d", "guest-fixture.sh"), "plain"], timeoutMs: 3_600_000);
        Assert.True(fixture.ExitCode == 0, fixture.All);
        var folder = fixture.StdOut.Trim().Split('\n').Last().Trim();
        var vmdk = Path.Combine(folder, "guest.vmdk");
        var before = FileHash.Sha256(vmdk);

        var dir = RepoPaths.NewTempDir("v2v-libvirt-boot");
        var name = $"v2vt-boot-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            // The fixture's .vmx under a name of this test's own, its disk beside it as the .vmx names it.
            var vmx = Path.Combine(dir, "guest.vmx");
            File.WriteAllLines(vmx, File.ReadAllLines(Path.Combine(folder, "guest.vmx"))
                .Where(l => !l.StartsWith("uuid.", StringComparison.Ordinal))
                .Select(l => l.StartsWith("displayName", StringComparison.Ordinal) ? $"displayName = \"{name}\"" : l));
            foreach (var f in Directory.GetFiles(folder, "*.vmdk"))
            {
                File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(f)), f);
            }

            // Each serial port goes to a log file (virtlogd writes it; serial0 is the console); everything else is the shipped templates.
            var templates = Path.Combine(dir, "templates");
            CopyTree(Path.Combine(RepoPaths.Root, "templates"), templates);
            var log = Path.Combine(dir, "serial0.log");
            var serial = File.ReadAllText(Path.Combine(templates, "devices", "serial.xml"));
            File.WriteAllText(Path.Combine(templates, "devices", "serial.xml"), serial.Replace("  <target port=", $"  <log file=\"{dir}/serial{{{{index}}}}.log\" append=\"off\"/>\n  <target port=", StringComparison.Ordinal));

            var r = CliRunner.Run(dir, new Dictionary<string, string?> { ["HOME"] = dir },
                "convert", vmx, "-o", "libvirt", "-oc", host.LocalUri, "-os", host.DirPool, "--start",
                "--network", host.NetworkName, "--templates", templates, "--allow-absolute-extents",
                "--set", "devices:domain:rules:default:type=qemu");
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.DoesNotContain("compatibility", r.Err, StringComparison.Ordinal);
            Assert.Contains("(started)", r.Err, StringComparison.Ordinal);
            Assert.Equal("running", host.CheckVirsh(host.LocalUri, "domstate", name).Trim());

            var sw = Stopwatch.StartNew();
            var text = "";
            while (sw.Elapsed < TimeSpan.FromSeconds(420) && !text.Contains("V2V-NET-OK", StringComparison.Ordinal) && host.CheckVirsh(host.LocalUri, "domstate", name).Trim() == "running")
            {
                Thread.Sleep(2000);
                text = File.Exists(log) ? File.ReadAllText(log) : "";
            }

            text = File.Exists(log) ? File.ReadAllText(log) : ""; // the guest may power itself off once it has reported

            Assert.True(text.Contains("V2V-BOOT-OK", StringComparison.Ordinal), $"no V2V-BOOT-OK after {sw.Elapsed.TotalSeconds:F0} s:\n{Tail(text)}\n{r.Err}");
            Assert.True(text.Contains("V2V-NET-OK", StringComparison.Ordinal), $"no V2V-NET-OK after {sw.Elapsed.TotalSeconds:F0} s:\n{Tail(text)}");
            Assert.Contains("root=/dev/vda1", text, StringComparison.Ordinal);
            Assert.Equal(before, FileHash.Sha256(vmdk)); // the source is never written: the guest's changes went to the overlay
        }
        finally
        {
            host.Virsh(host.LocalUri, "destroy", name);
            host.Virsh(host.LocalUri, "undefine", name, "--nvram");
            foreach (var line in host.CheckVirsh(host.LocalUri, "vol-list", "--pool", host.DirPool).Split('\n'))
            {
                var vol = line.Trim().Split(' ', 2)[0];
                if (vol.StartsWith(name, StringComparison.Ordinal))
                {
                    host.Virsh(host.LocalUri, "vol-delete", "--pool", host.DirPool, vol);
                }
            }

            Directory.Delete(dir, true);
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(25));

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
    }
}
