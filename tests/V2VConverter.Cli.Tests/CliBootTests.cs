using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 6's proof by booting, end to end through the CLI: the fixture guest (../shared/fixtures,
/// built once and cached by tests/deps/setup.d/guest-fixture.sh) is converted with
/// <c>convert guest.vmx -o local -os OUT</c> and booted with <c>boot-check.sh --domain-xml OUT/NAME.xml</c>.
/// </summary>
[Trait("Category", "Boot")]
public sealed class CliBootTests
{
    /// <summary>
    /// The plain variant with the default UUID= naming, and the harder pinned variant (GRUB_DISABLE_LINUX_UUID=true in
    /// /etc/default/grub, so grub keeps device names) with <c>--fstab-style vd</c>: vda1 written over the appliance's sda1.
    /// </summary>
    [Theory]
    [InlineData("plain", "uuid")]
    [InlineData("pinned", "vd")]
    public void Converted_fixture_boots_on_virtio_with_its_network(string variant, string naming)
    {
        Tool.Require("qemu-system-x86_64");
        Tool.Require("xmllint");
        var fixture = LinuxGuestFixture.Require(variant);
        var vmx = Path.Combine(fixture, "guest.vmx");
        var vmdk = Path.Combine(fixture, "guest.vmdk");
        var before = FileHash.Sha256(vmdk);
        var outDir = RepoPaths.NewTempDir("v2v-boot");
        try
        {
            var env = new Dictionary<string, string?> { ["HOME"] = outDir };
            var r = CliRunner.Run(outDir, env, "convert", vmx, "-o", "local", "-os", outDir, "--fstab-style", naming);
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.DoesNotContain("compatibility", r.Err);
            using (var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(outDir, "*.report.json").Single())))
            {
                var fstab = report.RootElement.GetProperty("guest").GetProperty("fixups").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "fstab")
                    .GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "/etc/fstab");
                var after = fstab.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("after").GetString()).ToList();
                Assert.Contains(after, l => l!.StartsWith(naming == "vd" ? "/dev/vda1 " : "UUID=5a1e0001-0f10-4d65-9bd6-000000000001 ", StringComparison.Ordinal));
            }

            var xml = Directory.GetFiles(outDir, "*.xml").Single();
            XmlValidator.AssertValidDomain(File.ReadAllText(xml), "converted fixture");
            var boot = Tool.Run("bash", [Path.Combine(RepoPaths.Shared!, "fixtures", "boot-check.sh"), "--domain-xml", xml, "--timeout", "300"], timeoutMs: 600_000);
            Assert.True(boot.ExitCode == 0, $"boot-check failed:\n{boot.All}\n{r.Err}");
            Assert.Contains("V2V-BOOT-OK", boot.All);
            Assert.Contains("root=/dev/vda1 data=/dev/vda2", boot.All);
            Assert.Contains("V2V-PROBE-NET config=ens160:up", boot.All);
            Assert.Contains("V2V-NET-OK", boot.All);
            Assert.Equal(before, FileHash.Sha256(vmdk)); // the source is never written
        }
        finally
        {
            Directory.Delete(outDir, true);
        }
    }

    [Fact]
    public void Inspect_guest_reads_the_source_disk_without_changing_it()
    {
        var fixture = LinuxGuestFixture.Require("plain");
        var vmdk = Path.Combine(fixture, "guest.vmdk");
        var before = FileHash.Sha256(vmdk);
        var r = CliRunner.Run(fixture, "inspect", Path.Combine(fixture, "guest.vmx"), "--guest", "--json");
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var text = doc.RootElement.GetProperty("guest").ToString();
        foreach (var expected in new[] { "debian", "x86_64", "initramfs-tools", "ens160", "open-vm-tools" })
        {
            Assert.Contains(expected, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal(before, FileHash.Sha256(vmdk));
    }
}
