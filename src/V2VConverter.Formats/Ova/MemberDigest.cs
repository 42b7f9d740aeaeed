using System.Buffers;
using System.Security.Cryptography;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Ova;

/// <summary>
/// A manifest digest of one file, taken from the bytes the conversion reads, in the same pass (an
/// <see cref="IReadObserver"/> on the file's <see cref="DiskFile"/>). A digest is sequential, and the disk engine does
/// not read a file strictly in order: the copy runs on several threads, the allocation map is read first (the footer,
/// the grain tables at the end of a stream), and between grains lie markers and padding the engine skips. So:
/// <list type="bullet">
/// <item>bytes at the hashed frontier extend the digest;</item>
/// <item>a small gap before a read (at most <see cref="MaxGapFill"/>: a marker, sector padding) is read here and hashed, then the read;</item>
/// <item>a read further ahead is kept (a copy) until the frontier reaches it, up to <see cref="MaxPendingBytes"/> in all,
/// the nearest pieces first; what does not fit is dropped;</item>
/// <item>bytes already hashed are ignored.</item>
/// </list>
/// <see cref="Verify"/> hashes what is left (the bytes nobody read, and any dropped piece) with one read of only those,
/// then compares. <see cref="CatchUpBytes"/> counts every byte read here, for the log: a streamOptimized disk, read
/// front to back, needs only its skipped markers and padding and its trailing metadata.
/// </summary>
public sealed class MemberDigest : IReadObserver, IDisposable
{
    /// <summary>The largest gap before a read that is filled at once (markers and sector padding between grains).</summary>
    public const int MaxGapFill = 16 * 1024;

    /// <summary>The most bytes of reads ahead of the frontier kept for later (bounded memory).</summary>
    public const long MaxPendingBytes = 128L * 1024 * 1024;

    private const int CatchUpChunk = 1 << 20;

    private readonly object _gate = new();
    private readonly IncrementalHash _hash;
    private readonly DiskFile? _file;
    private readonly string _name;
    private readonly SortedDictionary<long, byte[]> _pending = [];
    private long _pendingBytes;
    private long _hashedTo;
    private string? _actual;

    /// <param name="expected">The manifest's digest of the file.</param>
    /// <param name="file">
    /// The file's bytes, for the gaps and the catch-up (read without observation; not owned). Null when the bytes
    /// exist only as they are seen (a member inflated in one pass): then they must all be seen, in order.
    /// </param>
    /// <param name="name">The file as named in messages.</param>
    public MemberDigest(ManifestEntry expected, DiskFile? file, string name)
    {
        _ = OvaManifest.DigestBytes(expected.Algorithm);
        Expected = expected;
        _file = file;
        _name = name;
        _hash = IncrementalHash.CreateHash(expected.Algorithm);
    }

    /// <summary>The manifest line this digest checks.</summary>
    public ManifestEntry Expected { get; }

    /// <summary>Bytes hashed in order so far.</summary>
    public long HashedBytes
    {
        get
        {
            lock (_gate)
            {
                return _hashedTo;
            }
        }
    }

    /// <summary>Bytes read by the digest itself (gaps, dropped pieces, the unread tail), not by the conversion.</summary>
    public long CatchUpBytes { get; private set; }

    /// <summary>True once <see cref="Verify"/> has compared the digest and found it equal.</summary>
    public bool Verified { get; private set; }

    public void Observed(long offset, ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (_actual is not null)
            {
                return;
            }

            var end = offset + bytes.Length;
            if (end <= _hashedTo || bytes.IsEmpty)
            {
                return;
            }

            if (offset - _hashedTo > MaxGapFill)
            {
                Keep(offset, bytes);
                return;
            }

            FillTo(offset);
            _hash.AppendData(bytes[(int)(_hashedTo - offset)..]);
            _hashedTo = end;
            Drain(MaxGapFill);
        }
    }

    /// <summary>
    /// Hashes every byte not hashed yet (read here, once), then compares with the manifest.
    /// </summary>
    /// <exception cref="InvalidDataException">The digests differ: the message names the file, the manifest line and both digests.</exception>
    public void Verify(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_actual is null)
            {
                while (_file is not null && _hashedTo < _file.Length)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_pending.Count > 0 && _pending.First().Key <= _hashedTo)
                    {
                        Drain(0);
                        continue;
                    }

                    var next = _pending.Count > 0 ? Math.Min(_pending.First().Key, _file.Length) : _file.Length;
                    FillTo(Math.Min(next, _hashedTo + CatchUpChunk));
                }

                _actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
                _pending.Clear();
                _pendingBytes = 0;
            }

            if (!string.Equals(_actual, Expected.Digest, StringComparison.OrdinalIgnoreCase))
            {
                throw Mismatch(_name, Expected, _actual);
            }

            Verified = true;
        }
    }

    public void Dispose() => _hash.Dispose();

    /// <summary>The error for a file whose bytes do not match its manifest digest: names the file, the manifest line and both digests.</summary>
    public static InvalidDataException Mismatch(string file, ManifestEntry expected, string actual) =>
        new($"{file}: {expected.Algorithm.Name} digest mismatch: the manifest (line {expected.Line}) says {expected.Digest}, the file's bytes give {actual}; the export is damaged or was changed (--no-verify-manifest skips the check)");

    /// <summary>Reads and hashes <c>[_hashedTo, to)</c> here (a gap nobody read).</summary>
    private void FillTo(long to)
    {
        if (to <= _hashedTo)
        {
            return;
        }

        if (_file is null)
        {
            throw new InvalidOperationException($"{_name}: bytes {_hashedTo}..{to} were skipped, and this digest has no file to read them from");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(CatchUpChunk, to - _hashedTo));
        try
        {
            while (_hashedTo < to)
            {
                var want = (int)Math.Min(buffer.Length, to - _hashedTo);
                var n = _file.ReadUnobserved(buffer.AsSpan(0, want), _hashedTo);
                if (n <= 0)
                {
                    throw new EndOfStreamException($"{_name}: the file ends at byte {_hashedTo}, before its length {_file.Length}, while its {Expected.Algorithm.Name} digest was taken");
                }

                _hash.AppendData(buffer, 0, n);
                _hashedTo += n;
                CatchUpBytes += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hashes the kept pieces the frontier has reached (or nearly: within <paramref name="gap"/>).</summary>
    private void Drain(long gap)
    {
        while (_pending.Count > 0)
        {
            var (at, piece) = _pending.First();
            if (at - _hashedTo > gap)
            {
                return;
            }

            _pending.Remove(at);
            _pendingBytes -= piece.Length;
            var end = at + piece.Length;
            if (end <= _hashedTo)
            {
                continue;
            }

            FillTo(at);
            _hash.AppendData(piece.AsSpan((int)(_hashedTo - at)));
            _hashedTo = end;
        }
    }

    /// <summary>Keeps a copy of a read ahead of the frontier; when full, the farthest pieces give way to nearer ones.</summary>
    private void Keep(long offset, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxPendingBytes)
        {
            return;
        }

        if (_pending.TryGetValue(offset, out var existing))
        {
            if (existing.Length >= bytes.Length)
            {
                return;
            }

            _pending.Remove(offset);
            _pendingBytes -= existing.Length;
        }

        while (_pendingBytes + bytes.Length > MaxPendingBytes)
        {
            var (farthest, piece) = _pending.Last();
            if (farthest < offset)
            {
                return; // everything kept is nearer: this piece is read again at the end instead
            }

            _pending.Remove(farthest);
            _pendingBytes -= piece.Length;
        }

        _pending[offset] = bytes.ToArray();
        _pendingBytes += bytes.Length;
    }
}
