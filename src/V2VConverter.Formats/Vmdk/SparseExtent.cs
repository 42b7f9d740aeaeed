using System.Buffers;
using System.Buffers.Binary;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Vmdk;

/// <summary>
/// A grain-directory/grain-table extent: hosted sparse (KDMV v1-3, zeroed-grain GTEs, redundant GD),
/// streamOptimized (compressed grains behind markers, GD at start or at the end, or a map rebuilt
/// by scanning markers) and COWD. Grain tables are loaded lazily, one at a time, and validated
/// against the file length and the metadata ranges when they are loaded.
/// </summary>
internal sealed partial class SparseExtent : VmdkExtent
{
    /// <summary>The state of one grain-table slot.</summary>
    private enum TableState
    {
        Unallocated,
        Zero,
        Table,
    }

    private readonly DiskFile _file;
    private readonly string _path;
    private readonly long _fileLength;
    private readonly long _length;
    private readonly long _grainBytes;
    private readonly int _grainShift;
    private readonly int _gtEntries;
    private readonly long _gtCoverage;
    private readonly bool _zeroGrain;
    private readonly bool _compressed;
    private readonly string _kind;

    // Grain-directory mode: effective GD entries (sectors of grain tables), a bounded cache of loaded tables,
    // one byte per GD entry that remembers a table found to hold only holes, metadata ranges.
    private readonly uint[]? _gd;
    private readonly Dictionary<long, uint[]>? _tables;
    private readonly Queue<long>? _tableOrder;
    private readonly bool[]? _holeTables;
    private readonly int _maxCachedTables;
    private readonly MetadataRanges _metadata;

    // Scan mode (stream without footer): the grain map rebuilt from the markers, as sorted parallel arrays.
    private readonly ScannedGrains? _scanned;

    private SparseExtent(DiskFile file, string path, long fileLength, long length, long grainSectors, int gtEntries, bool zeroGrain, bool compressed, string kind,
        uint[]? gd, MetadataRanges metadata, ScannedGrains? scanned)
    {
        _file = file;
        _path = path;
        _fileLength = fileLength;
        _length = length;
        _grainBytes = grainSectors * VmdkLimits.SectorSize;
        _grainShift = System.Numerics.BitOperations.Log2((ulong)_grainBytes);
        _gtEntries = gtEntries;
        _gtCoverage = _grainBytes * gtEntries;
        _zeroGrain = zeroGrain;
        _compressed = compressed;
        _kind = kind;
        _gd = gd;
        _tables = gd is null ? null : [];
        _tableOrder = gd is null ? null : new Queue<long>();
        _holeTables = gd is null ? null : new bool[gd.Length];
        _maxCachedTables = (int)Math.Max(TableBatch * 2, CachedTableBytes / (gtEntries * 4L));
        _metadata = metadata;
        _scanned = scanned;
    }

    public override long Length => _length;

    public override string Kind => _kind;

    public override long FileLength => _fileLength;

    public override void Dispose() => _file.Dispose();

    private int GtSectors => ((_gtEntries * 4) + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize;

    public override void Map(long offset, long length, List<ExtentRun> runs)
    {
        if (offset < 0 || length < 0 || offset + length > _length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} outside the extent of {_length} bytes");
        }

        if (_scanned is not null)
        {
            MapScanned(offset, length, runs);
            return;
        }

        var pos = offset;
        var end = offset + length;
        while (pos < end)
        {
            var gtIndex = pos / _gtCoverage;
            var gtEnd = Math.Min(end, (gtIndex + 1) * _gtCoverage);
            var state = GetTable(gtIndex, out var table);
            if (state != TableState.Table)
            {
                // A whole run of GD entries with the same empty state is one run (vectorized): the walk costs
                // what the directory holds, not what the capacity is.
                var gdEntry = _gd![gtIndex];
                if (state == TableState.Unallocated && gdEntry != 0)
                {
                    gdEntry = uint.MaxValue; // a table of holes: only itself
                }

                var same = gdEntry == uint.MaxValue ? 1 : _gd.AsSpan((int)gtIndex).IndexOfAnyExcept(gdEntry);
                var runTables = same < 0 ? _gd.Length - gtIndex : Math.Max(same, 1);
                gtEnd = Math.Min(end, (gtIndex + runTables) * _gtCoverage);
                AddRun(runs, new ExtentRun(pos, gtEnd - pos, state == TableState.Zero ? RunKind.Zero : RunKind.Unallocated, 0));
                pos = gtEnd;
                continue;
            }

            while (pos < gtEnd)
            {
                var grain = pos >> _grainShift;
                var grainStart = grain << _grainShift;
                var next = Math.Min(gtEnd, grainStart + _grainBytes);
                var slot = (int)(grain % _gtEntries);
                var entry = table![slot];
                if (entry == 0 || (entry == 1 && _zeroGrain))
                {
                    // Jump over the whole run of identical hole/zero entries at once (vectorized).
                    var same = table.AsSpan(slot).IndexOfAnyExcept(entry);
                    var runGrains = same < 0 ? _gtEntries - slot : same;
                    next = Math.Min(gtEnd, grainStart + (runGrains * _grainBytes));
                    AddRun(runs, new ExtentRun(pos, next - pos, entry == 0 ? RunKind.Unallocated : RunKind.Zero, 0));
                }
                else if (_compressed)
                {
                    AddRun(runs, new ExtentRun(pos, next - pos, RunKind.Compressed, (long)entry * VmdkLimits.SectorSize));
                }
                else
                {
                    AddRun(runs, new ExtentRun(pos, next - pos, RunKind.Data, ((long)entry * VmdkLimits.SectorSize) + (pos - grainStart)));
                }

                pos = next;
            }
        }
    }

