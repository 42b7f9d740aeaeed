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
    public void Vmdk_goes_through_the_hook()
    {
        var dir = RepoPaths.NewTempDir();
        var saved = DiskImage.VmdkOpener;
        try
        {
            var vmdk = Path.Combine(dir, "x.vmdk");
            File.WriteAllText(vmdk, "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n");
            DiskImage.VmdkOpener = null;
            var ex = Assert.Throws<NotSupportedException>(() => DiskImage.Open(vmdk));
            Assert.Contains("VMDK reader not available", ex.Message);

            string? asked = null;
            DiskImage.VmdkOpener = p =>
            {
                asked = p;
                return DiskImage.Open(DiskFixtures.Raw);
            };
            using var disk = DiskImage.Open(vmdk);
            Assert.Equal(vmdk, asked);
            Assert.Equal(DiskFixtures.RawSize, disk.Length);
        }
        finally
        {
            DiskImage.VmdkOpener = saved;
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
