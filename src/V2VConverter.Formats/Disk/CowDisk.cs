using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// A writable copy-on-write view of a read-only <see cref="IVirtualDisk"/>: the base is never written; writes go to
/// an overlay, a scratch file without a name (see <see cref="NativeFile.CreateUnlinkedTemp"/>), so nothing is left
/// behind however the process ends. The overlay works in blocks of <see cref="BlockSize"/> bytes: a partial write
/// first copies the block from the base (read-modify-write). Only the blocks written are in the map, so memory grows
/// with what was written, never with the disk size. Zeroed and trimmed whole blocks are recorded as
/// <see cref="ExtentKind.Zero"/> without storage. Reads, writes and <see cref="GetExtents"/> are safe from several
/// threads at once (one reader/writer lock: reads run together, a write runs alone).
/// </summary>
public sealed class CowDisk : IVirtualDisk
{
    /// <summary>The overlay's granularity in bytes.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>The map value of a block that reads as zeros and has no storage.</summary>
    private const long ZeroBlock = -1;

    private static readonly byte[] Zeros = new byte[BlockSize];

    private readonly IVirtualDisk _base;
    private readonly bool _leaveOpen;
    private readonly SafeFileHandle _overlay;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Block index → overlay slot (offset / <see cref="BlockSize"/>) or <see cref="ZeroBlock"/>.</summary>
    private readonly Dictionary<long, long> _map = [];

    /// <summary>The same block indexes in order, for range queries in <see cref="GetExtents"/>.</summary>
    private readonly SortedSet<long> _order = [];
    private readonly Stack<long> _freeSlots = new();
    private long _nextSlot;
    private volatile bool _disposed;

    /// <summary>
    /// A copy-on-write view of <paramref name="baseDisk"/> with its overlay in <paramref name="overlayDirectory"/>
    /// (which must exist). <paramref name="leaveOpen"/>: whether <see cref="Dispose"/> leaves the base open.
    /// </summary>
    public CowDisk(IVirtualDisk baseDisk, string overlayDirectory, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(baseDisk);
        ArgumentException.ThrowIfNullOrEmpty(overlayDirectory);
        if (!Directory.Exists(overlayDirectory))
        {
            throw new DirectoryNotFoundException($"{overlayDirectory}: the overlay folder does not exist");
        }

        _base = baseDisk;
        _leaveOpen = leaveOpen;
        _overlay = NativeFile.CreateUnlinkedTemp(overlayDirectory);
    }

    public long Length => _base.Length;

    public string Format => _base.Format;

