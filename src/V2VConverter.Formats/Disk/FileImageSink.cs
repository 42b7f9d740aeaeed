using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// An <see cref="IImageSink"/> over a local file: positional writes with <see cref="RandomAccess"/>, holes left by
/// <see cref="SetLength"/>, and an fsync on <see cref="Flush"/> when <c>fsync</c> is asked for. The handle stays the
/// caller's (it is not closed).
/// </summary>
public sealed class FileImageSink : IImageSink
{
    private readonly SafeFileHandle _handle;
    private readonly bool _fsync;

    /// <param name="handle">An open, writable file handle; not closed by the sink.</param>
    /// <param name="name">The file's name for messages (its final path).</param>
    /// <param name="fsync">Whether <see cref="Flush"/> makes the body durable (fsync) before the header is written.</param>
    public FileImageSink(SafeFileHandle handle, string name, bool fsync)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(name);
        _handle = handle;
        Name = name;
        _fsync = fsync;
    }

    public string Name { get; }

    public bool IsRandomAccess => true;

    public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(_handle, data, offset);

    public void SetLength(long length) => RandomAccess.SetLength(_handle, length);

    public void Flush()
    {
        if (_fsync)
        {
            RandomAccess.FlushToDisk(_handle);
        }
    }

    public void WriteHeader(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(_handle, data, offset);
}
