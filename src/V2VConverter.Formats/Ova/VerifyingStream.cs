using System.Security.Cryptography;

namespace V2VConverter.Formats.Ova;

/// <summary>
/// Wraps a member's stream and hashes its bytes as the conversion reads them, in the same pass
/// (<see cref="IncrementalHash"/>): no second read of the member when it is read front to back.
/// <para>
/// The hash is sequential. A read at the position hashed so far extends it; a read that goes backwards over bytes
/// already hashed changes nothing; a read that skips ahead leaves a gap, and every byte from the gap on is then
/// not hashed. <see cref="Verify"/> then does a final catch-up read of only the bytes not hashed yet (from the end of
/// the hashed prefix to the end of the member) through the inner stream, which must be seekable for that.
/// A streamOptimized VMDK is read front to back, so normally the catch-up never happens; a disk layout read out of
/// order (a hosted sparse VMDK) costs one extra read of its tail. <see cref="CatchUpBytes"/> tells how many.
/// </para>
/// </summary>
public sealed class VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash;
    private readonly ManifestEntry _expected;
    private readonly string _source;
    private readonly bool _leaveOpen;
    private long _hashedTo;
    private bool _finished;
    private string? _actual;

    /// <param name="inner">The member's bytes (a <see cref="MemberStream"/> in place, or a temp file).</param>
    /// <param name="expected">The manifest's digest of this member.</param>
    /// <param name="source">The member as named in messages (for example "X.ova/disk1.vmdk").</param>
    /// <param name="leaveOpen">Leave <paramref name="inner"/> open on dispose.</param>
    public VerifyingStream(Stream inner, ManifestEntry expected, string source, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!inner.CanRead)
        {
            throw new ArgumentException("the stream to verify must be readable", nameof(inner));
        }

        _ = OvaManifest.DigestBytes(expected.Algorithm);
        _inner = inner;
        _expected = expected;
        _source = source;
        _leaveOpen = leaveOpen;
        _hash = IncrementalHash.CreateHash(expected.Algorithm);
    }

    /// <summary>Bytes hashed in order so far, from the start of the member.</summary>
    public long HashedBytes => _hashedTo;

    /// <summary>Bytes <see cref="Verify"/> had to read again because the reads were out of order (0 when read front to back).</summary>
    public long CatchUpBytes { get; private set; }

    public override bool CanRead => _inner.CanRead;

    public override bool CanSeek => _inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => _inner.Length;

    public override long Position
    {
        get => _inner.Position;
        set => _inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var at = _inner.CanSeek ? _inner.Position : _hashedTo;
        var n = _inner.Read(buffer);
        Account(at, buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var at = _inner.CanSeek ? _inner.Position : _hashedTo;
        var n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Account(at, buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Account(long at, ReadOnlySpan<byte> data)
    {
        if (_finished || data.IsEmpty)
        {
            return;
        }

        var end = at + data.Length;
        if (at <= _hashedTo && end > _hashedTo)
        {
            _hash.AppendData(data[(int)(_hashedTo - at)..]);
            _hashedTo = end;
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException("a verifying stream is read-only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a verifying stream is read-only");

    /// <summary>
    /// Finishes the hash (after a catch-up read of the bytes not hashed yet, if the reads were not in order) and
    /// compares it with the manifest. A mismatch is an InvalidDataException naming the file and both digests.
    /// </summary>
    public void Verify(CancellationToken cancellationToken = default)
    {
        if (_actual is null)
        {
            CatchUp(cancellationToken);
            _finished = true;
            _actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        }

        var actual = _actual;
        if (!string.Equals(actual, _expected.Digest, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{_source}: {_expected.Algorithm.Name} digest mismatch: the manifest (line {_expected.Line}) says {_expected.Digest}, the data has {actual}");
        }
    }

    private void CatchUp(CancellationToken cancellationToken)
    {
        long length;
        if (_inner.CanSeek)
        {
            length = _inner.Length;
        }
        else
        {
            // Unseekable: read on to the end (only possible when nothing was skipped).
            length = long.MaxValue;
        }

        if (_hashedTo >= length)
        {
            return;
        }

        if (!_inner.CanSeek)
        {
            var b = new byte[1 << 16];
            int n;
            while ((n = _inner.Read(b)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _hash.AppendData(b.AsSpan(0, n));
                CatchUpBytes += n;
                _hashedTo += n;
            }

            return;
        }

        var saved = _inner.Position;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            _inner.Position = _hashedTo;
            while (_hashedTo < length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = _inner.Read(buffer, 0, (int)Math.Min(buffer.Length, length - _hashedTo));
                if (n == 0)
                {
                    throw new EndOfStreamException($"{_source}: the member ends at {_hashedTo} bytes, before its length {length}, while verifying its digest");
                }

                _hash.AppendData(buffer, 0, n);
                _hashedTo += n;
                CatchUpBytes += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            _inner.Position = saved;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
