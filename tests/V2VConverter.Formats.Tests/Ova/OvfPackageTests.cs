using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Ova;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

/// <summary>
/// The disk engine reads the disks of an OVF package where they lie: a VMDK of any layout inside a tar or a stored zip
/// member, at its offset, with its extents resolved inside the package; only a gzip-compressed or deflated file goes
/// once through an unnamed temp file. Digests are checked from the engine's own reads.
/// </summary>
public sealed class OvfPackageTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ovfpkg");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Ovf(params OvfDiskSpec[] disks) => OvaBuilder.VsphereOvf("pkg", disks);

    /// <summary>Every byte of a disk opened from the package, as a flat array (the test disks are small).</summary>
    private static byte[] ReadAll(IVirtualDisk disk)
    {
        var bytes = new byte[disk.Length];
        disk.Read(0, bytes);
        return bytes;
    }

    private string Raw(string name, long size, int seed)
    {
        var path = Path.Combine(_dir, name);
        var data = new byte[size];
        var rng = new Random(seed);
        for (long at = 0; at < size; at += 256 * 1024)
        {
            rng.NextBytes(data.AsSpan((int)at, 64 * 1024)); // data runs and zero runs
        }

        File.WriteAllBytes(path, data);
        return path;
    }

    [Fact]
    public void A_vmware_layout_stream_optimized_disk_is_read_in_place_from_a_tar_and_its_digest_checked()
    {
        var grains = new Dictionary<long, byte[]> { [0] = VmdkBuilder.Random(64 * 1024, 1), [600] = VmdkBuilder.Random(64 * 1024, 2), [1500] = VmdkBuilder.Random(64 * 1024, 3) };
        var vmdk = Path.Combine(_dir, "vmware-disk1.vmdk");
        File.WriteAllBytes(vmdk, VmdkBuilder.VmwareStream(40 * 2048, grains));
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.TarUstar, "pkg.ovf", Ovf(new OvfDiskSpec("vmware-disk1.vmdk", 40 * MiB)), [("vmware-disk1.vmdk", vmdk)]);

        using var package = OvfPackage.Open(ova, new OvfPackageOptions { TempFolder = Path.Combine(_dir, "tmp") });
        var path = package.PathOf("vmware-disk1.vmdk");
        using (var disk = VmdkDisk.Open(path, null, new VmdkOpenOptions { Container = package }))
        {
            Assert.Equal("streamOptimized", disk.Subformat);
            Assert.Equal(VmdkBuilder.Expected(40 * MiB, grains, 64 * 1024), ReadAll(disk));
        }

        package.Verify(path, Ct);
        Assert.Equal(0, package.TempBytes);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "tmp")));
    }

    [Theory]
    [InlineData("monolithicFlat")]
    [InlineData("twoGbMaxExtentSparse")]
    [InlineData("monolithicSparse")]
    public void Other_vmdk_layouts_read_in_place_with_their_extents_as_members(string subformat)
    {
        Tool.Require("qemu-img");
        var raw = Raw("src.raw", 8 * MiB, 5);
        var folder = Path.Combine(_dir, "export");
        Directory.CreateDirectory(folder);
        var vmdk = Path.Combine(folder, "disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", $"subformat={subformat}", raw, vmdk);
        var members = Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), f)).ToList();
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.TarPax, "pkg.ovf", Ovf(new OvfDiskSpec("disk1.vmdk", 8 * MiB, subformat)), members);

        using var package = OvfPackage.Open(ova);
        using var disk = VmdkDisk.Open(package.PathOf("disk1.vmdk"), null, new VmdkOpenOptions { Container = package });
        Assert.Equal(File.ReadAllBytes(raw), ReadAll(disk));
        Assert.All(disk.Extents, e => Assert.StartsWith(ova + "/", e.ResolvedPath!, StringComparison.Ordinal));
        Assert.Equal(0, package.TempBytes);
    }

    [Fact]
    public void An_extent_that_leaves_the_package_is_refused()
    {
        var desc = Path.Combine(_dir, "disk1.vmdk");
        File.WriteAllText(desc, "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"../outside-flat.vmdk\" 0\n");
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.TarUstar, "pkg.ovf", Ovf(new OvfDiskSpec("disk1.vmdk", MiB, "monolithicFlat")), [("disk1.vmdk", desc)]);
        File.WriteAllBytes(Path.Combine(_dir, "outside-flat.vmdk"), new byte[MiB]);

        using var package = OvfPackage.Open(ova);
        var e = Assert.Throws<InvalidDataException>(() => VmdkDisk.Open(package.PathOf("disk1.vmdk"), null, new VmdkOpenOptions { Container = package }).Dispose());
        Assert.Contains("../outside-flat.vmdk", e.Message, StringComparison.Ordinal);
        Assert.Contains("escapes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gzip_compressed_disk_is_inflated_once_into_an_unnamed_temp_file_and_its_compressed_digest_checked()
    {
        Tool.Require("qemu-img");
        Tool.Require("gzip");
        var raw = Raw("src.raw", 8 * MiB, 9);
        var vmdk = Path.Combine(_dir, "disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk);
        Tool.Check("gzip", "-k", vmdk);
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.TarUstar, "pkg.ovf", Ovf(new OvfDiskSpec("disk1.vmdk.gz", 8 * MiB, Compression: "gzip")), [("disk1.vmdk.gz", vmdk + ".gz")]);
        var temp = Path.Combine(_dir, "tmp");

        using var package = OvfPackage.Open(ova, new OvfPackageOptions { TempFolder = temp });
        var path = package.PathOf("disk1.vmdk.gz");
        package.SetCompression(path, "gzip");
        using (var disk = VmdkDisk.Open(path, null, new VmdkOpenOptions { Container = package }))
        {
            Assert.Equal(File.ReadAllBytes(raw), ReadAll(disk));
        }

        package.Verify(path, Ct); // the manifest's digest is of the .gz as packed
        Assert.Equal(new FileInfo(vmdk).Length, package.TempBytes);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp)); // the temp file never had a name
    }

    [Fact]
    public void A_deflated_zip_member_is_inflated_once_and_its_digest_is_of_the_content()
    {
        Tool.Require("qemu-img");
        Tool.Require("python3");
        var raw = Raw("src.raw", 8 * MiB, 11);
        var vmdk = Path.Combine(_dir, "disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk);
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.ZipDeflated, "pkg.ovf", Ovf(new OvfDiskSpec("disk1.vmdk", 8 * MiB)), [("disk1.vmdk", vmdk)]);

        using var package = OvfPackage.Open(ova, new OvfPackageOptions { TempFolder = Path.Combine(_dir, "tmp") });
        Assert.Equal("zip", package.Kind);
        var path = package.PathOf("disk1.vmdk");
        using (var disk = VmdkDisk.Open(path, null, new VmdkOpenOptions { Container = package }))
        {
            Assert.Equal(File.ReadAllBytes(raw), ReadAll(disk));
        }

        package.Verify(path, Ct);
        Assert.Equal(new FileInfo(vmdk).Length, package.TempBytes);
    }

    [Fact]
    public void A_bad_digest_fails_verify_naming_the_member_and_both_digests()
    {
        Tool.Require("qemu-img");
        var raw = Raw("src.raw", 4 * MiB, 13);
        var vmdk = Path.Combine(_dir, "disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk);
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "pkg.ova"), OvaForm.TarUstar, "pkg.ovf", Ovf(new OvfDiskSpec("disk1.vmdk", 4 * MiB)), [("disk1.vmdk", vmdk)], ManifestKind.BadSha256);
        var good = OvaBuilder.Digest("SHA256", vmdk);

        using var package = OvfPackage.Open(ova);
        var path = package.PathOf("disk1.vmdk");
        using (var disk = VmdkDisk.Open(path, null, new VmdkOpenOptions { Container = package }))
        {
            ReadAll(disk);
        }

        var e = Assert.Throws<InvalidDataException>(() => package.Verify(path, Ct));
        Assert.Contains("pkg.ova/disk1.vmdk", e.Message, StringComparison.Ordinal);
        Assert.Contains(good, e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(OvaBuilder.Flip(good), e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_changed_descriptor_fails_when_the_package_is_opened()
    {
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "folder"), OvaForm.Folder, "pkg.ovf", Ovf(), []);
        File.AppendAllText(Path.Combine(ova, "pkg.ovf"), "<!-- edited -->");
        var e = Assert.Throws<InvalidDataException>(() => OvfPackage.Open(Path.Combine(ova, "pkg.ovf")).Dispose());
        Assert.Contains("pkg.ovf", e.Message, StringComparison.Ordinal);
        Assert.Contains("digest mismatch", e.Message, StringComparison.Ordinal);
    }
}
