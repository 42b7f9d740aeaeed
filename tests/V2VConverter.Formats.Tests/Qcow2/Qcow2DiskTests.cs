using System.Buffers.Binary;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Tests.Convert;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Qcow2;

/// <summary>The qcow2 reader on qemu-made images (v3, v2, compressed, zero flags) against qemu's own raw output.</summary>
public sealed class Qcow2DiskTests
{
    [Theory]
    [InlineData("qcow2")]
    [InlineData("qcow2-c")]
    [InlineData("qcow2-v2")]
    public void Reads_qemu_images_like_the_raw_original(string input)
    {
        using var raw = DiskImage.Open(DiskFixtures.Raw);
        using var q = Qcow2Disk.Open(DiskFixtures.Input(input));
        Assert.Equal("qcow2", q.Format);
        Assert.Equal(DiskFixtures.RawSize, q.Length);
        DiskAssert.SameContent(raw, q);
    }

    [Fact]
    public void Zero_flags_and_discards_read_as_zeros_and_map_as_zero_or_unallocated()
    {
        using var expected = DiskImage.Open(DiskFixtures.Qcow2ZeroFlagsRaw);
        using var q = Qcow2Disk.Open(DiskFixtures.Qcow2ZeroFlags);
        DiskAssert.SameContent(expected, q);

        var extents = q.GetExtents(0, q.Length).ToList();
        AssertCovers(extents, 0, q.Length);
        Assert.Equal(ExtentKind.Zero, KindAt(extents, DiskFixtures.MiB + 1000));          // write -z over data
        Assert.Equal(ExtentKind.Data, KindAt(extents, (DiskFixtures.MiB * 3 / 2) + 10));  // data after the zeroed half
        Assert.NotEqual(ExtentKind.Data, KindAt(extents, 16 * DiskFixtures.MiB));        // write -z -u
        Assert.NotEqual(ExtentKind.Data, KindAt(extents, 17 * DiskFixtures.MiB));        // discard
        Assert.Equal(ExtentKind.Data, KindAt(extents, 30 * 1024));                        // new data in a hole
    }

    [Fact]
    public void Extents_cover_the_range_exactly_and_are_coalesced()
    {
        using var q = Qcow2Disk.Open(DiskFixtures.Qcow2);
        var all = q.GetExtents(0, q.Length).ToList();
        AssertCovers(all, 0, q.Length);
        Assert.Equal(ExtentKind.Unallocated, all[0].Kind);
        Assert.Equal(DiskFixtures.MiB, all[0].Length);
        Assert.Equal(new DiskExtent(DiskFixtures.MiB, DiskFixtures.MiB, ExtentKind.Data), all[1]);
        Assert.Equal(ExtentKind.Data, KindAt(all, 17 * DiskFixtures.MiB));
        Assert.Equal(ExtentKind.Unallocated, KindAt(all, 9 * DiskFixtures.MiB)); // written zeros: qemu left them out

        // A sub-range with unaligned ends is clipped exactly.
        var part = q.GetExtents(DiskFixtures.MiB - 100, 300).ToList();
        AssertCovers(part, DiskFixtures.MiB - 100, 300);
        Assert.Equal([ExtentKind.Unallocated, ExtentKind.Data], part.Select(e => e.Kind));
    }

    [Fact]
    public void Reads_at_odd_offsets_and_in_parallel()
    {
        using var raw = DiskImage.Open(DiskFixtures.Raw);
        using var q = Qcow2Disk.Open(DiskFixtures.Qcow2Compressed);
        Parallel.For(0, 64, i =>
        {
            var rng = new Random(i);
            var off = rng.NextInt64(0, q.Length - 200_000);
            var len = rng.Next(1, 200_000);
            var a = new byte[len];
            var b = new byte[len];
            raw.Read(off, a);
            q.Read(off, b);
            Assert.True(a.AsSpan().SequenceEqual(b), $"mismatch reading {len} at {off}");
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => q.Read(q.Length - 10, new byte[11]));
    }

    [Fact]
    public void Backing_files_are_refused()
    {
        Tool.Require("qemu-img");
        var dir = RepoPaths.NewTempDir();
        try
        {
            var child = Path.Combine(dir, "child.qcow2");
            Tool.Check("qemu-img", "create", "-f", "qcow2", "-b", DiskFixtures.Qcow2, "-F", "qcow2", child);
            var ex = Assert.Throws<NotSupportedException>(() => Qcow2Disk.Open(child));
            Assert.Contains("backing file", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Corrupt_l2_offset_is_invalid_data_naming_the_file()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var bad = Path.Combine(dir, "bad.qcow2");
            File.Copy(DiskFixtures.Qcow2, bad);
            using (var q = Qcow2Disk.Open(bad))
            {
                // Point L1[0] past the end of the file.
                var l1 = (long)q.Header.L1TableOffset;
                using var fs = new FileStream(bad, FileMode.Open, FileAccess.Write);
                var entry = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(entry, (1UL << 40) | Qcow2Layout.CopiedFlag);
                fs.Position = l1;
                fs.Write(entry);
            }

            using var corrupt = Qcow2Disk.Open(bad);
            var ex = Assert.Throws<InvalidDataException>(() => corrupt.Read(DiskFixtures.MiB, new byte[4096]));
            Assert.Contains("bad.qcow2", ex.Message);
            Assert.Contains("L2 offset", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Tiny_files_do_not_allocate_from_their_header()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var p = Path.Combine(dir, "tiny.qcow2");
            var b = new byte[512];
            new Qcow2Header
            {
                Version = 3, ClusterBits = 16, Size = 1UL << 50, L1Size = 0x7FFF_FFFF, L1TableOffset = 0x10000,
                RefcountOrder = 4, HeaderLength = 112,
            }.WriteTo(b);
            File.WriteAllBytes(p, b);
            var ex = Assert.Throws<InvalidDataException>(() => Qcow2Disk.Open(p));
            Assert.Contains("l1_size", ex.Message);

            File.WriteAllBytes(p, b.AsSpan(0, 40).ToArray());
            Assert.Throws<EndOfStreamException>(() => Qcow2Disk.Open(p));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    internal static void AssertCovers(IReadOnlyList<DiskExtent> extents, long offset, long length)
    {
        Assert.NotEmpty(extents);
        Assert.Equal(offset, extents[0].Offset);
        Assert.Equal(offset + length, extents[^1].End);
        for (var i = 1; i < extents.Count; i++)
        {
            Assert.Equal(extents[i - 1].End, extents[i].Offset);
            Assert.NotEqual(extents[i - 1].Kind, extents[i].Kind);
            Assert.True(extents[i].Length > 0);
        }
    }

    private static ExtentKind KindAt(IEnumerable<DiskExtent> extents, long offset) =>
        extents.First(e => e.Offset <= offset && offset < e.End).Kind;
}
