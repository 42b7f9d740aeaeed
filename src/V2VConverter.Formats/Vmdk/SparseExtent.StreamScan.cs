using System.Buffers;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Vmdk;

internal sealed partial class SparseExtent
{
    private const int ScanWindowBytes = 1 << 20;

    /// <summary>
    /// Rebuilds the grain map of a stream whose footer is missing or truncated by walking the markers
    /// from <c>overHead</c>: each grain is placed by its own lba, metadata is skipped, EOS ends the walk.
    /// Every iteration advances at least one sector, so the walk is bounded by the file length.
    /// </summary>
    private static ScannedGrains ScanMarkers(DiskFile file, string path, long fileLength, SparseExtentHeader h, long length, CancellationToken cancellationToken)
    {
        var map = new ScannedGrains();
        var grainBytes = (long)h.GrainSize * VmdkLimits.SectorSize;
        var start = (long)h.OverHead * VmdkLimits.SectorSize;
        if (start < VmdkLimits.SectorSize)
        {
            start = ((long)(h.DescriptorOffset + h.DescriptorSize) * VmdkLimits.SectorSize) is var d && d > VmdkLimits.SectorSize ? d : VmdkLimits.SectorSize;
        }

        var truncated = false;
        var sawEos = false;
        var window = ArrayPool<byte>.Shared.Rent(ScanWindowBytes);
        try
        {
            long windowStart = -1, windowLength = 0;
            var pos = start;
            while (pos + MarkerLayout.GrainHeaderSize <= fileLength)
            {
                if (pos < windowStart || pos + VmdkLimits.SectorSize > windowStart + windowLength)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    windowStart = pos;
                    windowLength = Math.Min(ScanWindowBytes, fileLength - pos);
                    ReadExactly(file, window.AsSpan(0, (int)windowLength), pos, path, "stream marker");
                }

                var avail = (int)Math.Min(VmdkLimits.SectorSize, windowStart + windowLength - pos);
                var marker = StreamMarker.Parse(window.AsSpan((int)(pos - windowStart), avail));
                if (marker.IsGrain)
                {
                    if (marker.Value % h.GrainSize != 0 || marker.Value >= (ulong)(length / VmdkLimits.SectorSize)) // compared in sectors: lba * 512 would wrap
                    {
                        throw new InvalidDataException($"{path}: grain marker at byte {pos}: field \"grain marker lba\" has the bad value {marker.Value} (capacity {length / VmdkLimits.SectorSize} sectors, grain {h.GrainSize})");
                    }

                    if (marker.Size > grainBytes * VmdkLimits.MaxCompressedGrainFactor)
                    {
                        throw new InvalidDataException($"{path}: grain marker at byte {pos}: field \"grain marker size\" has the bad value {marker.Size}");
                    }

                    if (pos + MarkerLayout.GrainHeaderSize + marker.Size > fileLength)
                    {
                        truncated = true;
                        break;
                    }

                    if (pos / VmdkLimits.SectorSize > uint.MaxValue)
                    {
                        throw new InvalidDataException($"{path}: grain marker at byte {pos} lies beyond the 2 TiB a grain table can address");
                    }

                    map.Add((long)marker.Value / (long)h.GrainSize, (uint)(pos / VmdkLimits.SectorSize));
                    map.LastGoodGrain = ((long)marker.Value, pos);
                    pos += RoundUpSector(MarkerLayout.GrainHeaderSize + marker.Size);
                    continue;
                }

                switch (marker.Type)
                {
                    case StreamMarkerType.EndOfStream:
                        sawEos = true;
                        break;
                    case StreamMarkerType.GrainTable or StreamMarkerType.GrainDirectory or StreamMarkerType.Footer:
                        if (marker.Value > (ulong)(fileLength / VmdkLimits.SectorSize))
                        {
                            throw new InvalidDataException($"{path}: metadata marker at byte {pos}: field \"numSectors\" has the bad value {marker.Value}");
                        }

                        pos += VmdkLimits.SectorSize + ((long)marker.Value * VmdkLimits.SectorSize);
                        continue;
                    default:
                        throw new InvalidDataException($"{path}: metadata marker at byte {pos}: field \"marker type\" has the bad value {(uint)marker.Type}");
                }

                break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }

        map.GrainCut = truncated;
        map.SawEndOfStream = sawEos;
        map.Seal();
        return map;
    }

    /// <summary>The runs of a stream whose map was rebuilt from its markers: one compressed run per grain found, holes between.</summary>
    private void MapScanned(long offset, long length, List<ExtentRun> runs)
    {
        var pos = offset;
        var end = offset + length;
        var i = _scanned!.IndexAtOrAfter(pos >> _grainShift);
        while (pos < end)
        {
            var grain = pos >> _grainShift;
            var grainStart = grain << _grainShift;
            if (i < _scanned.Count && _scanned.Grain(i) == grain)
            {
                var next = Math.Min(end, grainStart + _grainBytes);
                AddRun(runs, new ExtentRun(pos, next - pos, RunKind.Compressed, (long)_scanned.Sector(i) * VmdkLimits.SectorSize));
                pos = next;
                i++;
                continue;
            }

            var holeEnd = i < _scanned.Count ? Math.Min(end, _scanned.Grain(i) << _grainShift) : end;
            AddRun(runs, new ExtentRun(pos, holeEnd - pos, RunKind.Unallocated, 0));
            pos = holeEnd;
        }
    }

    /// <summary>
    /// The grain map of a scanned stream: grain index → sector of its marker, as two sorted arrays (12 bytes a grain,
    /// never a table or an object per grain). A grain written twice keeps its last marker.
    /// </summary>
    internal sealed class ScannedGrains
    {
        private long[] _grains = [];
        private uint[] _sectors = [];

        public int Count { get; private set; }

        /// <summary>Guest sector and file offset of the last complete grain marker, if any.</summary>
        public (long Lba, long FileOffset)? LastGoodGrain { get; set; }

        public bool GrainCut { get; set; }

        public bool SawEndOfStream { get; set; }

        public long Grain(int i) => _grains[i];

        public uint Sector(int i) => _sectors[i];

        public void Add(long grain, uint sector)
        {
            if (Count == _grains.Length)
            {
                var size = Math.Max(64, _grains.Length * 2);
                Array.Resize(ref _grains, size);
                Array.Resize(ref _sectors, size);
            }

            _grains[Count] = grain;
            _sectors[Count] = sector;
            Count++;
        }

        /// <summary>Sorts by grain (stable: for a grain written twice the later marker wins) and drops the duplicates.</summary>
        public void Seal()
        {
            var order = new int[Count];
            for (var i = 0; i < Count; i++)
            {
                order[i] = i;
            }

            var grains = _grains;
            Array.Sort(order, (a, b) => grains[a] != grains[b] ? grains[a].CompareTo(grains[b]) : a.CompareTo(b));
            var g = new long[Count];
            var s = new uint[Count];
            var n = 0;
            foreach (var k in order)
            {
                if (n > 0 && g[n - 1] == _grains[k])
                {
                    s[n - 1] = _sectors[k];
                    continue;
                }

                g[n] = _grains[k];
                s[n] = _sectors[k];
                n++;
            }

            _grains = g;
            _sectors = s;
            Count = n;
        }

        /// <summary>The index of the first grain at or after <paramref name="grain"/> (Count when none).</summary>
        public int IndexAtOrAfter(long grain)
        {
            var i = Array.BinarySearch(_grains, 0, Count, grain);
            return i >= 0 ? i : ~i;
        }
    }

    private static long RoundUpSector(long n) => (n + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize * VmdkLimits.SectorSize;
}
