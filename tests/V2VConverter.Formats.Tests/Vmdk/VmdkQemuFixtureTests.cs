using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;
using static V2VConverter.Formats.Tests.Vmdk.Helpers.QemuFixtures;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>Every subformat qemu-img writes, made at test time; our bytes must equal qemu-img convert -O raw.</summary>
public sealed class VmdkQemuFixtureTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-qemu");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("monolithicSparse", "hosted sparse v1")]
    [InlineData("monolithicFlat", "flat")]
    [InlineData("streamOptimized", "streamOptimized")]
    public void Converted_from_raw_reads_the_same_bytes_as_qemu(string subformat, string kind)
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB);
        var vmdk = Path.Combine(_dir, $"{subformat}.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", $"subformat={subformat}", src, vmdk);
        Qemu("check", "-f", "vmdk", vmdk);

        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal("vmdk", disk.Format);
        Assert.Equal(subformat, disk.Subformat);
        Assert.Equal(kind, disk.Extents[0].Kind);
        Assert.NotNull(disk.Cid);
        Assert.Equal("ide", disk.AdapterType);
        AssertSameBytes(disk, QemuRaw(vmdk, _dir));
        var expected = File.ReadAllBytes(src);
        AssertSameBytes(disk, expected);
        AssertMapConsistent(disk, expected);
        if (subformat != "monolithicFlat")
        {
            // Only the written grains are data: 1 MiB + pattern + 200 KiB + tail, each rounded to 64 KiB grains.
            Assert.InRange(disk.AllocatedBytes, 1 * MiB, 3 * MiB);
        }
    }

    [Theory]
    [InlineData("twoGbMaxExtentSparse", "SPARSE")]
    [InlineData("twoGbMaxExtentFlat", "FLAT")]
    public void Split_disks_over_2GiB_read_as_one_disk(string subformat, string type)
    {
        Tool.Require("qemu-img");
        var size = (2048 * MiB) + (4 * MiB);
        var vmdk = Path.Combine(_dir, "split.vmdk");
        Qemu("create", "-q", "-f", "vmdk", "-o", $"subformat={subformat}", vmdk, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        QemuIo(vmdk, "write -P 0x11 0 64k", $"write -P 0x22 {(2048 * MiB) - (40 * 1024)} 100k", $"write -P 0x33 {size - (64 * 1024)} 64k", "write -P 0x44 1000000 3000");

        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal(subformat, disk.Subformat);
        Assert.Equal(size, disk.Length);
        Assert.Equal(2, disk.Extents.Count);
        Assert.All(disk.Extents, e => Assert.Equal(type, e.Type));
        AssertSameBytes(disk, QemuRaw(vmdk, _dir));

        // The extent boundary at 2 GiB is crossed by one read.
        var buf = new byte[100 * 1024];
        disk.Read((2048 * MiB) - (40 * 1024), buf);
        Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0x22) < 0);
        if (type == "SPARSE")
        {
            Assert.Equal(64 * 1024 * 5, disk.AllocatedBytes); // 0x11 grain, 0x44 grain, 0x22 in two grains, 0x33 grain
            AssertMapConsistent(disk);
        }
    }

    [Fact]
    public void Zeroed_grain_entries_read_as_zero_and_map_as_zero()
    {
        Tool.Require("qemu-img");
        var vmdk = Path.Combine(_dir, "zg.vmdk");
        Qemu("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicSparse,zeroed_grain=on", vmdk, "8M");
        QemuIo(vmdk, "write -P 0xab 0 192k", "write -z 64k 64k", "write -z 1M 64k");
        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal("hosted sparse v2", disk.Extents[0].Kind);
        AssertSameBytes(disk, QemuRaw(vmdk, _dir));
        var map = disk.GetExtents(0, disk.Length).ToList();
        Assert.Equal(
            [
                new DiskExtent(0, 64 * 1024, ExtentKind.Data),
                new DiskExtent(64 * 1024, 64 * 1024, ExtentKind.Zero),
                new DiskExtent(128 * 1024, 64 * 1024, ExtentKind.Data),
                new DiskExtent(192 * 1024, MiB - (192 * 1024), ExtentKind.Unallocated),
                new DiskExtent(MiB, 64 * 1024, ExtentKind.Zero),
                new DiskExtent(MiB + (64 * 1024), (7 * MiB) - (64 * 1024), ExtentKind.Unallocated),
            ],
            map);
    }

    [Fact]
    public void Chain_made_with_qemu_create_b_reads_child_over_parent()
    {
        Tool.Require("qemu-img");
        var parent = Path.Combine(_dir, "parent.vmdk");
        var child = Path.Combine(_dir, "child.vmdk");
        Qemu("create", "-q", "-f", "vmdk", parent, "16M");
        QemuIo(parent, "write -P 0xaa 0 1M", "write -P 0xbb 8M 128k");
        Qemu("create", "-q", "-f", "vmdk", "-b", "parent.vmdk", "-F", "vmdk", child);
        QemuIo(child, "write -P 0xcc 512k 64k", "write -P 0xdd 15M 4k");

        using var disk = VmdkDisk.Open(child);
        Assert.Equal(2, disk.Chain.Count);
        Assert.Equal(disk.Chain[1].Cid, disk.ParentCid);
        AssertSameBytes(disk, QemuRaw(child, _dir));
        var map = disk.GetExtents(0, disk.Length).ToList();
        Assert.Equal(new DiskExtent(0, MiB, ExtentKind.Data), map[0]);
        Assert.Contains(new DiskExtent(15 * MiB, 64 * 1024, ExtentKind.Data), map);
        Assert.Equal(MiB + (128 * 1024) + (64 * 1024), disk.AllocatedBytes);
    }

    [Fact]
    public void Chain_of_three_with_zeroed_grain_in_child_does_not_fall_through()
    {
        Tool.Require("qemu-img");
        var a = Path.Combine(_dir, "a.vmdk");
        var b = Path.Combine(_dir, "b.vmdk");
        var c = Path.Combine(_dir, "c.vmdk");
        Qemu("create", "-q", "-f", "vmdk", a, "8M");
        QemuIo(a, "write -P 0x01 0 4M");
        Qemu("create", "-q", "-f", "vmdk", "-b", "a.vmdk", "-F", "vmdk", "-o", "zeroed_grain=on", b);
        QemuIo(b, "write -z 1M 1M", "write -P 0x02 3M 64k");
        Qemu("create", "-q", "-f", "vmdk", "-b", "b.vmdk", "-F", "vmdk", c);
        QemuIo(c, "write -P 0x03 1M 64k");

        using var disk = VmdkDisk.Open(c);
        Assert.Equal(3, disk.Chain.Count);
        AssertSameBytes(disk, QemuRaw(c, _dir));
        var buf = new byte[64 * 1024];
        disk.Read((1 * MiB) + (128 * 1024), buf);
        Assert.True(buf.AsSpan().IndexOfAnyExcept((byte)0) < 0, "a zeroed grain in the middle layer must hide the base");
        var map = disk.GetExtents(MiB, MiB).ToList();
        Assert.Equal([new DiskExtent(MiB, 64 * 1024, ExtentKind.Data), new DiskExtent(MiB + (64 * 1024), MiB - (64 * 1024), ExtentKind.Zero)], map);
    }

    [Fact]
    public void Uncompressed_version_3_hosted_sparse_reads_like_version_1()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB, seed: 4);
        var vmdk = Path.Combine(_dir, "v3.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", src, vmdk);
        var bytes = File.ReadAllBytes(vmdk);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 3);
        File.WriteAllBytes(vmdk, bytes);
        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal("hosted sparse v3", disk.Extents[0].Kind);
        AssertSameBytes(disk, File.ReadAllBytes(src), randomReads: 50);
    }

    [Fact]
    public void Grain_directory_entry_1_with_zeroed_grains_is_an_all_zero_grain_table()
    {
        Tool.Require("qemu-img");
        var vmdk = Path.Combine(_dir, "gd1.vmdk");
        Qemu("create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", vmdk, "40M");
        QemuIo(vmdk, "write -P 0x77 0 1M", "write -P 0x78 33M 64k");
        var bytes = File.ReadAllBytes(vmdk);
        var h = SparseExtentHeader.Parse(bytes);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)h.GdOffset * 512), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)h.RgdOffset * 512), 1);
        File.WriteAllBytes(vmdk, bytes);
        using var disk = VmdkDisk.Open(vmdk);
        Assert.Equal(
            [new DiskExtent(0, 32 * MiB, ExtentKind.Zero), new DiskExtent(32 * MiB, MiB, ExtentKind.Unallocated), new DiskExtent(33 * MiB, 64 * 1024, ExtentKind.Data), new DiskExtent((33 * MiB) + (64 * 1024), (7 * MiB) - (64 * 1024), ExtentKind.Unallocated)],
            disk.GetExtents(0, disk.Length).ToList());
        var b = new byte[MiB];
        disk.Read(0, b);
        Assert.True(b.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Redundant_grain_directory_is_used_when_the_primary_entry_is_out_of_range()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB, seed: 3);
        var vmdk = Path.Combine(_dir, "rgd.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", src, vmdk);
        var bytes = File.ReadAllBytes(vmdk);
        var h = SparseExtentHeader.Parse(bytes);
        Assert.True(h.HasRedundantGd);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)h.GdOffset * 512), 0x7FFFFFF0);
        File.WriteAllBytes(vmdk, bytes);
        using var disk = VmdkDisk.Open(vmdk);
        AssertSameBytes(disk, File.ReadAllBytes(src), randomReads: 50);
        Assert.Contains(disk.Warnings, w => w.Contains("redundant", StringComparison.Ordinal));
    }
}

