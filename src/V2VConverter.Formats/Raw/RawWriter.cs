using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Raw;

/// <summary>
/// Raw image writer. Sparse by default: all-zero 4 KiB blocks, zero and unallocated ranges are left as holes (gaps in
/// the writes, then <see cref="IImageSink.SetLength"/>), so it works on a file and on a sequential upload stream alike.
/// <see cref="DiskPreallocation.Full"/> writes every byte; <see cref="DiskPreallocation.Falloc"/> relies on the space
/// reserved when the file was created. Both need a random-access (file) sink.
/// </summary>
internal sealed class RawWriter : IDiskTarget
{
    public const int ZeroBlockSize = 4096;
    private const int ZeroFillBuffer = 1024 * 1024;

    private readonly IImageSink _sink;
    private readonly long _length;
    private readonly DiskPreallocation _preallocation;
    private long _filledTo;

    public RawWriter(IImageSink sink, long length, DiskPreallocation preallocation)
    {
        if (preallocation != DiskPreallocation.Off && !sink.IsRandomAccess)
        {
            throw new ArgumentException($"{sink.Name}: raw preallocation={preallocation.ToString().ToLowerInvariant()} needs a random-access output (a local file), and this output is written as a sequential stream; use preallocation=off", nameof(preallocation));
        }

        _sink = sink;
        _length = length;
        _preallocation = preallocation;
        if (sink.IsRandomAccess)
        {
            // A file gets its final size up front (a sequential sink only at the end, after the last write).
            sink.SetLength(length);
        }
    }

    public int BlockSize => ZeroBlockSize;

    public bool WantsCompression => false;

    public void Write(DiskChunk chunk)
    {
        var data = chunk.Data!;
        var states = chunk.BlockState!;
        if (_preallocation == DiskPreallocation.Full)
        {
            FillZeros(chunk.Offset);
            _sink.Write(data.AsSpan(0, chunk.Length), chunk.Offset);
            _filledTo = chunk.Offset + chunk.Length;
            return;
        }

        var count = chunk.BlockCount;
        var i = 0;
        while (i < count)
        {
            if (states[i] == DiskChunk.Zero)
            {
                i++;
                continue;
            }

            var j = i + 1;
            while (j < count && states[j] != DiskChunk.Zero)
            {
                j++;
            }

            var start = i * BlockSize;
            var end = Math.Min(j * BlockSize, chunk.Length);
            _sink.Write(data.AsSpan(start, end - start), chunk.Offset + start);
            i = j;
        }
    }

    public long Finish()
    {
        if (_preallocation == DiskPreallocation.Full)
        {
            FillZeros(_length);
        }

        _sink.SetLength(_length);
        _sink.Flush();
        return _length;
    }

    private void FillZeros(long upTo)
    {
        if (_filledTo >= upTo)
        {
            return;
        }

        var zeros = new byte[(int)Math.Min(ZeroFillBuffer, upTo - _filledTo)];
        while (_filledTo < upTo)
        {
            var n = (int)Math.Min(zeros.Length, upTo - _filledTo);
            _sink.Write(zeros.AsSpan(0, n), _filledTo);
            _filledTo += n;
        }
    }
}