    /// <summary>How many blocks have been written or zeroed.</summary>
    public int ChangedBlocks
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _map.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Bytes of overlay storage in use (written blocks, less those zeroed since).</summary>
    public long OverlayBytes
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return (_nextSlot - _freeSlots.Count) * BlockSize;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Reads the merged view: overlay blocks, zeroed blocks, else the base. Thread-safe.</summary>
    public void Read(long offset, Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        DiskArgs.CheckRead(offset, buffer.Length, Length);
        _lock.EnterReadLock();
        try
        {
            if (_map.Count == 0)
            {
                _base.Read(offset, buffer);
                return;
            }

            var done = 0;
            while (done < buffer.Length)
            {
                var pos = offset + done;
                var block = pos / BlockSize;
                var inner = (int)(pos - (block * BlockSize));
                if (_map.TryGetValue(block, out var slot))
                {
                    var n = Math.Min(BlockSize - inner, buffer.Length - done);
                    if (slot == ZeroBlock)
                    {
                        buffer.Slice(done, n).Clear();
                    }
                    else
                    {
                        ReadOverlay(buffer.Slice(done, n), (slot * BlockSize) + inner);
                    }

                    done += n;
                    continue;
                }

                // A run of blocks the overlay does not have: one read from the base.
                var runEnd = done + Math.Min(BlockSize - inner, buffer.Length - done);
                while (runEnd < buffer.Length && !_map.ContainsKey((offset + runEnd) / BlockSize))
                {
                    runEnd += Math.Min(BlockSize, buffer.Length - runEnd);
                }

                _base.Read(pos, buffer[done..runEnd]);
                done = runEnd;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> into the overlay. A write past the end is an
    /// <see cref="ArgumentOutOfRangeException"/>; a full overlay folder is an <see cref="IOException"/>.
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRange(offset, data.Length);
        _lock.EnterWriteLock();
        try
        {
            var done = 0;
            while (done < data.Length)
            {
                var pos = offset + done;
                var block = pos / BlockSize;
                var inner = (int)(pos - (block * BlockSize));
                var n = Math.Min(BlockSize - inner, data.Length - done);
                WriteInBlock(block, inner, data.Slice(done, n));
                done += n;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Makes <c>[offset, offset+length)</c> read as zeros: whole blocks become <see cref="ExtentKind.Zero"/> and
    /// free their storage; the partial blocks at the edges are written with zeros.
    /// </summary>
    public void WriteZeroes(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRange(offset, length);
        _lock.EnterWriteLock();
        try
        {
            var done = 0L;
            while (done < length)
            {
                var pos = offset + done;
                var block = pos / BlockSize;
                var inner = (int)(pos - (block * BlockSize));
                var n = (int)Math.Min(BlockSize - inner, length - done);
                if (inner == 0 && n == BlockLength(block))
                {
                    SetZero(block);
                }
                else
                {
                    WriteInBlock(block, inner, Zeros.AsSpan(0, n));
                }

                done += n;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Discards <c>[offset, offset+length)</c>: here the range reads back as zeros afterwards (allowed for a trim).</summary>
    public void Trim(long offset, long length) => WriteZeroes(offset, length);

    /// <summary>
    /// Nothing to do: every write has reached the overlay file (positional writes, no buffering) and the overlay has no
    /// name, so it cannot outlive the process; there is nothing to make durable.
    /// </summary>
    public void Flush() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>
    /// The base's allocation map with the written blocks as <see cref="ExtentKind.Data"/> and the zeroed ones as
    /// <see cref="ExtentKind.Zero"/> laid over it; adjacent runs of the same kind coalesced; covering
    /// <c>[offset, min(offset+length, Length))</c> exactly.
    /// </summary>
    public IEnumerable<DiskExtent> GetExtents(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var end = Math.Min(Length, offset + length);
        if (end <= offset)
        {
            return [];
        }

        // The overlay blocks of the range, taken now (bounded by what was written there).
        List<(long Block, ExtentKind Kind)> changed;
        _lock.EnterReadLock();
        try
        {
            changed = _order.Count == 0
                ? []
                : [.. _order.GetViewBetween(offset / BlockSize, (end - 1) / BlockSize).Select(b => (b, _map[b] == ZeroBlock ? ExtentKind.Zero : ExtentKind.Data))];
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return Coalesce(Overlay(_base.GetExtents(offset, end - offset), changed, offset, end));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            _disposed = true;
            _overlay.Dispose();
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        if (!_leaveOpen)
        {
            _base.Dispose();
        }
    }

    /// <summary>The base extents cut where overlay blocks lie; a base map that falls short is filled as data.</summary>
    private IEnumerable<DiskExtent> Overlay(IEnumerable<DiskExtent> baseExtents, List<(long Block, ExtentKind Kind)> changed, long offset, long end)
    {
        var i = 0;
        var pos = offset;
        foreach (var be in baseExtents)
        {
            var bStart = Math.Max(be.Offset, pos);
            var bEnd = Math.Min(be.End, end);
            if (bEnd <= bStart)
            {
                continue;
            }

            if (bStart > pos)
            {
                // A gap in the base map: say data, so that the copier reads it.
                foreach (var e in Cut(pos, bStart, ExtentKind.Data, changed, ref i))
                {
                    yield return e;
                }
            }

            foreach (var e in Cut(bStart, bEnd, be.Kind, changed, ref i))
            {
                yield return e;
            }

            pos = bEnd;
        }

        if (pos < end)
        {
            foreach (var e in Cut(pos, end, ExtentKind.Data, changed, ref i))
            {
                yield return e;
            }
        }
    }

    /// <summary>One base run <c>[start, end)</c> of <paramref name="kind"/>, with the overlay blocks inside it cut out.</summary>
    private List<DiskExtent> Cut(long start, long end, ExtentKind kind, List<(long Block, ExtentKind Kind)> changed, ref int i)
    {
        var result = new List<DiskExtent>();
        var pos = start;
        while (pos < end)
        {
            while (i < changed.Count && Math.Min((changed[i].Block + 1) * BlockSize, Length) <= pos)
            {
                i++;
            }

            if (i == changed.Count || changed[i].Block * BlockSize >= end)
            {
                result.Add(new DiskExtent(pos, end - pos, kind));
                break;
            }

            var cStart = Math.Max(changed[i].Block * BlockSize, pos);
            if (cStart > pos)
            {
                result.Add(new DiskExtent(pos, cStart - pos, kind));
            }

            var cEnd = Math.Min(Math.Min((changed[i].Block + 1) * BlockSize, Length), end);
            result.Add(new DiskExtent(cStart, cEnd - cStart, changed[i].Kind));
            pos = cEnd;
        }

        return result;
    }

    private static IEnumerable<DiskExtent> Coalesce(IEnumerable<DiskExtent> extents)
    {
        DiskExtent? run = null;
        foreach (var e in extents)
        {
            if (e.Length <= 0)
            {
                continue;
            }

            if (run is { } r && r.Kind == e.Kind && r.End == e.Offset)
            {
                run = r with { Length = r.Length + e.Length };
                continue;
            }

            if (run is { } done)
            {
                yield return done;
            }

            run = e;
        }

        if (run is { } last)
        {
            yield return last;
        }
    }

    private void CheckRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"write of {length} bytes at {offset} is past the end of the disk ({Length})");
        }
    }

    /// <summary>The length of <paramref name="block"/>: <see cref="BlockSize"/>, less for the last block of a disk whose size is not a multiple.</summary>
    private int BlockLength(long block) => (int)Math.Min(BlockSize, Length - (block * BlockSize));

    /// <summary>Writes inside one block (the write lock is held).</summary>
    private void WriteInBlock(long block, int inner, ReadOnlySpan<byte> data)
    {
        var blockLength = BlockLength(block);
        var known = _map.TryGetValue(block, out var slot);
        if (inner == 0 && data.Length == blockLength)
        {
            if (!data.ContainsAnyExcept((byte)0))
            {
                SetZero(block);
                return;
            }

            slot = known && slot != ZeroBlock ? slot : AllocateSlot(block);
            WriteOverlay(data, slot * BlockSize);
            return;
        }

        if (known && slot != ZeroBlock)
        {
            WriteOverlay(data, (slot * BlockSize) + inner);
            return;
        }

        // Read-modify-write: the whole block from its current contents (base or zeros), then the new bytes.
        var buffer = ArrayPool<byte>.Shared.Rent(blockLength);
        try
        {
            var span = buffer.AsSpan(0, blockLength);
            if (known)
            {
                span.Clear();
            }
            else
            {
                _base.Read(block * BlockSize, span);
            }

            data.CopyTo(span[inner..]);
            slot = AllocateSlot(block);
            WriteOverlay(span, slot * BlockSize);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Gives <paramref name="block"/> a storage slot (a freed one first) and records it.</summary>
    private long AllocateSlot(long block)
    {
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
        _map[block] = slot;
        _order.Add(block);
        return slot;
    }

    private void SetZero(long block)
    {
        if (_map.TryGetValue(block, out var slot) && slot != ZeroBlock)
        {
            _freeSlots.Push(slot);
        }

        _map[block] = ZeroBlock;
        _order.Add(block);
    }

    private void ReadOverlay(Span<byte> buffer, long fileOffset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(_overlay, buffer[done..], fileOffset + done);
            if (n == 0)
            {
                throw new EndOfStreamException($"copy-on-write overlay: unexpected end at offset {fileOffset + done}");
            }

            done += n;
        }
    }

    private void WriteOverlay(ReadOnlySpan<byte> data, long fileOffset) => RandomAccess.Write(_overlay, data, fileOffset);
}
