using System.Text.Json;
using V2VConverter.Cli.Tests.Libvirt;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// The fixture guest (a VMware-style Debian: fstab and grub say /dev/sda, no virtio in its initramfs) exported as
/// vSphere does (a streamOptimized VMDK, an OVF, a SHA256 manifest) and packed by the real tools in every container
/// form, then converted from the package: the disk matches the source in every form, the guest fixups run on an OVA,
/// and the result boots on the test libvirtd.
/// </summary>
public sealed class OvaGuestFixture : IDisposable
{
    public const string Mac = "00:50:56:3a:71:0c";
    public const long Capacity = 2L << 30;

    private readonly Lazy<(string Source, string StreamDisk)> _built;

    public OvaGuestFixture()
    {
        Directory = RepoPaths.NewTempDir("v2v-ova-guest");
        _built = new Lazy<(string, string)>(Build);
    }

    public string Directory { get; }

    /// <summary>The fixture's own VMDK (the reference for qemu-img compare).</summary>
    public string SourceDisk => _built.Value.Source;

    /// <summary>The fixture's disk as an exported streamOptimized VMDK (made once).</summary>
    public string StreamDisk => _built.Value.StreamDisk;

    public static string Ovf(string name) => OvaBuilder.VsphereOvf(name, [new OvfDiskSpec("guest-disk1.vmdk", Capacity)], memoryMiB: 1024, cpus: 2, mac: Mac);

    public void Dispose() => System.IO.Directory.Delete(Directory, true);

    private (string, string) Build()
    {
        var source = Path.Combine(LinuxGuestFixture.Require("plain", "the OVA guest tests"), "guest.vmdk");
        Tool.Require("qemu-img");
        var stream = Path.Combine(Directory, "guest-disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", source, stream);
        return (source, stream);
    }
}

[Collection(LibvirtCollection.Name)]
public sealed class OvaGuestCliTests(OvaGuestFixture fixture) : IClassFixture<OvaGuestFixture>
{
    private string Pack(OvaForm form, string dir, string name)
    {
        var file = form switch { OvaForm.TarGz => $"{name}.ova.gz", OvaForm.TarXz => $"{name}.ova.xz", OvaForm.Folder => name, _ => $"{name}.ova" };
        var packed = OvaBuilder.Pack(Path.Combine(dir, file), form, $"{name}.ovf", OvaGuestFixture.Ovf(name), [("guest-disk1.vmdk", fixture.StreamDisk)]);
        return form == OvaForm.Folder ? Path.Combine(packed, $"{name}.ovf") : packed;
    }

    [Theory]
    [MemberData(nameof(OvaCliTests.AllForms), MemberType = typeof(OvaCliTests))]
    public void The_fixture_guest_in_every_container_form_converts_to_the_same_disk(OvaForm form)
    {
        var dir = RepoPaths.NewTempDir("v2v-ova-form");
        try
        {
            var source = Pack(form, dir, "fixture");
            var outDir = Path.Combine(dir, "out");
            var r = CliRunner.Run(dir, "convert", source, "-o", "local", "-os", outDir, "--no-guest-fixups", "-v");
            Assert.True(r.ExitCode == 0, r.Err);
            // The digest came from the copy's own reads: only the bytes the engine skips (markers, padding, qemu's
            // redundant grain tables) were read again, a small fraction of the disk, never a second pass.
            var verified = System.Text.RegularExpressions.Regex.Match(r.Err, @"SHA256 digest verified in the conversion's own pass \((\d+) bytes the conversion skipped read here\)");
            Assert.True(verified.Success, r.Err);
            var reread = long.Parse(verified.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(reread < new FileInfo(fixture.StreamDisk).Length / 50, $"{reread} of {new FileInfo(fixture.StreamDisk).Length} bytes read again");
            var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", fixture.SourceDisk, Path.Combine(outDir, "fixture-sda.qcow2")], timeoutMs: 600_000);
            Assert.True(cmp.ExitCode == 0, cmp.All);
            XmlValidator.AssertValidDomain(File.ReadAllText(Path.Combine(outDir, "fixture.xml")), $"fixture OVA ({form})");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_fixture_guest_ova_gets_its_guest_fixups_in_a_local_conversion()
    {
        var dir = RepoPaths.NewTempDir("v2v-ova-fixups");
        try
        {
            var ova = Pack(OvaForm.TarUstar, dir, "fixture");
            var before = FileHash.Sha256(ova);
            var outDir = Path.Combine(dir, "out");
            var r = CliRunner.Run(dir, new Dictionary<string, string?> { ["HOME"] = dir }, "convert", ova, "-o", "local", "-os", outDir);
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.DoesNotContain("compatibility", r.Err, StringComparison.Ordinal);
            XmlValidator.AssertValidDomain(File.ReadAllText(Path.Combine(outDir, "fixture.xml")), "converted fixture OVA");

            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "fixture.report.json")));
            var guest = report.RootElement.GetProperty("guest").ToString();
            foreach (var expected in new[] { "fstab", "bootloader", "initramfs", "vmware-tools", "/dev/sda" })
            {
                Assert.Contains(expected, guest, StringComparison.Ordinal);
            }

            Assert.Equal(before, FileHash.Sha256(ova)); // the OVA is never written
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    [Trait("Category", "Boot")]
    public void The_fixture_guest_ova_converted_into_a_pool_boots_with_its_network()
    {
        var host = LibvirtHost.Require();
        var dir = RepoPaths.NewTempDir("v2v-ova-boot");
        var name = $"v2vt-ova-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            var ova = Pack(OvaForm.TarUstar, dir, name);
            var err = LibvirtBoot.ConvertStartAndWait(host, dir, name, ova, "-v");
            Assert.Contains("read in place", err, StringComparison.Ordinal);
        }
        finally
        {
            LibvirtBoot.Remove(host, name);
            Directory.Delete(dir, true);
        }
    }
}
