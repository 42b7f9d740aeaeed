using V2VConverter.Formats.Disk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Raw;

/// <summary>
/// A raw image file (or any flat file) as a virtual disk. The allocation map comes from SEEK_DATA/SEEK_HOLE on
/// Linux; where that is unavailable the whole file is reported as data. Thread-safe.
/// </summary>
public sealed class RawDisk : IVirtualDisk
{
    private readonly DiskFile _file;
    private readonly string _path;

    private RawDisk(DiskFile file, string path)
    {
        _file = file;
        _path = path;
        Length = file.Length;
    }

    public long Length { get; }

    public string Format => "raw";

    /// <summary>Opens a raw image: a regular file or a block device (see <see cref="InputFile"/> for what is refused).</summary>
    public static RawDisk Open(string path)
    {
        return new RawDisk(DiskFile.Open(path, DiskImage.ExplicitImage, out _), path);
    }

    /// <summary>A raw image in an opened file (an archive member read in place); takes ownership of <paramref name="file"/>.</summary>
    public static RawDisk Open(DiskFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new RawDisk(file, file.Name);
    }

    public void Read(long offset, Span<byte> buffer)
    {
        DiskArgs.CheckRead(offset, buffer.Length, Length);

        var done = 0;
        while (done < buffer.Length)
        {
            var n = _file.Read(buffer[done..], offset + done);
            if (n == 0)
            {
                // The file shrank under us.
                throw new EndOfStreamException($"{_path}: unexpected end of file at offset {offset + done}");
            }

            done += n;
        }
    }

    public IEnumerable<DiskExtent> GetExtents(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var end = Math.Min(Length, offset + length);
        var pos = offset;
        while (pos < end)
        {
            var data = _file.SeekDataFrom(pos);
            if (data is null)
            {
                // No SEEK_DATA support: everything is data.
                yield return new DiskExtent(pos, end - pos, ExtentKind.Data);
                yield break;
            }

            if (data.Value < 0 || data.Value >= end)
            {
                yield return new DiskExtent(pos, end - pos, ExtentKind.Unallocated);
                yield break;
            }

            if (data.Value > pos)
            {
                yield return new DiskExtent(pos, data.Value - pos, ExtentKind.Unallocated);
                pos = data.Value;
            }

            var hole = _file.SeekHoleFrom(pos);
            var dataEnd = hole is null or < 0 ? end : Math.Min(hole.Value, end);
            if (dataEnd <= pos)
            {
                dataEnd = end;
            }

            yield return new DiskExtent(pos, dataEnd - pos, ExtentKind.Data);
            pos = dataEnd;
        }
    }

    public void Dispose() => _file.Dispose();
}
