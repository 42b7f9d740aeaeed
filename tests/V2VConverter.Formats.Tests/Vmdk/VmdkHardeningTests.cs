using System.Buffers.Binary;
using System.Text;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;
using static V2VConverter.Formats.Tests.Vmdk.Helpers.QemuFixtures;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>
/// Issue 11, the disk-format points: a cut stream is an error (or a warning on request), small crafted inputs cost
/// little memory (measured as bytes allocated, never as time), the virtual size is bounded, and a raw image is never
/// probed as a descriptor.
/// </summary>
[Collection(AllocationMeasuringCollection.Name)]
public sealed class VmdkHardeningTests : IDisposable
{
    private const int Sector = 512;
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-harden");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CutQemuStream()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB, seed: 5);
        var vmdk = Path.Combine(_dir, "cut.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", src, vmdk);
        var bytes = File.ReadAllBytes(vmdk);
        File.WriteAllBytes(vmdk, bytes.AsSpan(0, (bytes.Length * 2 / 3) + 777).ToArray());
        return vmdk;
    }

    [Fact]
    public void A_cut_qemu_stream_is_an_end_of_stream_error_naming_the_file_and_the_last_good_grain()
    {
        var vmdk = CutQemuStream();
        var ex = Assert.Throws<EndOfStreamException>(() => VmdkDisk.Open(vmdk).Dispose());
        Assert.Contains(vmdk, ex.Message, StringComparison.Ordinal);
        Assert.Contains("last good grain", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--allow-truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_qemu_stream_that_ends_right_after_its_last_grain_is_whole()
    {
        // qemu-img 7.2 writes no end-of-stream marker when the disk's last grain holds data: the file ends with that
        // grain. Its tables (at the front) and the last grain are whole, so it is not cut; qemu-img reads it too.
        Tool.Require("qemu-img");
        var src = Path.Combine(_dir, "tail.raw");
        var data = new byte[4 * MiB];
        new Random(13).NextBytes(data.AsSpan((int)(3 * MiB)));
        File.WriteAllBytes(src, data);
        var vmdk = Path.Combine(_dir, "tail.vmdk");
        Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", src, vmdk);
        var tail = File.ReadAllBytes(vmdk)[^Sector..];
        Assert.True(tail.AsSpan().IndexOfAnyExcept((byte)0) >= 0, "qemu-img wrote an end-of-stream marker here after all: this test no longer covers the case");

        using var disk = VmdkDisk.Open(vmdk);
        var read = new byte[disk.Length];
        disk.Read(0, read);
        Assert.Equal(data, read);
        Assert.Empty(disk.Warnings);

        // Cut inside that last grain, it is cut.
        var cut = Path.Combine(_dir, "tail-cut.vmdk");
        File.WriteAllBytes(cut, File.ReadAllBytes(vmdk)[..^1000]);
        Assert.Throws<EndOfStreamException>(() => VmdkDisk.Open(cut).Dispose());
    }

    [Fact]
    public void A_vmware_stream_without_its_footer_and_end_of_stream_marker_is_cut()
    {
        var grains = new Dictionary<long, byte[]> { [0] = Helpers.VmdkBuilder.Random(64 * 1024, 1), [600] = Helpers.VmdkBuilder.Random(64 * 1024, 2) };
        var full = Helpers.VmdkBuilder.VmwareStream(40 * 2048, grains);
        var path = Path.Combine(_dir, "nofooter.vmdk");
        File.WriteAllBytes(path, full.AsSpan(0, full.Length - 1536).ToArray());
        var ex = Assert.Throws<EndOfStreamException>(() => VmdkDisk.Open(path).Dispose());
        Assert.Contains("guest sector 76800", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A hosted sparse header with one-sector grains and one entry per grain table: the most GD entries per byte of capacity.</summary>
    private static byte[] TinyGrainHeader(long capacitySectors, ulong gdOffset)
    {
        var h = new SparseExtentHeader
        {
            Version = 1,
            Flags = SparseExtentFlags.ValidNewLineDetection,
            Capacity = (ulong)capacitySectors,
            GrainSize = 1,
            NumGtesPerGt = 1,
            GdOffset = gdOffset,
            OverHead = 1,
            NewLineChars = SparseExtentHeader.IntactNewLineChars,
        };
        var sector = new byte[Sector];
        h.WriteTo(sector);
        return sector;
    }

    [Fact]
    public void A_grain_directory_of_16M_entries_is_refused_by_its_bound_before_it_is_read()
    {
        // 16M GD entries (64 MiB of GD for an 8 GiB disk): refused, naming the fields and the bound.
        const long entries = 1L << 24;
        var path = Path.Combine(_dir, "gd16m.vmdk");
        using (var f = File.Create(path))
        {
            f.Write(TinyGrainHeader(entries, 1));
            f.SetLength(Sector + (entries * 4));
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<InvalidDataException>(() => VmdkDisk.Open(path).Dispose());
        Assert.Contains("grain directory entries", ex.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 8 * MiB, "the bound is checked before the GD is read");
    }

    [Fact]
    public void A_million_one_sector_grain_tables_are_mapped_in_bounded_memory()
    {
        // 1M GD entries, each pointing at its own one-entry grain table (all holes): the metadata must not be one object per table.
        const int entries = 1 << 20;
        const long gdSectors = entries * 4 / Sector;
        const long firstGt = 1 + gdSectors;
        var path = Path.Combine(_dir, "gt1m.vmdk");
        using (var f = File.Create(path))
        {
            f.Write(TinyGrainHeader(entries, 1));
            var gd = new byte[entries * 4];
            for (var i = 0; i < entries; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(gd.AsSpan(i * 4), (uint)(firstGt + i));
            }

            f.Write(gd);
            f.SetLength((firstGt + entries) * Sector);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using (var disk = VmdkDisk.Open(path))
        {
            Assert.Equal(0, disk.AllocatedBytes);
            Assert.Equal([new DiskExtent(0, entries * (long)Sector, ExtentKind.Unallocated)], disk.GetExtents(0, disk.Length).ToList());
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 48 * MiB, $"allocated {allocated / MiB} MiB to map 1M grain tables");
    }

    [Fact]
    public void A_stream_of_one_sector_grain_markers_is_scanned_in_bounded_memory()
    {
        // 100k grain markers of one sector each, every one in its own grain table (32 MiB apart), no footer, then EOS.
        const int markers = 100_000;
        const long gtCoverageSectors = 512 * 128;
        var capacity = markers * gtCoverageSectors;
        var header = new SparseExtentHeader
        {
            Version = 3,
            Flags = SparseExtentFlags.ValidNewLineDetection | SparseExtentFlags.CompressedGrains | SparseExtentFlags.Markers,
            Capacity = (ulong)capacity,
            GrainSize = 128,
            NumGtesPerGt = 512,
            GdOffset = SparseExtentHeader.GdAtEnd,
            OverHead = 1,
            NewLineChars = SparseExtentHeader.IntactNewLineChars,
            CompressAlgorithm = SparseExtentHeader.CompressionDeflate,
        };
        var bytes = new byte[(markers + 2) * Sector];
        header.WriteTo(bytes);
        for (var i = 0; i < markers; i++)
        {
            new StreamMarker { Value = (ulong)(i * gtCoverageSectors), Size = 1 }.WriteTo(bytes.AsSpan((i + 1) * Sector));
        }

        new StreamMarker { Value = 0, Size = 0, Type = StreamMarkerType.EndOfStream }.WriteTo(bytes.AsSpan((markers + 1) * Sector));
        var path = Path.Combine(_dir, "markers.vmdk");
        File.WriteAllBytes(path, bytes);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using (var disk = VmdkDisk.Open(path))
        {
            Assert.Equal(markers * 64L * 1024, disk.AllocatedBytes);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 48 * MiB, $"allocated {allocated / MiB} MiB to scan {markers} markers");
    }

    [Fact]
    public void A_descriptor_whose_extents_sum_past_the_capacity_bound_is_refused_naming_the_sum()
    {
        var text = new StringBuilder("# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"custom\"\n\n");
        const long extentSectors = (64L << 40) / Sector;
        for (var i = 0; i < 4096; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"RW {extentSectors} ZERO\n");
        }

        var path = Path.Combine(_dir, "zeros.vmdk");
        File.WriteAllText(path, text.ToString());
        var ex = Assert.Throws<InvalidDataException>(() => VmdkDisk.Open(path).Dispose());
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("virtual size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_qcow2_with_an_l1_of_4M_entries_is_refused_naming_the_fields()
    {
        Tool.Require("qemu-img");
        var path = Path.Combine(_dir, "big.qcow2");
        Qemu("create", "-f", "qcow2", path, "2P");
        var ex = Assert.Throws<InvalidDataException>(() => Qcow2Disk.Open(path).Dispose());
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("l1_size 4194304", ex.Message, StringComparison.Ordinal);
        Assert.Contains("64 TiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_image_whose_first_sector_holds_a_descriptor_is_probed_as_raw()
    {
        File.WriteAllBytes(Path.Combine(_dir, "sibling-flat.vmdk"), Helpers.VmdkBuilder.Random(1024 * 1024, 4));
        var desc = Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"sibling-flat.vmdk\" 0\n");
        var image = new byte[4 * 1024 * 1024];
        desc.CopyTo(image, 0);
        Helpers.VmdkBuilder.Random(4096, 5).CopyTo(image, 8192);
        var raw = Path.Combine(_dir, "guest.img");
        File.WriteAllBytes(raw, image);

        Assert.Equal("raw", DiskImage.DetectFormat(raw));
        using (var disk = DiskImage.Open(raw))
        {
            Assert.Equal("raw", disk.Format);
            Assert.Equal(image.Length, disk.Length);
        }

        // A descriptor file (small text, maybe NUL-padded to its sector as qemu-img convert writes it) is still a VMDK.
        var file = Path.Combine(_dir, "real.vmdk");
        File.WriteAllBytes(file, desc);
        Assert.Equal("vmdk", DiskImage.DetectFormat(file));
        File.WriteAllBytes(file, [.. desc, .. new byte[512 - desc.Length]]);
        Assert.Equal("vmdk", DiskImage.DetectFormat(file));

        // qemu-img pads to the file system's alignment (4 KiB on some hosts) and rewrites the CID as 10 KiB: still a descriptor.
        File.WriteAllBytes(file, [.. desc, .. new byte[4096 - desc.Length]]);
        Assert.Equal("vmdk", DiskImage.DetectFormat(file));
        File.WriteAllBytes(file, [.. desc, .. new byte[10240 - desc.Length]]);
        Assert.Equal("vmdk", DiskImage.DetectFormat(file));

        // Text then more NULs than any descriptor writer pads with is an image, not a padded descriptor.
        File.WriteAllBytes(file, [.. desc, .. new byte[VmdkSniffer.MaxPaddedDescriptorBytes + 1 - desc.Length]]);
        Assert.Equal("raw", DiskImage.DetectFormat(file));
    }
}

/// <summary>
/// Tests that measure the bytes allocated by the process (<see cref="GC.GetTotalAllocatedBytes(bool)"/>) run alone:
/// any test running beside them would count in their measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasuringCollection
{
    public const string Name = "allocation measuring (runs alone)";
}