/// <summary>A qemu-layout stream (grain tables first, no footer) cut in the middle is rebuilt from its markers (--allow-truncated).</summary>
public sealed class VmdkTruncatedQemuStreamTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-cut");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Truncated_qemu_stream_yields_a_prefix_of_the_source_then_zeros()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB, seed: 5);
        var vmdk = Path.Combine(_dir, "s.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", src, vmdk);
        var bytes = File.ReadAllBytes(vmdk);
        File.WriteAllBytes(vmdk, bytes.AsSpan(0, (bytes.Length * 2 / 3) + 777).ToArray());
        var source = File.ReadAllBytes(src);

        using var disk = VmdkDisk.Open(vmdk, new VmdkOpenOptions { AllowTruncated = true });
        Assert.Contains("map rebuilt from markers", disk.Extents[0].Kind, StringComparison.Ordinal);
        Assert.Contains(disk.Warnings, w => w.Contains("truncated", StringComparison.Ordinal));
        var ours = new byte[disk.Length];
        disk.Read(0, ours);

        // qemu writes grains in guest order: what survives is a guest prefix, the rest reads as zeros.
        var prefix = ours.AsSpan().CommonPrefixLength(source);
        Assert.InRange(prefix, 256 * 1024, source.Length - 1);
        Assert.True(ours.AsSpan(prefix).IndexOfAnyExcept((byte)0) < 0, "after the cut everything reads as zeros");
    }
}
