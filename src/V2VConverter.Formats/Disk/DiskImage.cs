using System.Buffers.Binary;
using System.Text;
using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Formats.Disk;

/// <summary>Opens any supported disk image, detecting the format from its first bytes.</summary>
public static class DiskImage
{
    private const int ProbeBytes = 1024;
    private const uint VmdkSparseMagic = 0x564D444B; // "KDMV" read little-endian
    private const uint VmdkCowdMagic = 0x44574F43;   // "COWD" read little-endian


    /// <summary>Detected format name for <paramref name="path"/>: "qcow2", "vmdk" or "raw".</summary>
    public static string DetectFormat(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var head = new byte[(int)Math.Min(ProbeBytes, RandomAccess.GetLength(handle))];
        var n = 0;
        while (n < head.Length)
        {
            var r = RandomAccess.Read(handle, head.AsSpan(n), n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        return DetectFormat(head.AsSpan(0, n));
    }

    /// <summary>Detection from the first bytes of a file (up to 1 KiB is enough).</summary>
    public static string DetectFormat(ReadOnlySpan<byte> head)
    {
        if (Qcow2Layout.IsMagic(head))
        {
            return "qcow2";
        }

        if (head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) is VmdkSparseMagic or VmdkCowdMagic)
        {
            return "vmdk";
        }

        return IsVmdkDescriptor(head) ? "vmdk" : "raw";
    }

    /// <summary>Opens <paramref name="path"/> as the detected format, or as <paramref name="format"/> when given.</summary>
    public static IVirtualDisk Open(string path, string? format = null, VmdkOpenOptions? vmdkOptions = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file", path);
        }

        format ??= DetectFormat(path);
        return format switch
        {
            "qcow2" => Qcow2Disk.Open(path),
            "raw" => RawDisk.Open(path),
            "vmdk" => VmdkDisk.Open(path, vmdkOptions),
            _ => throw new NotSupportedException($"{path}: unknown disk format \"{format}\" (expected raw, qcow2 or vmdk)"),
        };
    }

    /// <summary>A VMDK text descriptor: optional blank/# lines, then "version=N", or the usual "# Disk DescriptorFile" banner.</summary>
    private static bool IsVmdkDescriptor(ReadOnlySpan<byte> head)
    {
        var nul = head.IndexOf((byte)0);
        var text = Encoding.ASCII.GetString(nul >= 0 ? head[..nul] : head);
        if (text.Contains("# Disk DescriptorFile", StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var compact = line.Replace(" ", "", StringComparison.Ordinal);
            return compact is "version=1" or "version=2" or "version=3" && text.Contains("createType", StringComparison.Ordinal);
        }

        return false;
    }
}
