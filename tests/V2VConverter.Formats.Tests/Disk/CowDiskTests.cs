using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Raw;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Disk;

/// <summary>
/// The copy-on-write view the guest fixups write into when the output has no local file: checked against a plain
/// byte array that gets the same operations, over a real raw file with holes whose bytes must never change.
/// </summary>
public sealed class CowDiskTests : IDisposable
{
    private const int Block = CowDisk.BlockSize;

    /// <summary>Not a multiple of the block size, so the last block is short.</summary>
    private const int DiskSize = (40 * Block) + 12_345;

    private readonly string _dir = RepoPaths.NewTempDir("v2v-cow");
    private readonly string _overlayDir;
    private readonly string _basePath;
    private readonly byte[] _baseBytes;

    public CowDiskTests()
    {
        _overlayDir = Path.Combine(_dir, "overlay");
        Directory.CreateDirectory(_overlayDir);
        _basePath = Path.Combine(_dir, "base.raw");

        // Data in blocks 2-5 and 20-21 (plus a few bytes in the short last block), holes elsewhere.
        _baseBytes = new byte[DiskSize];
        var rng = new Random(12);
        rng.NextBytes(_baseBytes.AsSpan(2 * Block, 4 * Block));
        rng.NextBytes(_baseBytes.AsSpan(20 * Block, 2 * Block));
        rng.NextBytes(_baseBytes.AsSpan(DiskSize - 100, 100));
        using (var f = File.OpenHandle(_basePath, FileMode.CreateNew, FileAccess.Write))
        {
            RandomAccess.SetLength(f, DiskSize);
            RandomAccess.Write(f, _baseBytes.AsSpan(2 * Block, 4 * Block), 2 * Block);
            RandomAccess.Write(f, _baseBytes.AsSpan(20 * Block, 2 * Block), 20 * Block);
            RandomAccess.Write(f, _baseBytes.AsSpan(DiskSize - 100, 100), DiskSize - 100);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Random_writes_zeroes_and_trims_read_back_like_a_byte_array_and_the_base_is_untouched()
    {
        var baseHash = FileHash.Sha256(_basePath);
        var reference = (byte[])_baseBytes.Clone();
        var rng = new Random(7);
        using (var cow = Open())
        {
            Assert.Equal(_baseBytes, ReadAll(cow));
            for (var op = 0; op < 1500; op++)
            {
                var offset = rng.NextInt64(DiskSize);
                var length = (int)Math.Min(rng.Next(1, 3 * Block), DiskSize - offset);
                switch (rng.Next(5))
                {
                    case 0 or 1 or 2:
                        var data = new byte[length];
                        rng.NextBytes(data);
                        if (rng.Next(6) == 0)
                        {
                            Array.Clear(data);
                        }

                        cow.Write(offset, data);
                        data.CopyTo(reference, offset);
                        break;
                    case 3:
                        cow.WriteZeroes(offset, length);
                        Array.Clear(reference, (int)offset, length);
                        break;
                    default:
                        cow.Trim(offset, length);
                        Array.Clear(reference, (int)offset, length);
                        break;
                }

                if (op % 50 == 0)
                {
                    var rOff = rng.Next(DiskSize);
                    var rLen = rng.Next(0, DiskSize - rOff);
                    var got = new byte[rLen];
                    cow.Read(rOff, got);
                    Assert.True(reference.AsSpan(rOff, rLen).SequenceEqual(got), $"read of {rLen} at {rOff} after op {op}");
                    CheckExtents(cow, reference, rOff, rLen);
                }
            }

            Assert.Equal(reference, ReadAll(cow));
            CheckExtents(cow, reference, 0, DiskSize);
            Assert.True(cow.ChangedBlocks > 0);
            Assert.True(cow.OverlayBytes <= cow.ChangedBlocks * (long)Block);
        }

        Assert.Equal(baseHash, FileHash.Sha256(_basePath));
    }

    [Fact]
    public async Task Concurrent_writers_sharing_blocks_lose_no_write()
    {
        // 8 writers, each owning every 8th 4 KiB slice: all of them read-modify-write the same 64 KiB blocks at once.
        const int slice = 4096;
        const int writers = 8;
        var slices = DiskSize / slice;
        var expected = (byte[])_baseBytes.Clone();
        using var cow = Open();
        var readerFailures = 0;
        using var stop = new CancellationTokenSource();
        void ReadWhileWriting()
        {
            var buf = new byte[slice];
            var rng = new Random(3);
            while (!stop.IsCancellationRequested)
            {
                // Every slice reads as either its base bytes or its final bytes (byte value = writer + 1), never torn.
                var s = rng.Next(slices);
                cow.Read((long)s * slice, buf);
                var owner = (byte)((s % writers) + 1);
                if (!buf.AsSpan().SequenceEqual(_baseBytes.AsSpan(s * slice, slice)) && buf.AsSpan().ContainsAnyExcept(owner))
                {
                    Interlocked.Increment(ref readerFailures);
                }
            }
        }

        var reader = Task.Run(ReadWhileWriting, TestContext.Current.CancellationToken);

        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            var data = new byte[slice];
            Array.Fill(data, (byte)(w + 1));
            for (var s = w; s < slices; s += writers)
            {
                cow.Write((long)s * slice, data);
            }
        });
        stop.Cancel();
        await reader;

        for (var s = 0; s < slices; s++)
        {
            Array.Fill(expected, (byte)((s % writers) + 1), s * slice, slice);
        }

        Assert.Equal(expected, ReadAll(cow));
        Assert.Equal(0, readerFailures);
        CheckExtents(cow, expected, 0, DiskSize);
    }

