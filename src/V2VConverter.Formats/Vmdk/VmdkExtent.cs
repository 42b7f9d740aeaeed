using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Vmdk;

/// <summary>How one run of an extent is backed.</summary>
internal enum RunKind
{
    /// <summary>Uncompressed data at <see cref="ExtentRun.HostOffset"/>.</summary>
    Data,

    /// <summary>Reads as zeros; does not fall through to a parent.</summary>
    Zero,

    /// <summary>Not allocated here: read from the parent (or zeros).</summary>
    Unallocated,

    /// <summary>Part of one compressed grain whose marker is at <see cref="ExtentRun.HostOffset"/>.</summary>
    Compressed,
}

/// <summary>A run of an extent: extent-relative guest offset and length, backing kind, host byte offset.</summary>
internal readonly record struct ExtentRun(long Offset, long Length, RunKind Kind, long HostOffset)
{
    public long End => Offset + Length;
}

/// <summary>Reads the guest range of a layer that this extent does not hold (from the parent, or zeros).</summary>
internal delegate void FallThroughRead(long extentOffset, Span<byte> buffer);

/// <summary>One extent of a layer: a guest byte range backed by a file (or by nothing, for ZERO).</summary>
internal abstract class VmdkExtent : IDisposable
{
    /// <summary>Guest bytes this extent covers.</summary>
    public abstract long Length { get; }

    /// <summary>A short description for <c>disk info</c>, e.g. "hosted sparse v1".</summary>
    public abstract string Kind { get; }

    /// <summary>Host bytes used by this extent's file (0 when it has none).</summary>
    public virtual long FileLength => 0;

    /// <summary>Appends the runs of <c>[offset, offset+length)</c> in order, coalescing where possible.</summary>
    public abstract void Map(long offset, long length, List<ExtentRun> runs);

    /// <summary>Reads <c>[offset, offset+buffer.Length)</c>; unallocated runs go to <paramref name="fallThrough"/>.</summary>
    public abstract void Read(long offset, Span<byte> buffer, FallThroughRead fallThrough);

    public virtual void Dispose()
    {
    }

    /// <summary>Appends a run, merging it into the previous one when kinds match and (for data) host bytes are contiguous.</summary>
    internal static void AddRun(List<ExtentRun> runs, ExtentRun run)
    {
        if (runs.Count > 0 && run.Kind != RunKind.Compressed)
        {
            var last = runs[^1];
            if (last.Kind == run.Kind && last.End == run.Offset
                && (run.Kind != RunKind.Data || last.HostOffset + last.Length == run.HostOffset))
            {
                runs[^1] = last with { Length = last.Length + run.Length };
                return;
            }
        }

        runs.Add(run);
    }

    /// <summary>pread until the span is full; a short file is a truncation.</summary>
    internal static void ReadExactly(DiskFile file, Span<byte> buffer, long fileOffset, string source, string what)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = file.Read(buffer[done..], fileOffset + done);
            if (n <= 0)
            {
                throw new EndOfStreamException($"{source}: {what} at byte {fileOffset} is truncated ({done} of {buffer.Length} bytes present)");
            }

            done += n;
        }
    }
}

/// <summary>FLAT or VMFS extent: the guest range maps 1:1 onto a file at an offset.</summary>
internal sealed class FlatExtent(DiskFile file, string path, long fileOffset, long length, string kind) : VmdkExtent
{
    public override long Length => length;

    public override string Kind => kind;

    public override long FileLength => file.Length;

    /// <summary>
    /// Holes in the flat file (SEEK_DATA/SEEK_HOLE) read as zeros: a flat extent has no parent, so they
    /// are Zero runs, never read by a copier. Where the file system cannot tell, everything is data.
    /// </summary>
    public override void Map(long offset, long length, List<ExtentRun> runs)
    {
        var pos = offset;
        var end = offset + length;
        while (pos < end)
        {
            var data = file.SeekDataFrom(fileOffset + pos);
            if (data is null)
            {
                AddRun(runs, new ExtentRun(pos, end - pos, RunKind.Data, fileOffset + pos));
                return;
            }

            var dataStart = data.Value < 0 ? end : Math.Clamp(data.Value - fileOffset, pos, end);
            if (dataStart > pos)
            {
                AddRun(runs, new ExtentRun(pos, dataStart - pos, RunKind.Zero, 0));
                pos = dataStart;
                if (pos >= end)
                {
                    return;
                }
            }

            var hole = file.SeekHoleFrom(fileOffset + pos);
            var dataEnd = hole is null or < 0 ? end : Math.Min(end, hole.Value - fileOffset);
            if (dataEnd <= pos)
            {
                dataEnd = end;
            }

            AddRun(runs, new ExtentRun(pos, dataEnd - pos, RunKind.Data, fileOffset + pos));
            pos = dataEnd;
        }
    }

    public override void Read(long offset, Span<byte> buffer, FallThroughRead fallThrough) =>
        ReadExactly(file, buffer, fileOffset + offset, path, "flat extent data");

    public override void Dispose() => file.Dispose();
}

/// <summary>ZERO extent: no file, reads as zeros.</summary>
internal sealed class ZeroExtent(long length) : VmdkExtent
{
    public override long Length => length;

    public override string Kind => "zero";

    public override void Map(long offset, long length, List<ExtentRun> runs) =>
        AddRun(runs, new ExtentRun(offset, length, RunKind.Zero, 0));

    public override void Read(long offset, Span<byte> buffer, FallThroughRead fallThrough) => buffer.Clear();
}
