using System.Buffers.Binary;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Qcow2;

/// <summary>
/// Single-pass qcow2 v3 writer, "metadata at end" layout (disk-formats.md §5.5, Layout A):
/// cluster 0 reserved; data clusters (plain, or compressed and packed byte-granular) in guest order; each L2 table
/// appended when the guest offset leaves its range; then L1, refcount blocks, refcount table; the header last.
/// Until <see cref="Finish"/> writes the header the file has no qcow2 magic. Chunks must arrive in guest order.
/// Every byte goes through an <see cref="IImageSink"/> at increasing offsets (cluster 0 stays a hole), then the header
/// cluster once at offset 0, so the same writer fills a local file or a sequential upload stream.
/// Memory: one L2 table, the L1, the stage buffer, and 2 bytes of refcount per host cluster.
/// </summary>
internal sealed class Qcow2Writer : IDiskTarget
{
    private const int StageCapacity = 1024 * 1024;

    private readonly IImageSink _sink;
    private readonly ulong _size;
    private readonly int _clusterBits;
    private readonly int _clusterSize;
    private readonly int _l2Bits;
    private readonly int _compressedOffsetBits;
    private readonly ulong[] _l1;
    private readonly ulong[] _l2;
    private readonly RefcountMap _refcounts;
    private readonly byte[] _stage;
    private long _currentL1Index = -1;
    private bool _l2Dirty;
    private long _cursor;     // next free host byte
    private long _stageStart; // host offset of _stage[0]; _cursor == _stageStart + staged bytes
    private long _lastGuestCluster = -1;

    public Qcow2Writer(IImageSink sink, ulong virtualSize, int clusterSize, bool compress)
    {
        _sink = sink;

        // qemu handles whole sectors only (it rounds the size of a new qcow2 up the same way); the tail reads as zeros.
        _size = (virtualSize + Qcow2Layout.SectorSize - 1) / Qcow2Layout.SectorSize * Qcow2Layout.SectorSize;
        _clusterSize = clusterSize;
        _clusterBits = System.Numerics.BitOperations.Log2((uint)clusterSize);
        _l2Bits = _clusterBits - 3;
        _compressedOffsetBits = Qcow2Layout.CompressedOffsetBits(_clusterBits);
        var l1Size = Qcow2Header.RequiredL1Size(_size, _clusterBits);
        if (l1Size * 8 > Qcow2Layout.MaxL1Bytes)
        {
            throw new ArgumentException($"a {virtualSize}-byte disk needs an L1 table of {l1Size * 8} bytes with {clusterSize}-byte clusters (max {Qcow2Layout.MaxL1Bytes}); use a larger cluster size");
        }

        _l1 = new ulong[l1Size];
        _l2 = new ulong[clusterSize / 8];
        _refcounts = new RefcountMap(_clusterBits);
        _stage = new byte[Math.Max(StageCapacity, clusterSize * 2)];
        WantsCompression = compress;
        _refcounts.Add(0, 1); // the header cluster
        _cursor = clusterSize;
        _stageStart = clusterSize;
        _sink.SetLength(clusterSize); // the header cluster: a hole until Finish
    }

    public int BlockSize => _clusterSize;

    public bool WantsCompression { get; }

    public void Write(DiskChunk chunk)
    {
        var data = chunk.Data!;
        var states = chunk.BlockState!;
        var firstCluster = chunk.Offset >> _clusterBits;
        var count = chunk.BlockCount;
        var i = 0;
        while (i < count)
        {
            var state = states[i];
            var guestCluster = firstCluster + i;
            if (state == DiskChunk.Zero)
            {
                i++;
                continue;
            }

            if (state >= 0)
            {
                SelectL2(guestCluster);
                var entry = AppendCompressed(chunk.Compressed.AsSpan(chunk.CompressedOffset![i], state));
                SetL2(guestCluster, entry);
                i++;
                continue;
            }

            // A run of plain clusters inside the current L2 range: one write.
            SelectL2(guestCluster);
            var j = i + 1;
            while (j < count && states[j] == DiskChunk.Plain && ((firstCluster + j) >> _l2Bits) == _currentL1Index)
            {
                j++;
            }

            var host = AppendPlain(data.AsSpan(i * _clusterSize, (j - i) * _clusterSize));
            for (var k = i; k < j; k++)
            {
                SetL2(firstCluster + k, (ulong)(host + ((long)(k - i) << _clusterBits)) | Qcow2Layout.CopiedFlag);
            }

            _lastGuestCluster = firstCluster + j - 1;

            i = j;
        }
    }

