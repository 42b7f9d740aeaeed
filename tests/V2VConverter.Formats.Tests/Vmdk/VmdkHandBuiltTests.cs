using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;
using static V2VConverter.Formats.Tests.Vmdk.Helpers.QemuFixtures;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>Layouts qemu-img cannot write, built byte by byte; compared with an expectation computed here.</summary>
public sealed class VmdkHandBuiltTests : IDisposable
{
    private const int Grain = 64 * 1024;
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-hand");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Grains of a 40 MiB disk: random (bigger than a grain once compressed), text, across the 32 MiB GT boundary, last grain.</summary>
    private static Dictionary<long, byte[]> StreamGrains() => new()
    {
        [0] = VmdkBuilder.Random(Grain, 1),
        [1] = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("stream ", 9363))),
        [7] = VmdkBuilder.Random(1000, 2),
        [511] = VmdkBuilder.Random(Grain, 3),
        [512] = VmdkBuilder.Random(Grain, 4),
        [639] = VmdkBuilder.Random(Grain, 5),
    };

    private const long StreamCapacitySectors = 40 * 2048;

    [Fact]
    public void Vmware_stream_with_footer_reads_via_the_footer_gd_and_matches_qemu()
    {
        var grains = StreamGrains();
        var path = Path.Combine(_dir, "disk.vmdk");
        File.WriteAllBytes(path, VmdkBuilder.VmwareStream(StreamCapacitySectors, grains));
        var expected = VmdkBuilder.Expected(StreamCapacitySectors * 512, grains, Grain);

        using var disk = VmdkDisk.Open(path);
        Assert.Equal("streamOptimized", disk.Subformat);
        Assert.Equal("streamOptimized", disk.Extents[0].Kind);
        Assert.Equal("RDONLY", disk.Extents[0].Access);
        Assert.Empty(disk.Warnings);
        AssertSameBytes(disk, expected);
        AssertMapConsistent(disk, expected);
        Assert.Equal(6L * Grain, disk.AllocatedBytes);

        // qemu reads this layout too: a second, independent oracle.
        Tool.Require("qemu-img");
        AssertSameBytes(disk, QemuRaw(path, _dir));
    }

    [Fact]
    public void Vmware_stream_without_footer_is_rebuilt_by_scanning_markers()
    {
        var grains = StreamGrains();
        var full = VmdkBuilder.VmwareStream(StreamCapacitySectors, grains);
        var path = Path.Combine(_dir, "nofooter.vmdk");
        File.WriteAllBytes(path, full.AsSpan(0, full.Length - 1536).ToArray());
        var expected = VmdkBuilder.Expected(StreamCapacitySectors * 512, grains, Grain);

        // Without its footer and end-of-stream marker the stream is cut: read only on request.
        Assert.Throws<EndOfStreamException>(() => VmdkDisk.Open(path).Dispose());
        using var disk = VmdkDisk.Open(path, new VmdkOpenOptions { AllowTruncated = true });
        Assert.Contains("map rebuilt from markers", disk.Extents[0].Kind, StringComparison.Ordinal);
        Assert.Contains(disk.Warnings, w => w.Contains("6 grains", StringComparison.Ordinal));
        AssertSameBytes(disk, expected);
        AssertMapConsistent(disk, expected);
    }

    [Fact]
    public void Vmware_stream_truncated_mid_grain_yields_every_grain_before_the_cut()
    {
        var grains = StreamGrains();
        var full = VmdkBuilder.VmwareStream(StreamCapacitySectors, grains);

        // Cut inside the last grain (grain 639, compressed random data just before its GT marker).
        var cut = FindGrainMarker(full, 639 * 128) + 3000;
        var path = Path.Combine(_dir, "cut.vmdk");
        File.WriteAllBytes(path, full.AsSpan(0, cut).ToArray());
        grains.Remove(639);
        var expected = VmdkBuilder.Expected(StreamCapacitySectors * 512, grains, Grain);
        Assert.Throws<EndOfStreamException>(() => VmdkDisk.Open(path).Dispose());
        using var disk = VmdkDisk.Open(path, new VmdkOpenOptions { AllowTruncated = true });
        Assert.Contains(disk.Warnings, w => w.Contains("truncated", StringComparison.Ordinal));
        AssertSameBytes(disk, expected, randomReads: 50);
    }

    [Fact]
    public void Stream_whose_capacity_is_not_grain_aligned_reads_the_tail_grain_up_to_capacity()
    {
        const long capacity = (8 * 2048) + 3;
        var grains = new Dictionary<long, byte[]> { [0] = VmdkBuilder.Random(Grain, 9), [128] = VmdkBuilder.Random(3 * 512, 10) };
        var path = Path.Combine(_dir, "tail.vmdk");
        File.WriteAllBytes(path, VmdkBuilder.VmwareStream(capacity, grains, descriptor: VmdkBuilder.StreamDescriptor(capacity, quoted: true)));
        using var disk = VmdkDisk.Open(path);
        Assert.Equal(capacity * 512, disk.Length);
        AssertSameBytes(disk, VmdkBuilder.Expected(capacity * 512, grains, Grain));
    }

    [Fact]
    public void Descriptor_with_zero_extent_rdonly_extent_and_unquoted_custom_createType()
    {
        var flat1 = VmdkBuilder.Random(2 * (int)MiB, 11);
        var flat2 = VmdkBuilder.Random(3 * (int)MiB, 12);
        File.WriteAllBytes(Path.Combine(_dir, "part one.bin"), flat1);

        // The second flat file carries 1 MiB of junk before the extent (OFFSET field, in sectors).
        File.WriteAllBytes(Path.Combine(_dir, "p2.bin"), [.. new byte[MiB], .. flat2]);
        var desc = "# Disk DescriptorFile\r\nversion=1\r\nencoding=\"UTF-8\"\r\nCID=0badf00d\r\nparentCID=ffffffff\r\ncreateType=custom\r\n\r\n"
            + "RW 4096 FLAT \"part one.bin\" 0\r\nRW 2048 ZERO\r\nRDONLY 6144 FLAT \"p2.bin\" 2048\r\n\r\nddb.adapterType = lsilogic\r\n";
        var path = Path.Combine(_dir, "custom.vmdk");
        File.WriteAllBytes(path, [.. System.Text.Encoding.ASCII.GetBytes(desc), .. new byte[300]]);

        using var disk = VmdkDisk.Open(path);
        Assert.Equal("custom", disk.Subformat);
        Assert.Equal("lsilogic", disk.AdapterType);
        Assert.Equal(0x0badf00du, disk.Cid);
        Assert.Equal(["RW", "RW", "RDONLY"], disk.Extents.Select(e => e.Access));
        Assert.Equal(["FLAT", "ZERO", "FLAT"], disk.Extents.Select(e => e.Type));
        Assert.Equal(2048, disk.Extents[2].OffsetSectors);
        byte[] expected = [.. flat1, .. new byte[MiB], .. flat2];
        AssertSameBytes(disk, expected);
        Assert.Equal(
            [new DiskExtent(0, 2 * MiB, ExtentKind.Data), new DiskExtent(2 * MiB, MiB, ExtentKind.Zero), new DiskExtent(3 * MiB, 3 * MiB, ExtentKind.Data)],
            disk.GetExtents(0, disk.Length).ToList());
    }

    [Fact]
    public void Unquoted_monolithicFlat_descriptor_that_qemu_refuses_is_read()
    {
        var data = VmdkBuilder.Random((int)MiB, 13);
        File.WriteAllBytes(Path.Combine(_dir, "u-flat.vmdk"), data);
        File.WriteAllText(Path.Combine(_dir, "u.vmdk"), "version=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=monolithicFlat\nRW 2048 FLAT u-flat.vmdk 0\n");
        using var disk = VmdkDisk.Open(Path.Combine(_dir, "u.vmdk"));
        Assert.Equal("monolithicFlat", disk.Subformat);
        AssertSameBytes(disk, data, randomReads: 20);
    }

    [Fact]
    public void Cowd_extent_opened_directly()
    {
        var grains = new Dictionary<long, byte[]>
        {
            [0] = VmdkBuilder.Random(512, 20),
            [5] = VmdkBuilder.Random(512, 21),
            [4095] = VmdkBuilder.Random(512, 22),
            [4096] = VmdkBuilder.Random(512, 23),
            [9000] = VmdkBuilder.Random(512, 24),
        };
        const uint capacity = 10000;
        var path = Path.Combine(_dir, "x-delta.vmdk");
        File.WriteAllBytes(path, VmdkBuilder.Cowd(capacity, grains));
        using var disk = VmdkDisk.Open(path);
        Assert.Equal("vmfsSparse", disk.Subformat);
        Assert.StartsWith("vmfsSparse (COWD", disk.Extents[0].Kind, StringComparison.Ordinal);
        var expected = VmdkBuilder.Expected(capacity * 512L, grains, 512);
        AssertSameBytes(disk, expected);
        AssertMapConsistent(disk, expected);
        Assert.Equal(5 * 512, disk.AllocatedBytes);
    }

    [Fact]
    public void Vmfs_snapshot_chain_cowd_delta_over_vmfs_flat_base()
    {
        const uint capacity = 16384; // 8 MiB
        var baseData = VmdkBuilder.Random((int)(capacity * 512), 30);
        File.WriteAllBytes(Path.Combine(_dir, "vm-flat.vmdk"), baseData);
        File.WriteAllText(Path.Combine(_dir, "vm.vmdk"),
            "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=11112222\nparentCID=ffffffff\ncreateType=\"vmfs\"\n\n# Extent description\nRW 16384 VMFS \"vm-flat.vmdk\"\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = \"lsilogic\"\nddb.geometry.cylinders = \"1\"\nddb.uuid = \"60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 87 3b f9\"\nddb.virtualHWVersion = \"13\"\n");
        var grains = new Dictionary<long, byte[]> { [3] = VmdkBuilder.Random(4096, 31), [1000] = VmdkBuilder.Random(4096, 32) };
        File.WriteAllBytes(Path.Combine(_dir, "vm-000001-delta.vmdk"), VmdkBuilder.Cowd(capacity, grains, grainSectors: 8));
        File.WriteAllText(Path.Combine(_dir, "vm-000001.vmdk"),
            "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=33334444\nparentCID=11112222\nisNativeSnapshot=\"no\"\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"vm.vmdk\"\n# Extent description\nRW 16384 VMFSSPARSE \"vm-000001-delta.vmdk\"\n\n# The Disk Data Base\n#DDB\n\nddb.longContentID = \"2ee5e9b5bd5c1fd4d3c0c86a33334444\"\n");
        using var disk = VmdkDisk.Open(Path.Combine(_dir, "vm-000001.vmdk"));
        Assert.Equal(2, disk.Chain.Count);
        Assert.Equal("vmfsSparse", disk.Subformat);
        Assert.Equal("vmfs", disk.Chain[1].CreateType);
        Assert.Equal("lsilogic", disk.AdapterType);
        AssertSameBytes(disk, VmdkBuilder.Expected(capacity * 512L, grains, 4096, baseData));
    }

    private static int FindGrainMarker(byte[] stream, long lba)
    {
        for (var pos = 512 * 128; pos + 12 <= stream.Length; pos += 512)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(stream.AsSpan(pos)) == (ulong)lba
                && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(stream.AsSpan(pos + 8)) != 0)
            {
                return pos;
            }
        }

        throw new InvalidOperationException("marker not found");
    }
}
