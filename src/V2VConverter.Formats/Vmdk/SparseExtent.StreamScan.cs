using System.Buffers;

namespace V2VConverter.Formats.Vmdk;

internal sealed partial class SparseExtent
{
    private const int ScanWindowBytes = 1 << 20;

    /// <summary>
    /// Rebuilds the grain map of a stream whose footer is missing or truncated by walking the markers
    /// from <c>overHead</c>: each grain is placed by its own lba, metadata is skipped, EOS ends the walk.
    /// Every iteration advances at least one sector, so the walk is bounded by the file length.
    /// </summary>
    private static Dictionary<long, uint[]> ScanMarkers(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path, long fileLength, SparseExtentHeader h, long length, List<string> warnings)
    {
        var tables = new Dictionary<long, uint[]>();
        var grainBytes = (long)h.GrainSize * VmdkLimits.SectorSize;
        var gtEntries = (int)h.NumGtesPerGt;
        var start = (long)h.OverHead * VmdkLimits.SectorSize;
        if (start < VmdkLimits.SectorSize)
        {
            start = ((long)(h.DescriptorOffset + h.DescriptorSize) * VmdkLimits.SectorSize) is var d && d > VmdkLimits.SectorSize ? d : VmdkLimits.SectorSize;
        }

        var grains = 0L;
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

                    var grain = (long)marker.Value / (long)h.GrainSize;
                    var gt = grain / gtEntries;
                    if (!tables.TryGetValue(gt, out var table))
                    {
                        table = new uint[gtEntries];
                        tables[gt] = table;
                    }

                    table[grain % gtEntries] = (uint)(pos / VmdkLimits.SectorSize);
                    grains++;
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

        var why = truncated ? "the stream is truncated (the last grain is cut)" : sawEos ? "no footer" : "no footer and no end-of-stream marker";
        warnings.Add($"{path}: {why}; rebuilt the grain map from {grains} grain markers. Grains after the cut read as zeros.");
        return tables;
    }

    private static long RoundUpSector(long n) => (n + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize * VmdkLimits.SectorSize;
}
