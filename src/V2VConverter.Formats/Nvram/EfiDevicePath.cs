using System.Buffers.Binary;
using System.Text;

namespace V2VConverter.Formats.Nvram;

/// <summary>The first instance of a device path (UEFI spec 2.x §10.2): its nodes up to the first End node.</summary>
/// <param name="Nodes">The nodes, End node excluded.</param>
public sealed record EfiDevicePath(IReadOnlyList<EfiDevicePathNode> Nodes)
{
    /// <summary>The first Hard Drive media node, decoded; null without one.</summary>
    public EfiHardDriveNode? HardDrive { get; private init; }

    /// <summary>The Media File Path nodes joined with <c>\</c> (<c>/</c> read as <c>\</c>, doubled separators collapsed); null without one.</summary>
    public string? FilePath { get; private init; }

    /// <summary>Parses the nodes of <paramref name="list"/> up to the first End node (or the list's end).</summary>
    /// <param name="where">Starts the message of a bad node: the file and the variable.</param>
    public static EfiDevicePath Parse(ReadOnlySpan<byte> list, string where)
    {
        var nodes = new List<EfiDevicePathNode>();
        EfiHardDriveNode? hardDrive = null;
        var paths = new List<string>();
        for (var off = 0; off < list.Length;)
        {
            var node = ReadNode(list, off, where, out var length);
            off += length;
            if (node.IsEnd)
            {
                break;
            }

            nodes.Add(node);
            if (node.IsHardDrive)
            {
                hardDrive ??= EfiHardDriveNode.Parse(node.Data, where);
            }
            else if (node.IsFilePath)
            {
                paths.Add(Ucs2.ReadTerminated(node.Data));
            }
        }

        return new EfiDevicePath(nodes) { HardDrive = hardDrive, FilePath = paths.Count == 0 ? null : NormalisePath(paths) };
    }

    /// <summary>
    /// The short form firmware expands at boot: the nodes from the first hard-drive node on (the machine-specific prefix,
    /// PciRoot/Pci/Scsi..., dropped). Null without a hard-drive node.
    /// </summary>
    public EfiDevicePath? FromHardDrive()
    {
        var at = Nodes.ToList().FindIndex(n => n.IsHardDrive);
        return at < 0 ? null : new EfiDevicePath(Nodes.Skip(at).ToList()) { HardDrive = HardDrive, FilePath = FilePath };
    }

    /// <summary>The nodes as bytes, closed with the End of Entire Device Path node.</summary>
    public byte[] ToBytes()
    {
        var bytes = new List<byte>();
        foreach (var n in Nodes.Append(new EfiDevicePathNode(EfiDevicePathTypes.End, EfiDevicePathTypes.EndEntire, [])))
        {
            var length = EfiDevicePathNode.HeaderSize + n.Data.Length;
            bytes.Add(n.Type);
            bytes.Add(n.SubType);
            bytes.Add((byte)length);
            bytes.Add((byte)(length >> 8));
            bytes.AddRange(n.Data);
        }

        return [.. bytes];
    }

    private static EfiDevicePathNode ReadNode(ReadOnlySpan<byte> list, int off, string where, out int length)
    {
        var left = list.Length - off;
        if (left < EfiDevicePathNode.HeaderSize)
        {
            throw new InvalidDataException($"{where}: device path node at byte {off}: only {left} bytes left in the {list.Length}-byte FilePathList, a node header needs {EfiDevicePathNode.HeaderSize}");
        }

        length = BinaryPrimitives.ReadUInt16LittleEndian(list[(off + EfiDevicePathNode.LengthOffset)..]);
        if (length < EfiDevicePathNode.HeaderSize || length > left)
        {
            var why = length < EfiDevicePathNode.HeaderSize
                ? $"less than the {EfiDevicePathNode.HeaderSize}-byte node header"
                : $"past the end of the {list.Length}-byte FilePathList, {left} bytes left";
            throw new InvalidDataException($"{where}: device path node at byte {off}: field Length has the bad value {length} ({why})");
        }

        return new EfiDevicePathNode(
            list[off + EfiDevicePathNode.TypeOffset],
            list[off + EfiDevicePathNode.SubTypeOffset],
            list.Slice(off + EfiDevicePathNode.HeaderSize, length - EfiDevicePathNode.HeaderSize).ToArray());
    }

    private static string NormalisePath(IEnumerable<string> parts)
    {
        var path = string.Join('\\', parts).Replace('/', '\\');
        while (path.Contains(@"\\", StringComparison.Ordinal))
        {
            path = path.Replace(@"\\", @"\", StringComparison.Ordinal);
        }

        return path;
    }
}

/// <summary>UCS-2 (UTF-16LE) strings as UEFI stores them.</summary>
internal static class Ucs2
{
    /// <summary>The text up to the first NUL character (or the end of <paramref name="data"/>); an odd last byte is ignored.</summary>
    public static string ReadTerminated(ReadOnlySpan<byte> data)
    {
        var chars = TerminatorIndex(data);
        return Encoding.Unicode.GetString(data[..(chars < 0 ? data.Length & ~1 : chars)]);
    }

    /// <summary>The byte offset of the first NUL character (at an even offset); -1 without one.</summary>
    public static int TerminatorIndex(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            if (data[i] == 0 && data[i + 1] == 0)
            {
                return i;
            }
        }

        return -1;
    }
}
