using Microsoft.Win32.SafeHandles;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Disk;

/// <summary>Sees every byte read through a <see cref="DiskFile"/> (a manifest digest taken in the same pass as the copy). Must be thread-safe.</summary>
public interface IReadObserver
{
    /// <summary><paramref name="bytes"/> were read at <paramref name="offset"/> of the file (file-relative).</summary>
    void Observed(long offset, ReadOnlySpan<byte> bytes);
}

/// <summary>
/// What the disk engine reads a disk file through: a whole host file, or a window of one (a member stored in an
/// uncompressed OVA, read in place at its offset in the archive). Reads are positional (<see cref="RandomAccess"/>),
/// safe in parallel, and never leave the window: a read past <see cref="Length"/> returns 0 bytes, which the formats
/// report as a truncation. An optional <see cref="IReadObserver"/> sees every byte read.
/// </summary>
public sealed class DiskFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly bool _ownsHandle;
    private readonly IReadObserver? _observer;

    private DiskFile(SafeFileHandle handle, long start, long length, string name, bool ownsHandle, IReadObserver? observer)
    {
        _handle = handle;
        _start = start;
        Length = length;
        Name = name;
        _ownsHandle = ownsHandle;
        _observer = observer;
    }

    /// <summary>Bytes in the file (or window).</summary>
    public long Length { get; }

    /// <summary>The file as named in messages ("X.ova/disk1.vmdk" for a member).</summary>
    public string Name { get; }

    /// <summary>True when this is a window of a larger file (an archive member).</summary>
    public bool IsWindow => _start != 0 || !_ownsHandle;

    /// <summary>A whole host file; the handle is owned (closed on dispose). Its length is taken now.</summary>
    public static DiskFile Whole(SafeFileHandle handle, string name, IReadObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return new DiskFile(handle, 0, RandomAccess.GetLength(handle), name, ownsHandle: true, observer);
    }

    /// <summary>Opens <paramref name="path"/> through <see cref="InputFile"/> (its checks and confinement) as a whole file.</summary>
    public static DiskFile Open(string path, InputFileOptions? options, out string realPath, IReadObserver? observer = null)
    {
        var handle = InputFile.Open(path, options, out realPath);
        try
        {
            return Whole(handle, path, observer);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A window <c>[start, start+length)</c> of a file that someone else owns (an archive kept open by its reader):
    /// disposing the window does not close the handle.
    /// </summary>
    public static DiskFile Window(SafeFileHandle handle, long start, long length, string name, IReadObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return new DiskFile(handle, start, length, name, ownsHandle: false, observer);
    }

    /// <summary>
    /// Reads at most <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; fewer at the end of the file,
    /// 0 at or past it.
    /// </summary>
    public int Read(Span<byte> buffer, long offset)
    {
        var n = ReadUnobserved(buffer, offset);
        if (n > 0)
        {
            _observer?.Observed(offset, buffer[..n]);
        }

        return n;
    }

    /// <summary>
    /// Reads without telling the observer (the observer's own catch-up reads, and reads of bytes it does not need to
    /// see). Same contract as <see cref="Read"/>.
    /// </summary>
    public int ReadUnobserved(Span<byte> buffer, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset >= Length)
        {
            return 0;
        }

        var span = buffer.Length > Length - offset ? buffer[..(int)(Length - offset)] : buffer;
        return RandomAccess.Read(_handle, span, _start + offset);
    }

    /// <summary>The next offset at or after <paramref name="offset"/> holding data (SEEK_DATA); -1 when there is none; null when the file system cannot tell.</summary>
    public long? SeekDataFrom(long offset)
    {
        if (offset >= Length)
        {
            return -1;
        }

        var data = NativeFile.SeekDataFrom(_handle, _start + offset);
        return data switch
        {
            null => null,
            < 0 => -1,
            _ when data.Value - _start >= Length => -1,
            _ => Math.Max(offset, data.Value - _start),
        };
    }

    /// <summary>The next hole at or after <paramref name="offset"/> (SEEK_HOLE), at most <see cref="Length"/>; null when the file system cannot tell.</summary>
    public long? SeekHoleFrom(long offset)
    {
        if (offset >= Length)
        {
            return Length;
        }

        var hole = NativeFile.SeekHoleFrom(_handle, _start + offset);
        return hole switch
        {
            null => null,
            < 0 => Length,
            _ => Math.Clamp(hole.Value - _start, offset, Length),
        };
    }

    public void Dispose()
    {
        if (_ownsHandle)
        {
            _handle.Dispose();
        }
    }
}