    public long Finish()
    {
        FlushL2();
        AlignCursor();
        FlushStage();

        // L1 table (none at all for an empty disk: an unreferenced cluster would be a leak).
        var cs = (long)_clusterSize;
        var l1Offset = _l1.Length == 0 ? 0 : _cursor;
        var l1Bytes = _l1.Length * 8L;
        var l1Clusters = (l1Bytes + cs - 1) / cs;
        if (l1Clusters > 0)
        {
            var l1Buffer = new byte[l1Clusters * cs];
            for (var i = 0; i < _l1.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(l1Buffer.AsSpan(i * 8), _l1[i]);
            }

            _sink.Write(l1Buffer, l1Offset);
            _refcounts.AddRange(l1Offset / cs, l1Clusters);
            _cursor = l1Offset + (l1Clusters * cs);
        }

        // Refcount blocks and table must cover themselves: R = ceil((N+R+T)/rbEntries), T = ceil(R*8/cs).
        var used = _cursor / cs;
        var rbEntries = cs * 8 / (1 << Qcow2Layout.WrittenRefcountOrder);
        long blocks = 0, tableClusters = 0;
        while (true)
        {
            var total = used + blocks + tableClusters;
            var newBlocks = (total + rbEntries - 1) / rbEntries;
            var newTable = ((newBlocks * 8) + cs - 1) / cs;
            if (newBlocks == blocks && newTable == tableClusters)
            {
                break;
            }

            blocks = newBlocks;
            tableClusters = newTable;
        }

        var blocksOffset = _cursor;
        var tableOffset = blocksOffset + (blocks * cs);
        _refcounts.AddRange(blocksOffset / cs, blocks + tableClusters);
        var end = tableOffset + (tableClusters * cs);

        var block = new byte[cs];
        for (long b = 0; b < blocks; b++)
        {
            Array.Clear(block);
            _refcounts.WriteBlock(b, block);
            _sink.Write(block, blocksOffset + (b * cs));
        }

        var table = new byte[tableClusters * cs];
        for (long b = 0; b < blocks; b++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((int)(b * 8)), (ulong)(blocksOffset + (b * cs)));
        }

        _sink.Write(table, tableOffset);
        _sink.SetLength(end);

        // Everything the header points at is complete (and durable, for a file with fsync) before the header exists.
        _sink.Flush();