    [Fact]
    public void Extents_lay_written_and_zeroed_blocks_over_the_base_map_coalesced_and_exact()
    {
        using var cow = Open();
        Assert.Equal(
            [
                new DiskExtent(0, 2 * Block, ExtentKind.Unallocated),
                new DiskExtent(2 * Block, 4 * Block, ExtentKind.Data),
                new DiskExtent(6 * Block, 14 * Block, ExtentKind.Unallocated),
                new DiskExtent(20 * Block, 2 * Block, ExtentKind.Data),
            ],
            cow.GetExtents(0, 22 * Block).ToArray());

        cow.Write((1 * Block) + 100, [1]);            // block 1: data, joins the base data of blocks 2-5
        cow.WriteZeroes(3 * Block, 2 * Block);          // blocks 3-4: zero inside base data
        cow.Write(10 * Block, new byte[Block]);         // a whole block of zeros: recorded as zero, not stored
        cow.Trim(11 * Block, Block);                    // block 11: zero, joins block 10
        cow.Write(DiskSize - 1, [9]);                   // the short last block

        Assert.Equal(
            [
                new DiskExtent(0, Block, ExtentKind.Unallocated),
                new DiskExtent(Block, 2 * Block, ExtentKind.Data),
                new DiskExtent(3 * Block, 2 * Block, ExtentKind.Zero),
                new DiskExtent(5 * Block, Block, ExtentKind.Data),
                new DiskExtent(6 * Block, 4 * Block, ExtentKind.Unallocated),
                new DiskExtent(10 * Block, 2 * Block, ExtentKind.Zero),
                new DiskExtent(12 * Block, 8 * Block, ExtentKind.Unallocated),
                new DiskExtent(20 * Block, 2 * Block, ExtentKind.Data),
                new DiskExtent(22 * Block, 18 * Block, ExtentKind.Unallocated),
                new DiskExtent(40 * Block, DiskSize - (40 * Block), ExtentKind.Data),
            ],
            cow.GetExtents(0, DiskSize).ToArray());

        // A window that starts and ends inside blocks is cut exactly; past the end is clamped.
        Assert.Equal(
            [
                new DiskExtent((3 * Block) + 7, (2 * Block) - 7, ExtentKind.Zero),
                new DiskExtent(5 * Block, 10, ExtentKind.Data),
            ],
            cow.GetExtents((3 * Block) + 7, (2 * Block) + 3).ToArray());
        Assert.Equal([new DiskExtent(DiskSize - 10, 10, ExtentKind.Data)], cow.GetExtents(DiskSize - 10, 1000).ToArray());
        Assert.Empty(cow.GetExtents(DiskSize, 10));

        // Only the blocks holding data use overlay storage: 1 (read-modify-write) and the last block.
        Assert.Equal(2 * Block, cow.OverlayBytes);
        Assert.False(ReadRange(cow, 3 * Block, 2 * Block).AsSpan().ContainsAnyExcept((byte)0));
    }

