using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Vmdk;

/// <summary>What <c>disk info</c> shows about one extent of a layer.</summary>
public sealed record VmdkExtentInfo(string Access, long SizeSectors, string Type, string? FileName, long OffsetSectors, string? ResolvedPath, string Kind, long FileBytes);

/// <summary>
/// One disk of a snapshot chain: a descriptor (standalone or embedded) and its extents, read over its parent.
/// </summary>
public sealed partial class VmdkLayer : IDisposable
{
    private readonly VmdkExtent[] _extents;
    private readonly long[] _starts;

    private VmdkLayer(string path, string createType, VmdkDescriptor? descriptor, VmdkExtent[] extents, IReadOnlyList<VmdkExtentInfo> infos, VmdkLayer? parent)
    {
        Path = path;
        CreateType = createType;
        Descriptor = descriptor;
        _extents = extents;
        Extents = infos;
        Parent = parent;
        _starts = new long[extents.Length];
        long pos = 0;
        for (var i = 0; i < extents.Length; i++)
        {
            _starts[i] = pos;
            pos += extents[i].Length;
        }

        Length = pos;
    }

    /// <summary>Full path of the file that was opened for this layer (descriptor or KDMV/COWD file).</summary>
    public string Path { get; }

    /// <summary>createType (subformat): from the descriptor, or inferred for a bare KDMV/COWD file.</summary>
    public string CreateType { get; }

    public VmdkDescriptor? Descriptor { get; }

    public IReadOnlyList<VmdkExtentInfo> Extents { get; }

    /// <summary>The disk this one is a delta of, or null for a base disk.</summary>
    public VmdkLayer? Parent { get; }

    /// <summary>Virtual size in bytes (sum of the extents).</summary>
    public long Length { get; }

    public uint? Cid => Descriptor?.Cid;

    public uint ParentCid => Descriptor?.ParentCid ?? VmdkDescriptor.NoParentCid;

    /// <summary>Host bytes of every file of this layer.</summary>
    public long FileBytes => Extents.Sum(e => e.FileBytes) + (Extents.Any(e => e.ResolvedPath == Path) ? 0 : SafeLength(Path));

    private static long SafeLength(string p)
    {
        try
        {
            return new FileInfo(p).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        foreach (var e in _extents)
        {
            e.Dispose();
        }

        Parent?.Dispose();
    }

    /// <summary>Reads guest bytes of this layer, falling through to the parent for unallocated runs.</summary>
    internal void Read(long offset, Span<byte> buffer)
    {
        var i = FindExtent(offset);
        while (buffer.Length > 0)
        {
            var extent = _extents[i];
            var start = _starts[i];
            var rel = offset - start;
            var n = (int)Math.Min(buffer.Length, extent.Length - rel);
            if (n > 0)
            {
                extent.Read(rel, buffer[..n], (o, s) => ReadParent(start + o, s));
                buffer = buffer[n..];
                offset += n;
            }

            i++;
        }
    }

    private void ReadParent(long offset, Span<byte> buffer)
    {
        if (Parent is null || offset >= Parent.Length)
        {
            buffer.Clear();
            return;
        }

        var n = (int)Math.Min(buffer.Length, Parent.Length - offset);
        Parent.Read(offset, buffer[..n]);
        buffer[n..].Clear();
    }

    /// <summary>Appends the chain-resolved allocation map of a range to <paramref name="result"/>, coalesced.</summary>
    internal void Map(long offset, long length, List<DiskExtent> result)
    {
        if (length == 0)
        {
            return;
        }

        var i = FindExtent(offset);
        var end = offset + length;
        var runs = new List<ExtentRun>();
        while (offset < end)
        {
            var extent = _extents[i];
            var start = _starts[i];
            var rel = offset - start;
            var n = Math.Min(end - offset, extent.Length - rel);
            if (n > 0)
            {
                runs.Clear();
                extent.Map(rel, n, runs);
                foreach (var run in runs)
                {
                    var guest = start + run.Offset;
                    switch (run.Kind)
                    {
                        case RunKind.Data or RunKind.Compressed:
                            Append(result, new DiskExtent(guest, run.Length, ExtentKind.Data));
                            break;
                        case RunKind.Zero:
                            Append(result, new DiskExtent(guest, run.Length, ExtentKind.Zero));
                            break;
                        default:
                            MapParent(guest, run.Length, result);
                            break;
                    }
                }

                offset += n;
            }

            i++;
        }
    }

    private void MapParent(long offset, long length, List<DiskExtent> result)
    {
        var inParent = Parent is null ? 0 : Math.Clamp(Parent.Length - offset, 0, length);
        if (inParent > 0)
        {
            Parent!.Map(offset, inParent, result);
        }

        if (length > inParent)
        {
            Append(result, new DiskExtent(offset + inParent, length - inParent, ExtentKind.Unallocated));
        }
    }

    internal static void Append(List<DiskExtent> result, DiskExtent e)
    {
        if (e.Length == 0)
        {
            return;
        }

        if (result.Count > 0 && result[^1].Kind == e.Kind && result[^1].End == e.Offset)
        {
            result[^1] = result[^1] with { Length = result[^1].Length + e.Length };
            return;
        }

        result.Add(e);
    }

    private int FindExtent(long offset)
    {
        var i = Array.BinarySearch(_starts, offset);
        i = i >= 0 ? i : ~i - 1;

        // Skip zero-length extents that share a start.
        while (i < _extents.Length - 1 && _starts[i] + _extents[i].Length <= offset)
        {
            i++;
        }

        return Math.Max(i, 0);
    }
}