    public override void Read(long offset, Span<byte> buffer, FallThroughRead fallThrough)
    {
        var runs = new List<ExtentRun>();
        Map(offset, buffer.Length, runs);
        List<ExtentRun>? compressed = null;
        foreach (var run in runs)
        {
            var slice = buffer.Slice((int)(run.Offset - offset), (int)run.Length);
            switch (run.Kind)
            {
                case RunKind.Data:
                    ReadExactly(_file, slice, run.HostOffset, _path, "grain data");
                    break;
                case RunKind.Zero:
                    slice.Clear();
                    break;
                case RunKind.Unallocated:
                    fallThrough(run.Offset, slice);
                    break;
                case RunKind.Compressed:
                    (compressed ??= []).Add(run);
                    break;
            }
        }

        if (compressed is not null)
        {
            ReadCompressed(compressed, offset, buffer);
        }
    }

    private TableState GetTable(long gtIndex, out uint[]? table)
    {
        table = null;
        var entry = _gd![gtIndex];
        if (entry == 0)
        {
            return TableState.Unallocated;
        }

        if (entry == 1 && _zeroGrain)
        {
            return TableState.Zero;
        }

        lock (_tables!)
        {
            if (_holeTables![gtIndex])
            {
                return TableState.Unallocated;
            }

            if (!_tables.TryGetValue(gtIndex, out table))
            {
                table = LoadTable(gtIndex, entry);
            }
        }

        return table is null ? TableState.Unallocated : TableState.Table;
    }

    /// <summary>At most this many bytes of grain tables are kept loaded (tables of holes are remembered by one byte each).</summary>
    private const long CachedTableBytes = 8L << 20;

    /// <summary>Keeps a loaded table (caller holds the lock), evicting the oldest when the cache is full.</summary>
    private void CacheTable(long gtIndex, uint[] table)
    {
        if (_tables!.ContainsKey(gtIndex))
        {
            return;
        }

        while (_tables.Count >= _maxCachedTables && _tableOrder!.TryDequeue(out var old))
        {
            _tables.Remove(old);
        }

        _tables[gtIndex] = table;
        _tableOrder!.Enqueue(gtIndex);
    }

    /// <summary>Grain tables read together when their GD entries are consecutive on disk (qemu and VMware preallocate them so).</summary>
    private const int TableBatch = 64;

    /// <summary>
    /// Loads grain table <paramref name="gtIndex"/> and, in the same pread, the following tables stored right after it
    /// (caller holds the lock). Returns null for a table of holes, which is remembered as such and not kept.
    /// </summary>
    private uint[]? LoadTable(long gtIndex, uint sector)
    {
        var gtBytes = _gtEntries * 4;
        var stride = GtSectors;
        var count = 1;
        while (count < TableBatch && gtIndex + count < _gd!.Length && !_tables!.ContainsKey(gtIndex + count) && !_holeTables![gtIndex + count]
            && _gd[gtIndex + count] == sector + ((long)count * stride))
        {
            count++;
        }

        var strideBytes = stride * VmdkLimits.SectorSize;
        var total = ((count - 1) * strideBytes) + gtBytes;
        var raw = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            ReadExactly(_file, raw.AsSpan(0, total), (long)sector * VmdkLimits.SectorSize, _path, $"grain table {gtIndex}");
            uint[]? first = null;
            for (var k = 0; k < count; k++)
            {
                var bytes = raw.AsSpan(k * strideBytes, gtBytes);
                if (bytes.IndexOfAnyExcept((byte)0) < 0)
                {
                    _holeTables![gtIndex + k] = true;
                    continue;
                }

                var table = new uint[_gtEntries];
                DecodeU32s(bytes, table);
                ValidateTable(gtIndex + k, table);
                CacheTable(gtIndex + k, table);
                if (k == 0)
                {
                    first = table;
                }
            }

            return first;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>Little-endian u32 array decode (a block copy on little-endian hosts).</summary>
    internal static void DecodeU32s(ReadOnlySpan<byte> src, Span<uint> dst)
    {
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(src[..(dst.Length * 4)]).CopyTo(dst);
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.ReverseEndianness(dst, dst);
        }
    }

