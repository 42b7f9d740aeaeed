using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

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

    private readonly SafeFileHandle _file;
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

    // Grain-directory mode: effective GD entries (sectors of grain tables), loaded tables, metadata ranges.
    private readonly uint[]? _gd;
    private readonly uint[]?[]? _tables;
    private readonly MetadataRanges _metadata;

    // Scan mode (stream without footer): grain tables rebuilt from the markers.
    private readonly Dictionary<long, uint[]>? _scanned;

    private SparseExtent(SafeFileHandle file, string path, long fileLength, long length, long grainSectors, int gtEntries, bool zeroGrain, bool compressed, string kind,
        uint[]? gd, MetadataRanges metadata, Dictionary<long, uint[]>? scanned)
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
        _tables = gd is null ? null : new uint[]?[gd.Length];
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

        var pos = offset;
        var end = offset + length;
        while (pos < end)
        {
            var gtIndex = pos / _gtCoverage;
            var gtEnd = Math.Min(end, (gtIndex + 1) * _gtCoverage);
            var state = GetTable(gtIndex, out var table);
            if (state != TableState.Table)
            {
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
        if (_scanned is not null)
        {
            return _scanned.TryGetValue(gtIndex, out table) ? TableState.Table : TableState.Unallocated;
        }

        var entry = _gd![gtIndex];
        if (entry == 0)
        {
            return TableState.Unallocated;
        }

        if (entry == 1 && _zeroGrain)
        {
            return TableState.Zero;
        }

        table = Volatile.Read(ref _tables![gtIndex]);
        if (table is null)
        {
            lock (_tables)
            {
                table = _tables[gtIndex] ??= LoadTable(gtIndex, entry);
            }
        }

        return TableState.Table;
    }

    /// <summary>Grain tables read together when their GD entries are consecutive on disk (qemu and VMware preallocate them so).</summary>
    private const int TableBatch = 64;

    /// <summary>Loads grain table <paramref name="gtIndex"/> and, in the same pread, the following tables stored right after it.</summary>
    private uint[] LoadTable(long gtIndex, uint sector)
    {
        var gtBytes = _gtEntries * 4;
        var stride = GtSectors;
        var count = 1;
        while (count < TableBatch && gtIndex + count < _gd!.Length && _tables![gtIndex + count] is null
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
                var table = new uint[_gtEntries];
                DecodeU32s(raw.AsSpan(k * strideBytes, gtBytes), table);

                ValidateTable(gtIndex + k, table);
                if (k == 0)
                {
                    first = table;
                }
                else
                {
                    Volatile.Write(ref _tables![gtIndex + k], table);
                }
            }

            return first!;
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
    private void LoadAllTables()
    {
        for (long i = 0; i < _gd!.Length; i++)
        {
            _ = GetTable(i, out _);
        }
    }

    /// <summary>Marks an InvalidDataException raised because a grain table entry points past the end of the file.</summary>
    private const string TruncatedKey = "V2VConverter.Vmdk.Truncated";

    /// <summary>Sorted, non-overlapping sector ranges holding metadata (header, descriptor, GD, GTs).</summary>
    internal sealed class MetadataRanges
    {
        private readonly List<(long Start, long End, string Name)> _ranges = [];
        private long[] _starts = [];

        public void Add(long start, long end, string name)
        {
            if (end > start)
            {
                _ranges.Add((start, end, name));
            }
        }

        /// <summary>Sorts the ranges and throws when two overlap (a GT over the header/GD, two GD entries sharing a GT).</summary>
        public void Seal(string source)
        {
            _ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
            for (var i = 1; i < _ranges.Count; i++)
            {
                if (_ranges[i].Start < _ranges[i - 1].End)
                {
                    var (a, b) = (_ranges[i - 1], _ranges[i]);
                    throw new InvalidDataException($"{source}: overlapping tables: the {b.Name} at sector {b.Start} overlaps the {a.Name} at sectors {a.Start}..{a.End - 1}");
                }
            }

            _starts = [.. _ranges.Select(r => r.Start)];
        }

        public string? FindOverlap(long start, long end)
        {
            // Last range starting before 'end'; ranges are disjoint, so only it can overlap.
            var i = Array.BinarySearch(_starts, end);
            i = i >= 0 ? i - 1 : ~i - 1;
            if (i >= 0 && _ranges[i].End > start)
            {
                return _ranges[i].Name;
            }

            return null;
        }
    }
}
