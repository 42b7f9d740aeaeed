namespace V2VConverter.Formats.Disk;

/// <summary>A read-only, seekable <see cref="Stream"/> view of an <see cref="IVirtualDisk"/>.</summary>
public sealed class DiskStream(IVirtualDisk disk, bool leaveOpen = false) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => disk.Length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= disk.Length)
        {
            return 0;
        }

        var n = (int)Math.Min(buffer.Length, disk.Length - _position);
        disk.Read(_position, buffer[..n]);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => disk.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        Position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("disk streams are read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("disk streams are read-only");

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            disk.Dispose();
        }

        base.Dispose(disposing);
    }
}
