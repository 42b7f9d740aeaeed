using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>Holes in a FLAT extent's file are Zero runs (a copier skips them) and still read as zeros.</summary>
public sealed class VmdkFlatHoleTests
{
    [Fact]
    public void Holes_in_a_flat_file_map_as_zero_and_data_as_data()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            const long size = 16L * 1024 * 1024;
            var flat = Path.Combine(dir, "d-flat.vmdk");
            using (var f = new FileStream(flat, FileMode.Create))
            {
                f.SetLength(size);
                f.Position = 4L * 1024 * 1024;
                f.Write(Enumerable.Repeat((byte)0xAB, 1024 * 1024).ToArray());
            }

            File.WriteAllText(Path.Combine(dir, "d.vmdk"), $"# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW {size / 512} FLAT \"d-flat.vmdk\" 0\n");
            using var disk = VmdkDisk.Open(Path.Combine(dir, "d.vmdk"));
            var map = disk.GetExtents(0, size).ToList();
            Assert.Equal(size, map.Sum(e => e.Length));
            var data = map.Where(e => e.Kind == ExtentKind.Data).ToList();
            Assert.NotEmpty(data);
            Assert.True(data.Sum(e => e.Length) < size / 2, "most of the sparse flat file is holes");
            Assert.Contains(data, e => e.Offset <= 4L * 1024 * 1024 && e.End >= 5L * 1024 * 1024);
            Assert.DoesNotContain(map, e => e.Kind == ExtentKind.Unallocated);
            var buf = new byte[4096];
            disk.Read(0, buf);
            Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0) < 0);
            disk.Read(4L * 1024 * 1024, buf);
            Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0xAB) < 0);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