    [Fact]
    public void The_overlay_leaves_nothing_in_its_folder_even_while_open()
    {
        using (var cow = Open())
        {
            var data = new byte[3 * Block];
            new Random(1).NextBytes(data);
            cow.Write(5000, data);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_overlayDir));
            Assert.Equal(data, ReadRange(cow, 5000, data.Length));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_overlayDir));
        Assert.Equal(["base.raw", "overlay"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Writes_and_reads_outside_the_disk_are_refused_and_change_nothing()
    {
        using var cow = Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.Write(DiskSize - 1, [1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.Write(-1, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.Write(long.MaxValue, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.WriteZeroes(0, DiskSize + 1L));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.WriteZeroes(10, long.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.Trim(-5, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.Read(DiskSize - 1, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => cow.GetExtents(-1, 10).ToList());
        Assert.Equal(0, cow.ChangedBlocks);
        cow.Write(DiskSize, []);
        Assert.Equal(_baseBytes, ReadAll(cow));
        Assert.Equal("raw", cow.Format);
        Assert.Equal(DiskSize, cow.Length);
    }

    [Fact]
    public void Missing_overlay_folder_is_refused_and_dispose_leaves_the_base_open_when_asked()
    {
        using var raw = RawDisk.Open(_basePath);
        Assert.Throws<DirectoryNotFoundException>(() => new CowDisk(raw, Path.Combine(_dir, "nope"), leaveOpen: true));
        var cow = new CowDisk(raw, _overlayDir, leaveOpen: true);
        cow.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cow.Read(0, new byte[1]));
        var b = new byte[10];
        raw.Read(2 * Block, b);
        Assert.Equal(_baseBytes.AsSpan(2 * Block, 10).ToArray(), b);
    }

    private CowDisk Open() => new(RawDisk.Open(_basePath), _overlayDir, leaveOpen: false);

    private static byte[] ReadAll(CowDisk cow) => ReadRange(cow, 0, (int)cow.Length);

    private static byte[] ReadRange(CowDisk cow, long offset, int length)
    {
        var b = new byte[length];
        cow.Read(offset, b);
        return b;
    }

    /// <summary>The map covers the range exactly, in order, coalesced, and every non-data run reads as zeros.</summary>
    private static void CheckExtents(CowDisk cow, byte[] reference, long offset, long length)
    {
        var extents = cow.GetExtents(offset, length).ToList();
        var pos = offset;
        DiskExtent? previous = null;
        foreach (var e in extents)
        {
            Assert.Equal(pos, e.Offset);
            Assert.True(e.Length > 0, $"empty extent at {e.Offset}");
            Assert.False(previous is { } p && p.Kind == e.Kind, $"extents at {previous?.Offset} and {e.Offset} are both {e.Kind}: not coalesced");
            if (e.Kind != ExtentKind.Data)
            {
                Assert.False(reference.AsSpan((int)e.Offset, (int)e.Length).ContainsAnyExcept((byte)0), $"{e.Kind} extent {e.Offset}+{e.Length} holds data");
            }

            previous = e;
            pos = e.End;
        }

        Assert.Equal(Math.Min(offset + length, reference.Length), pos);
    }
}