        var header = new Qcow2Header
        {
            Version = 3,
            ClusterBits = _clusterBits,
            Size = _size,
            L1Size = (uint)_l1.Length,
            L1TableOffset = (ulong)l1Offset,
            RefcountTableOffset = (ulong)tableOffset,
            RefcountTableClusters = (uint)tableClusters,
            RefcountOrder = Qcow2Layout.WrittenRefcountOrder,
            HeaderLength = HeaderFields.V3WrittenLength,
        };
        var headerCluster = new byte[cs];
        header.WriteTo(headerCluster);
        Qcow2FeatureNames.WriteExtensions(headerCluster.AsSpan(HeaderFields.V3WrittenLength));
        _sink.WriteHeader(headerCluster, 0);
        return end;
    }

    private void SelectL2(long guestCluster)
    {
        if (guestCluster <= _lastGuestCluster)
        {
            throw new InvalidOperationException($"qcow2 writer: guest cluster {guestCluster} arrived after {_lastGuestCluster}; chunks must be in guest order");
        }

        _lastGuestCluster = guestCluster;
        var l1Index = guestCluster >> _l2Bits;
        if (l1Index != _currentL1Index)
        {
            FlushL2();
            _currentL1Index = l1Index;
        }
    }

    private void SetL2(long guestCluster, ulong entry)
    {
        _l2[guestCluster & ((1L << _l2Bits) - 1)] = entry;
        _l2Dirty = true;
    }

    /// <summary>Appends the current L2 table (cluster-aligned) and points its L1 entry at it.</summary>
    private void FlushL2()
    {
        if (_currentL1Index < 0 || !_l2Dirty)
        {
            return;
        }

        AlignCursor();
        var offset = _cursor;
        var raw = new byte[_clusterSize];
        for (var i = 0; i < _l2.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(raw.AsSpan(i * 8), _l2[i]);
        }

        Stage(raw);
        _refcounts.Add(offset >> _clusterBits, 1);
        _l1[_currentL1Index] = (ulong)offset | Qcow2Layout.CopiedFlag;
        Array.Clear(_l2);
        _l2Dirty = false;
    }

    private long AppendPlain(ReadOnlySpan<byte> clusters)
    {
        AlignCursor();
        var host = _cursor;
        if (clusters.Length >= _stage.Length / 2)
        {
            FlushStage();
            _sink.Write(clusters, host);
            _cursor += clusters.Length;
            _stageStart = _cursor;
        }
        else
        {
            Stage(clusters);
        }

        _refcounts.AddRange(host >> _clusterBits, clusters.Length >> _clusterBits);
        return host;
    }

    /// <summary>Packs compressed bytes at the next free byte; returns the L2 descriptor (never COPIED).</summary>
    private ulong AppendCompressed(ReadOnlySpan<byte> compressed)
    {
        var off = _cursor;
        Stage(compressed);
        var firstSector = off / Qcow2Layout.SectorSize;
        var lastSector = (off + compressed.Length - 1) / Qcow2Layout.SectorSize;
        var extraSectors = (ulong)(lastSector - firstSector);

        // Every host cluster touched by [first sector, last sector] gets +1 (what qemu-img check counts).
        var firstCluster = (firstSector * Qcow2Layout.SectorSize) >> _clusterBits;
        var lastCluster = ((lastSector + 1) * Qcow2Layout.SectorSize - 1) >> _clusterBits;
        for (var c = firstCluster; c <= lastCluster; c++)
        {
            _refcounts.Add(c, 1);
        }

        return Qcow2Layout.CompressedFlag | (extraSectors << _compressedOffsetBits) | (ulong)off;
    }

    /// <summary>Pads the staged bytes with zeros up to the next cluster boundary.</summary>
    private void AlignCursor()
    {
        var rem = (int)(_cursor & (_clusterSize - 1));
        if (rem != 0)
        {
            var pad = _clusterSize - rem;
            Span<byte> zeros = stackalloc byte[512];
            while (pad > 0)
            {
                var n = Math.Min(pad, zeros.Length);
                Stage(zeros[..n]);
                pad -= n;
            }
        }
    }

    private void Stage(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            var used = (int)(_cursor - _stageStart);
            if (used == _stage.Length)
            {
                FlushStage();
                used = 0;
            }

            var n = Math.Min(bytes.Length, _stage.Length - used);
            bytes[..n].CopyTo(_stage.AsSpan(used));
            _cursor += n;
            bytes = bytes[n..];
        }
    }

    private void FlushStage()
    {
        var used = (int)(_cursor - _stageStart);
        if (used > 0)
        {
            _sink.Write(_stage.AsSpan(0, used), _stageStart);
        }

        _stageStart = _cursor;
    }

    /// <summary>Refcounts per host cluster in lazily allocated 16-bit pages (one page per refcount block).</summary>
    private sealed class RefcountMap(int clusterBits)
    {
        private readonly int _pageBits = clusterBits + 3 - Qcow2Layout.WrittenRefcountOrder;
        private readonly List<ushort[]?> _pages = [];

        public void Add(long cluster, int delta)
        {
            var page = GetPage(cluster >> _pageBits);
            var i = (int)(cluster & ((1L << _pageBits) - 1));
            var v = page[i] + delta;
            if (v > ushort.MaxValue)
            {
                throw new InvalidOperationException($"qcow2 writer: refcount of host cluster {cluster} overflows 16 bits");
            }

            page[i] = (ushort)v;
        }

        public void AddRange(long firstCluster, long count)
        {
            for (var c = firstCluster; c < firstCluster + count; c++)
            {
                Add(c, 1);
            }
        }

        public void WriteBlock(long blockIndex, Span<byte> dest)
        {
            if (blockIndex >= _pages.Count || _pages[(int)blockIndex] is not { } page)
            {
                return;
            }

            for (var i = 0; i < page.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(dest[(i * 2)..], page[i]);
            }
        }

        private ushort[] GetPage(long index)
        {
            while (_pages.Count <= index)
            {
                _pages.Add(null);
            }

            return _pages[(int)index] ??= new ushort[1 << _pageBits];
        }
    }
}
