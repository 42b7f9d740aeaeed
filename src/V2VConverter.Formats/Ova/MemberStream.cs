using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Ova;

/// <summary>
/// A read-only, seekable view of one member's bytes at its offset in the archive file: positional reads
/// (<see cref="RandomAccess"/>) on a shared <see cref="SafeFileHandle"/>, bounded to the member, so a disk
/// inside an uncompressed OVA is read in place with no copy. Several views may share one handle; each has its
/// own position. The handle is not closed unless <c>ownsHandle</c> is true.
/// </summary>
public sealed class MemberStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly long _length;
    private readonly bool _ownsHandle;
    private long _position;
    private bool _disposed;

    public MemberStream(SafeFileHandle handle, long start, long length, bool ownsHandle = false)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _handle = handle;
        _start = start;
        _length = length;
        _ownsHandle = ownsHandle;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => false;

    public override long Length
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _length;
        }
    }

    public override long Position
    {
        get => _position;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }

        var want = (int)Math.Min(buffer.Length, _length - _position);
        var n = RandomAccess.Read(_handle, buffer[..want], _start + _position);
        if (n == 0)
        {
            throw new EndOfStreamException($"archive member ends early: {_length - _position} bytes expected at offset {_start + _position} of the archive file");
        }

        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }

        var want = (int)Math.Min(buffer.Length, _length - _position);
        var n = await RandomAccess.ReadAsync(_handle, buffer[..want], _start + _position, cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            throw new EndOfStreamException($"archive member ends early: {_length - _position} bytes expected at offset {_start + _position} of the archive file");
        }

        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentException($"bad origin {origin}", nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));

        _position = target;
        return target;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("an archive member view is read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("an archive member view is read-only");

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing && _ownsHandle)
        {
            _handle.Dispose();
        }

        _disposed = true;
        base.Dispose(disposing);
    }
}
