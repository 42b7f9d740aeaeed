using System.Text;
using V2VConverter.Formats.Disk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

public sealed class DiskImageTests
{
    [Fact]
    public void Detects_formats_by_magic()
    {
        Assert.Equal("qcow2", DiskImage.DetectFormat(DiskFixtures.Qcow2));
        Assert.Equal("raw", DiskImage.DetectFormat(DiskFixtures.Raw));
        Assert.Equal("vmdk", DiskImage.DetectFormat("KDMV\u0001\0\0\0"u8));
        Assert.Equal("vmdk", DiskImage.DetectFormat("COWD\u0001\0\0\0"u8));
        Assert.Equal("vmdk", DiskImage.DetectFormat(Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nCID=fffffffe\n")));
        Assert.Equal("vmdk", DiskImage.DetectFormat(Encoding.ASCII.GetBytes("\n# comment\nversion=1\r\ncreateType=\"monolithicFlat\"\n")));
        Assert.Equal("raw", DiskImage.DetectFormat(Encoding.ASCII.GetBytes("version=1 but not a descriptor")));
        Assert.Equal("raw", DiskImage.DetectFormat([]));
    }

    [Fact]
    public void Vmdk_is_opened_by_the_vmdk_reader()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var flat = Path.Combine(dir, "x-flat.vmdk");
            File.WriteAllBytes(flat, new byte[1024 * 1024]);
            var vmdk = Path.Combine(dir, "x.vmdk");
            File.WriteAllText(vmdk, "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"x-flat.vmdk\" 0\n");
            using var disk = DiskImage.Open(vmdk);
            Assert.Equal("vmdk", disk.Format);
            Assert.Equal(1024 * 1024, disk.Length);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Missing_file_and_unknown_format()
    {
        Assert.Throws<FileNotFoundException>(() => DiskImage.Open("/nonexistent/disk.img"));
        Assert.Throws<NotSupportedException>(() => DiskImage.Open(DiskFixtures.Raw, "vdi"));
    }
}