    /// <summary>
    /// Checks every entry of a grain table: entries for grains beyond the capacity are ignored (qemu
    /// makes more slots than the capacity needs); the rest must point inside the file and not into metadata.
    /// </summary>
    private void ValidateTable(long gtIndex, uint[] table)
    {
        if (table.AsSpan().IndexOfAnyExcept(0u) < 0)
        {
            return;
        }

        for (var j = 0; j < table.Length; j++)
        {
            var e = table[j];
            var grainStart = ((gtIndex * _gtEntries) + j) * _grainBytes;
            if (grainStart >= _length)
            {
                table[j] = 0;
                continue;
            }

            if (e == 0 || (e == 1 && _zeroGrain))
            {
                continue;
            }

            var needed = _compressed ? MarkerLayout.GrainHeaderSize : Math.Min(_grainBytes, _length - grainStart);
            var host = (long)e * VmdkLimits.SectorSize;
            if (host + needed > _fileLength)
            {
                var truncated = new InvalidDataException($"{_path}: grain table {gtIndex} entry {j} has the bad value {e}: the grain lies beyond the end of file ({_fileLength} bytes); the file is truncated or corrupt");
                truncated.Data[TruncatedKey] = true;
                throw truncated;
            }

            var sectors = (needed + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize;
            if (_metadata.FindOverlap(e, e + sectors) is { } what)
            {
                throw new InvalidDataException($"{_path}: grain table {gtIndex} entry {j} has the bad value {e}: the grain overlaps the {what}");
            }
        }
    }

    /// <summary>Loads and validates every grain table now (used for marker streams, to detect truncation at open).</summary>
    /// <returns>The sector of the grain that lies last in the file (its marker, in a stream), or 0 when there is none.</returns>
    private long LoadAllTables(CancellationToken cancellationToken)
    {
        long last = 0;
        for (long i = 0; i < _gd!.Length; i++)
        {
            if ((i & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (GetTable(i, out var table) == TableState.Table)
            {
                foreach (var entry in table!)
                {
                    last = Math.Max(last, entry);
                }
            }
        }

        return last > 1 ? last : 0;
    }

    /// <summary>Marks an InvalidDataException raised because a grain table entry points past the end of the file.</summary>
    private const string TruncatedKey = "V2VConverter.Vmdk.Truncated";

    /// <summary>
    /// Sorted, non-overlapping sector ranges holding metadata: a few named ranges (header, descriptor, GD, footer) and
    /// the grain tables, kept as one sorted array of start sectors (4 bytes each, never one object per table).
    /// </summary>
    internal sealed class MetadataRanges
    {
        private readonly List<(long Start, long End, string Name)> _named = [];
        private uint[] _tables = [];
        private int _tableCount;
        private long _tableSectors;

        public void Add(long start, long end, string name)
        {
            if (end > start)
            {
                _named.Add((start, end, name));
            }
        }

        /// <summary>Records a grain table of <paramref name="sectors"/> sectors at sector <paramref name="start"/> (all tables are the same size).</summary>
        public void AddTable(uint start, long sectors)
        {
            _tableSectors = sectors;
            if (_tableCount == _tables.Length)
            {
                Array.Resize(ref _tables, Math.Max(16, _tables.Length * 2));
            }

            _tables[_tableCount++] = start;
        }

        /// <summary>Sorts the ranges and throws when two overlap (a GT over the header/GD, two GD entries sharing a GT).</summary>
        public void Seal(string source)
        {
            Array.Resize(ref _tables, _tableCount);
            Array.Sort(_tables);
            _named.Sort((a, b) => a.Start.CompareTo(b.Start));
            for (var i = 1; i < _named.Count; i++)
            {
                if (_named[i].Start < _named[i - 1].End)
                {
                    var (a, b) = (_named[i - 1], _named[i]);
                    throw new InvalidDataException($"{source}: overlapping tables: the {b.Name} at sector {b.Start} overlaps the {a.Name} at sectors {a.Start}..{a.End - 1}");
                }
            }

            for (var i = 1; i < _tables.Length; i++)
            {
                if (_tables[i] < _tables[i - 1] + _tableSectors)
                {
                    throw new InvalidDataException($"{source}: overlapping tables: the grain table at sector {_tables[i]} overlaps the grain table at sectors {_tables[i - 1]}..{_tables[i - 1] + _tableSectors - 1}");
                }
            }

            foreach (var (start, end, name) in _named)
            {
                if (FindTable(start, end) is { } t)
                {
                    throw new InvalidDataException($"{source}: overlapping tables: the grain table at sector {t} overlaps the {name} at sectors {start}..{end - 1}");
                }
            }
        }

        private long? FindTable(long start, long end)
        {
            // Last table starting before 'end'; tables are disjoint, so only it can overlap.
            var i = Array.BinarySearch(_tables, (uint)Math.Min(end, uint.MaxValue));
            i = i >= 0 ? i - 1 : ~i - 1;
            if (end > uint.MaxValue)
            {
                i = _tables.Length - 1;
            }

            return i >= 0 && _tables[i] + _tableSectors > start ? _tables[i] : null;
        }

        public string? FindOverlap(long start, long end)
        {
            foreach (var (s, e, name) in _named)
            {
                if (s < end && e > start)
                {
                    return name;
                }
            }

            return FindTable(start, end) is { } t ? $"grain table at sector {t}" : null;
        }
    }
}
