namespace V2VConverter.Formats.Disk;

/// <summary>
/// Where an image writer puts its bytes: a local file (random access, <see cref="FileImageSink"/>) or an upload stream
/// (sequential, such as a libvirt volume upload). The writers call it in one order, which a sequential sink can rely on:
/// <list type="number">
/// <item><see cref="Write"/> (and <see cref="SetLength"/>) at increasing offsets, the body;</item>
/// <item><see cref="SetLength"/> with the image's final length;</item>
/// <item><see cref="Flush"/> once: the body is complete;</item>
/// <item><see cref="WriteHeader"/> at most once (qcow2: exactly once, the header cluster at offset 0; raw: never).</item>
/// </list>
/// The sink does not own what it writes to: whoever made it completes it (renames the file, finishes the stream) after
/// the copy returned, or drops it after a failure.
/// </summary>
public interface IImageSink
{
    /// <summary>What messages and <see cref="DiskConvertResult.OutputPath"/> call the image (a file's final path, a pool/volume).</summary>
    string Name { get; }

    /// <summary>
    /// False for a stream: body writes come at increasing offsets (a gap reads as zeros), then the header. Options that
    /// need to go back (raw preallocation) are refused for such a sink.
    /// </summary>
    bool IsRandomAccess { get; }

    /// <summary>Writes bytes at <paramref name="offset"/> (a sequential sink: offset &gt;= the end of the previous write or length; the gap is a hole).</summary>
    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>
    /// Sets the image's length; the bytes past the last write read as zeros (sparse where the target allows). A writer
    /// may set a length early (qcow2 reserves its header cluster); on a sequential sink it is never less than the end of
    /// the previous write, and later writes start at or after it.
    /// </summary>
    void SetLength(long length);

    /// <summary>
    /// Called once when the body is complete, before the header points at it: makes it durable (a file's fsync when
    /// asked for) or ends the body upload.
    /// </summary>
    void Flush();

    /// <summary>The header (qcow2: the header cluster at offset 0), written once, after everything it points at.</summary>
    void WriteHeader(ReadOnlySpan<byte> data, long offset);
}
