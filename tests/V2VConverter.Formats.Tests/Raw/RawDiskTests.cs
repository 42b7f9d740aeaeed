using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Tests.Convert;
using V2VConverter.Formats.Tests.Qcow2;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Raw;

public sealed class RawDiskTests
{
    [Fact]
    public void Holes_are_unallocated_and_data_is_data()
    {
        using var disk = RawDisk.Open(DiskFixtures.Raw);
        Assert.Equal("raw", disk.Format);
        Assert.Equal(DiskFixtures.RawSize, disk.Length);
        var extents = disk.GetExtents(0, disk.Length).ToList();
        Qcow2DiskTests.AssertCovers(extents, 0, disk.Length);
        Assert.Equal(new DiskExtent(0, DiskFixtures.MiB, ExtentKind.Unallocated), extents[0]);
        Assert.Equal(ExtentKind.Data, extents[1].Kind);
        Assert.Equal(DiskFixtures.MiB, extents[1].Offset);

        // Written zeros are allocated in the file, so SEEK_DATA reports them as data; the converter finds them zero.
        Assert.Contains(extents, e => e.Kind == ExtentKind.Data && e.Offset <= 9 * DiskFixtures.MiB && 9 * DiskFixtures.MiB < e.End);
        Assert.Contains(extents, e => e.Kind == ExtentKind.Unallocated && e.Offset <= 14 * DiskFixtures.MiB && 14 * DiskFixtures.MiB < e.End);
        var dataBytes = extents.Where(e => e.Kind == ExtentKind.Data).Sum(e => e.Length);
        Assert.True(dataBytes < disk.Length / 2, $"{dataBytes} data bytes: SEEK_DATA did not find the holes");
    }

    [Fact]
    public void Sub_ranges_are_clipped_and_reads_match_the_file()
    {
        using var disk = RawDisk.Open(DiskFixtures.Raw);
        var part = disk.GetExtents((2 * DiskFixtures.MiB) - 10, 20).ToList();
        Qcow2DiskTests.AssertCovers(part, (2 * DiskFixtures.MiB) - 10, 20);

        var bytes = File.ReadAllBytes(DiskFixtures.Raw);
        var buf = new byte[100_000];
        disk.Read((5 * DiskFixtures.MiB) + 7, buf);
        Assert.True(bytes.AsSpan((int)(5 * DiskFixtures.MiB) + 7, buf.Length).SequenceEqual(buf));
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.Read(disk.Length - 1, new byte[2]));
        Assert.Empty(disk.GetExtents(disk.Length, 100));
    }

    [Fact]
    public void Empty_and_fully_sparse_files()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var empty = Path.Combine(dir, "empty.raw");
            File.WriteAllBytes(empty, []);
            using (var d = RawDisk.Open(empty))
            {
                Assert.Equal(0, d.Length);
                Assert.Empty(d.GetExtents(0, 0));
            }

            var sparse = Path.Combine(dir, "sparse.raw");
            using (var fs = File.Create(sparse))
            {
                fs.SetLength(10 * DiskFixtures.MiB);
            }

            using var s = RawDisk.Open(sparse);
            Assert.Equal([new DiskExtent(0, 10 * DiskFixtures.MiB, ExtentKind.Unallocated)], s.GetExtents(0, s.Length));

            // Converting an all-hole disk writes no data clusters.
            var outPath = Path.Combine(dir, "out.qcow2");
            DiskConverter.Convert(s, outPath, new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 }, null, TestContext.Current.CancellationToken);
            Oracle.AssertCheckClean(outPath);
            Oracle.AssertIdentical(sparse, outPath);
            Assert.True(new FileInfo(outPath).Length <= 4 * 65536);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
