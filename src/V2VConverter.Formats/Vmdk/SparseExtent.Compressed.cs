using System.Buffers;
using System.IO.Compression;
using System.Runtime.ExceptionServices;

namespace V2VConverter.Formats.Vmdk;

internal sealed partial class SparseExtent
{
    /// <summary>Decompresses the grains of one read in parallel into pooled buffers, then copies them in.</summary>
    private void ReadCompressed(List<ExtentRun> runs, long bufferOffset, Span<byte> buffer)
    {
        var grains = new byte[runs.Count][];
        try
        {
            if (runs.Count == 1)
            {
                grains[0] = DecompressGrain(runs[0]);
            }
            else
            {
                try
                {
                    Parallel.For(0, runs.Count, i => grains[i] = DecompressGrain(runs[i]));
                }
                catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
                {
                    // The policy's exception (InvalidDataException naming the grain...), not the parallel loop's wrapper.
                    ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
                }
            }

            for (var i = 0; i < runs.Count; i++)
            {
                var run = runs[i];
                var inGrain = (int)(run.Offset & (_grainBytes - 1));
                grains[i].AsSpan(inGrain, (int)run.Length).CopyTo(buffer.Slice((int)(run.Offset - bufferOffset), (int)run.Length));
            }
        }
        finally
        {
            foreach (var g in grains)
            {
                if (g is not null)
                {
                    ArrayPool<byte>.Shared.Return(g);
                }
            }
        }
    }

    /// <summary>Reads the grain marker at the run's host offset and inflates its zlib payload into a pooled buffer.</summary>
    private byte[] DecompressGrain(ExtentRun run)
    {
        var grainStart = run.Offset & ~(_grainBytes - 1);
        var expected = (int)Math.Min(_grainBytes, _length - grainStart);
        var host = run.HostOffset;
        var maxPayload = (int)_grainBytes * VmdkLimits.MaxCompressedGrainFactor;
        var available = (int)Math.Min(MarkerLayout.GrainHeaderSize + maxPayload, _fileLength - host);
        var input = ArrayPool<byte>.Shared.Rent(Math.Max(available, MarkerLayout.GrainHeaderSize));
        var output = ArrayPool<byte>.Shared.Rent((int)_grainBytes);
        try
        {
            var where = $"compressed grain at byte {host} (guest sector {grainStart / VmdkLimits.SectorSize})";
            if (available < MarkerLayout.GrainHeaderSize)
            {
                throw new InvalidDataException($"{_path}: {where}: field \"grain marker\" is truncated at the end of file");
            }

            ReadExactly(_file, input.AsSpan(0, available), host, _path, where);
            var marker = StreamMarker.Parse(input.AsSpan(0, MarkerLayout.GrainHeaderSize));
            if (marker.Size == 0 || marker.Size > maxPayload)
            {
                throw new InvalidDataException($"{_path}: {where}: field \"grain marker size\" has the bad value {marker.Size} (1 to {maxPayload})");
            }

            if (marker.Value != (ulong)(grainStart / VmdkLimits.SectorSize))
            {
                throw new InvalidDataException($"{_path}: {where}: field \"grain marker lba\" has the bad value {marker.Value} (the grain table says {grainStart / VmdkLimits.SectorSize})");
            }

            if (MarkerLayout.GrainHeaderSize + (long)marker.Size > available)
            {
                throw new InvalidDataException($"{_path}: {where}: field \"grain marker size\" ({marker.Size} bytes) runs past the end of file: truncated grain");
            }

            Inflate(input, MarkerLayout.GrainHeaderSize, (int)marker.Size, output, expected, where);
            return output;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private void Inflate(byte[] input, int start, int size, byte[] output, int expected, string where)
    {
        int produced;
        try
        {
            using var ms = new MemoryStream(input, start, size, writable: false);
            using var z = new ZLibStream(ms, CompressionMode.Decompress);
            produced = 0;
            while (produced < expected)
            {
                var n = z.Read(output, produced, expected - produced);
                if (n == 0)
                {
                    break;
                }

                produced += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{_path}: {where}: field \"compressed grain data\" is corrupt deflate data ({ex.Message})", ex);
        }

        if (produced < expected)
        {
            throw new InvalidDataException($"{_path}: {where}: field \"compressed grain data\" inflates to {produced} bytes, expected {expected}");
        }
    }
}
