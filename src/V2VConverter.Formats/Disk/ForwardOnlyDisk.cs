namespace V2VConverter.Formats.Disk;

/// <summary>
/// A raw disk image that arrives as a forward-only stream (an HTTP download of a flat extent):
/// <see cref="DiskConverter"/> copies it with no staging file. The copy engine reads chunks on
/// several threads and slightly out of order, so a read ahead of the stream position buffers the
/// bytes it passes over for the chunks that will ask for them; each byte is handed out once, and
/// the buffer is bounded (<see cref="MaxBufferedBytes"/>). The allocation map is one data run (a
/// stream cannot say where its holes are); all-zero blocks are still skipped by the writer.
/// When the last byte is read, the rest of the stream is drained and <c>completion</c> is awaited,
/// so an error the producer finds at the end (a checksum mismatch) fails the copy before the
/// output is renamed.
/// </summary>
public sealed class ForwardOnlyDisk : IVirtualDisk
{
    /// <summary>Read-ahead bound: far above what the copy engine keeps in flight (16 chunks).</summary>
    public const long MaxBufferedBytes = 1L << 30;

    /// <summary>What is drained after the last byte before the stream is called too long.</summary>
    public const long MaxTrailingBytes = 64L * 1024 * 1024;

    private const int SegmentSize = 4 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly Func<Task>? _completion;
    private readonly string _name;
    private readonly object _gate = new();
    private readonly SortedDictionary<long, Segment> _ahead = [];
    private long _position;
    private long _buffered;
    private long _delivered;
    private bool _finished;

    public ForwardOnlyDisk(Stream stream, long length, string name, Func<Task>? completion = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _stream = stream;
        Length = length;
        _name = name;
        _completion = completion;
    }

    public long Length { get; }

    public string Format => "raw";

    /// <summary>The most bytes ever held for chunks that had not asked yet (for tests and logs).</summary>
    public long PeakBufferedBytes { get; private set; }

    public IEnumerable<DiskExtent> GetExtents(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"extent query [{offset}, {offset + length}) is past the end of the disk ({Length})");
        }

        if (length > 0)
        {
            yield return new DiskExtent(offset, length, ExtentKind.Data);
        }
    }

    public void Read(long offset, Span<byte> buffer)
    {
        DiskArgs.CheckRead(offset, buffer.Length, Length);
        lock (_gate)
        {
            if (offset >= _position)
            {
                BufferUpTo(offset);
                Fill(buffer);
                _position += buffer.Length;
            }
            else
            {
                TakeBuffered(offset, buffer);
            }

            _delivered += buffer.Length;
            if (_delivered == Length && !_finished)
            {
                _finished = true;
                Finish();
            }
        }
    }

    public void Dispose() => _stream.Dispose();

    private void BufferUpTo(long offset)
    {
        while (_position < offset)
        {
            var len = (int)Math.Min(SegmentSize, offset - _position);
            if (_buffered + len > MaxBufferedBytes)
            {
                throw new InvalidOperationException($"{_name}: reads jumped more than {MaxBufferedBytes} bytes ahead of the stream (at {_position}, asked for {offset})");
            }

            var data = new byte[len];
            Fill(data);
            _ahead.Add(_position, new Segment(data));
            _position += len;
            _buffered += len;
            PeakBufferedBytes = Math.Max(PeakBufferedBytes, _buffered);
        }
    }

    private void TakeBuffered(long offset, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var at = offset + done;
            var key = _ahead.Keys.LastOrDefault(k => k <= at, -1);
            if (key < 0 || at >= key + _ahead[key].Data.Length)
            {
                throw new InvalidOperationException($"{_name}: bytes at {at} were already read from the stream and handed out (reads must not repeat)");
            }

            var seg = _ahead[key];
            var from = (int)(at - key);
            var n = Math.Min(buffer.Length - done, seg.Data.Length - from);
            seg.Data.AsSpan(from, n).CopyTo(buffer[done..]);
            done += n;
            seg.Taken += n;
            if (seg.Taken == seg.Data.Length)
            {
                _ahead.Remove(key);
                _buffered -= seg.Data.Length;
            }
        }
    }

    private void Fill(Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = _stream.Read(buffer[done..]);
            if (n == 0)
            {
                throw new EndOfStreamException($"{_name}: the stream ended at byte {_position + done}, before the disk's {Length} bytes");
            }

            done += n;
        }
    }

    private void Finish()
    {
        var scratch = new byte[64 * 1024];
        long trailing = 0;
        int n;
        while ((n = _stream.Read(scratch)) > 0)
        {
            trailing += n;
            if (trailing > MaxTrailingBytes)
            {
                throw new InvalidDataException($"{_name}: the stream goes on more than {MaxTrailingBytes} bytes past the disk's {Length} bytes");
            }
        }

        _completion?.Invoke().GetAwaiter().GetResult();
    }

    private sealed class Segment(byte[] data)
    {
        public byte[] Data { get; } = data;

        public int Taken { get; set; }
    }
}
