namespace V2VConverter.Formats.Disk;

/// <summary>How a range of a virtual disk is backed.</summary>
public enum ExtentKind
{
    /// <summary>Allocated data: must be read and copied.</summary>
    Data,

    /// <summary>Known to read as zeros (zeroed grain, ZERO extent, qcow2 zero flag).</summary>
    Zero,

    /// <summary>Not allocated anywhere in the chain: reads as zeros, a hole in the output.</summary>
    Unallocated,
}

/// <summary>A run of guest bytes with one backing kind. Offsets and lengths are in bytes.</summary>
public readonly record struct DiskExtent(long Offset, long Length, ExtentKind Kind)
{
    public long End => Offset + Length;
}

/// <summary>
/// The one block-device abstraction the rest of the pipeline sees: a virtual size, random reads
/// (safe to call from several threads at once), and an allocation map so that copies skip holes.
/// </summary>
public interface IVirtualDisk : IDisposable
{
    /// <summary>Virtual size in bytes.</summary>
    long Length { get; }

    /// <summary>A short format name: "vmdk", "qcow2", "raw".</summary>
    string Format { get; }

    /// <summary>
    /// Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> (holes read as zeros).
    /// Reading past <see cref="Length"/> is an <see cref="ArgumentOutOfRangeException"/>. Thread-safe.
    /// </summary>
    void Read(long offset, Span<byte> buffer);

    /// <summary>
    /// The allocation map of <c>[offset, offset+length)</c>, in guest order, adjacent runs of the
    /// same kind coalesced, covering the range exactly.
    /// </summary>
    IEnumerable<DiskExtent> GetExtents(long offset, long length);
}

/// <summary>The argument checks every <see cref="IVirtualDisk"/> shares.</summary>
public static class DiskArgs
{
    /// <summary>A read of <paramref name="count"/> bytes at <paramref name="offset"/> must lie inside the disk.</summary>
    public static void CheckRead(long offset, int count, long diskLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + count > diskLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"read of {count} bytes at {offset} is past the end of the disk ({diskLength})");
        }
    }
}
