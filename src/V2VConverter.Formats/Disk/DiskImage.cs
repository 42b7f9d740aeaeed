using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Disk;

/// <summary>Opens any supported disk image, detecting the format from its first bytes.</summary>
public static class DiskImage
{
    private const int ProbeBytes = VmdkSniffer.ProbeBytes;

    /// <summary>An image named on the command line may be a block device (a raw disk, an LV holding a qcow2).</summary>
    internal static readonly InputFileOptions ExplicitImage = new() { AllowBlockDevice = true };

    /// <summary>
    /// Detected format name for <paramref name="path"/>: "qcow2", "vmdk" or "raw". A text descriptor counts only when
    /// the whole file is small text (<see cref="VmdkSniffer.DetectImage"/>): a
    /// raw image whose first sector holds a descriptor is raw.
    /// </summary>
    public static string DetectFormat(string path)
    {
        using var file = DiskFile.Open(path, ExplicitImage, out _);
        return DetectFormat(file);
    }

    /// <summary>Detected format name of an opened file (a host file or an archive member), as <see cref="DetectFormat(string)"/>.</summary>
    public static string DetectFormat(DiskFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!VmdkSniffer.IsSupported(VmdkSniffer.DetectImage(file)))
        {
            return Qcow2Layout.IsMagic(ReadHead(file)) ? "qcow2" : "raw";
        }

        return "vmdk";
    }

    private static byte[] ReadHead(DiskFile file)
    {
        var head = new byte[(int)Math.Min(ProbeBytes, file.Length)];
        var n = 0;
        while (n < head.Length)
        {
            var r = file.Read(head.AsSpan(n), n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        return head.AsSpan(0, n).ToArray();
    }

    /// <summary>Detection from the first bytes of a file (up to 1 KiB is enough).</summary>
    public static string DetectFormat(ReadOnlySpan<byte> head)
    {
        if (Qcow2Layout.IsMagic(head))
        {
            return "qcow2";
        }

        return VmdkSniffer.IsSupported(VmdkSniffer.Detect(head)) ? "vmdk" : "raw";
    }

    /// <summary>Opens <paramref name="path"/> as the detected format, or as <paramref name="format"/> when given.</summary>
    public static IVirtualDisk Open(string path, string? format = null, VmdkOpenOptions? vmdkOptions = null)
    {
        format ??= DetectFormat(path);
        return format switch
        {
            "qcow2" => Qcow2Disk.Open(path),
            "raw" => RawDisk.Open(path),
            "vmdk" => VmdkDisk.Open(path, vmdkOptions),
            _ => throw new NotSupportedException($"{path}: unknown disk format \"{format}\" (expected raw, qcow2 or vmdk)"),
        };
    }
}
