using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;
using static V2VConverter.Formats.Tests.Vmdk.Helpers.QemuFixtures;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>GetExtents kinds for holes, zeroed grains and data; coalescing of contiguous grains into one host read.</summary>
public sealed class VmdkAllocationMapTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-map");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Map_matches_qemu_img_map_for_data_and_holes()
    {
        Tool.Require("qemu-img");
        var vmdk = Path.Combine(_dir, "m.vmdk");
        Qemu("create", "-q", "-f", "vmdk", vmdk, "70M");
        QemuIo(vmdk, "write -P 1 0 64k", "write -P 2 1M 2M", "write -P 3 33M 64k", "write -P 4 69M 1M");
        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal(
            [
                new DiskExtent(0, 64 * 1024, ExtentKind.Data),
                new DiskExtent(64 * 1024, MiB - (64 * 1024), ExtentKind.Unallocated),
                new DiskExtent(MiB, 2 * MiB, ExtentKind.Data),
                new DiskExtent(3 * MiB, 30 * MiB, ExtentKind.Unallocated),
                new DiskExtent(33 * MiB, 64 * 1024, ExtentKind.Data),
                new DiskExtent((33 * MiB) + (64 * 1024), (36 * MiB) - (64 * 1024), ExtentKind.Unallocated),
                new DiskExtent(69 * MiB, MiB, ExtentKind.Data),
            ],
            disk.GetExtents(0, disk.Length).ToList());

        // A sub-range starts and ends inside runs.
        Assert.Equal(
            [new DiskExtent(100, (64 * 1024) - 100, ExtentKind.Data), new DiskExtent(64 * 1024, 1000, ExtentKind.Unallocated)],
            disk.GetExtents(100, (64 * 1024) - 100 + 1000).ToList());
        Assert.Empty(disk.GetExtents(5, 0));
        Assert.Equal((3 * MiB) + (128 * 1024), disk.AllocatedBytes);
    }

    [Fact]
    public void Contiguous_grains_coalesce_into_one_host_run()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 8 * MiB);
        var vmdk = Path.Combine(_dir, "c.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", src, vmdk);
        var warnings = new FormatWarnings(null);
        using var extent = SparseExtent.OpenHosted(DiskFile.Whole(File.OpenHandle(vmdk), vmdk), vmdk, null, new VmdkOpenOptions(), warnings, out _);
        var runs = new List<ExtentRun>();
        extent.Map(0, MiB, runs);

        // 16 grains of 64 KiB written in order by qemu-img convert: one run, one pread.
        var run = Assert.Single(runs);
        Assert.Equal(RunKind.Data, run.Kind);
        Assert.Equal(MiB, run.Length);
    }

    [Fact]
    public void Compressed_grains_are_one_run_each_and_map_as_data()
    {
        var grains = new Dictionary<long, byte[]> { [0] = [1], [1] = [2], [2] = [3] };
        var path = Path.Combine(_dir, "s.vmdk");
        File.WriteAllBytes(path, VmdkBuilder.VmwareStream(2048, grains));
        using var disk = VmdkDisk.Open(path);
        Assert.Equal([new DiskExtent(0, 3 * 65536, ExtentKind.Data), new DiskExtent(3 * 65536, MiB - (3 * 65536), ExtentKind.Unallocated)], disk.GetExtents(0, disk.Length).ToList());
        var b = new byte[3 * 65536];
        disk.Read(0, b);
        Assert.Equal([1, 2, 3], new[] { b[0], b[65536], b[131072] });
    }

    [Fact]
    public void Large_empty_disk_maps_quickly_as_one_hole()
    {
        Tool.Require("qemu-img");
        var vmdk = Path.Combine(_dir, "big.vmdk");
        Qemu("create", "-q", "-f", "vmdk", vmdk, "1T");
        using var disk = VmdkDisk.Open(vmdk);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal([new DiskExtent(0, 1L << 40, ExtentKind.Unallocated)], disk.GetExtents(0, disk.Length).ToList());
        Assert.Equal(0, disk.AllocatedBytes);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"mapping took {sw.Elapsed}");
    }
}
