using System.Buffers.Binary;
using System.Text;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Vmdk;

/// <summary>What the first bytes of a file say it is, as far as VMDK goes.</summary>
public enum VmdkFileKind
{
    /// <summary>No VMDK signature and no descriptor text.</summary>
    NotVmdk,

    /// <summary>A hosted sparse extent (<c>KDMV</c>): monolithicSparse, twoGbMaxExtentSparse, streamOptimized.</summary>
    HostedSparse,

    /// <summary>An ESX sparse extent (<c>COWD</c>): vmfsSparse redo logs and snapshots.</summary>
    Cowd,

    /// <summary>An ESX seSparse extent (u64 <c>0xCAFEBABE</c>); recognised so it can be refused by name.</summary>
    SeSparse,

    /// <summary>A text descriptor (the "# Disk DescriptorFile" banner, or the createType and version keys).</summary>
    Descriptor,
}

/// <summary>
/// The one VMDK format detector: binary magics (<c>KDMV</c>, <c>COWD</c>, seSparse) and the text
/// descriptor, from a file's first bytes. Used by <see cref="Disk.DiskImage"/>, the VMDK layer
/// opener, the header parsers and the source's "is this file a VMDK" check.
/// </summary>
public static class VmdkSniffer
{
    /// <summary>How many leading bytes <see cref="Detect(ReadOnlySpan{byte})"/> looks at: enough for a descriptor's first lines.</summary>
    public const int ProbeBytes = 1024;

    /// <summary>Bytes that decide a binary kind: the u64 seSparse magic is the longest.</summary>
    public const int MagicBytes = 8;

    /// <summary>"KDMV" read as a little-endian u32.</summary>
    public const uint HostedSparseMagic = 0x564D444B;

    /// <summary>"COWD" read as a little-endian u32.</summary>
    public const uint CowdMagic = 0x44574F43;

    /// <summary>seSparse constant-header magic (u64 LE).</summary>
    public const ulong SeSparseMagic = 0x00000000CAFEBABE;

    private const string DescriptorBanner = "# Disk DescriptorFile";

    /// <summary>
    /// The largest descriptor file that may end in NUL padding. qemu-img pads what it writes to the file system's
    /// request alignment (512 B or 4 KiB, so the padding depends on the host), and rewrites the CID as a whole
    /// 10 KiB buffer; 64 KiB covers both with room, and a disk image is larger than this.
    /// </summary>
    public const int MaxPaddedDescriptorBytes = 64 * 1024;

    /// <summary>True for the kinds this library opens: hosted sparse, COWD and descriptors (seSparse is refused).</summary>
    public static bool IsSupported(VmdkFileKind kind) => kind is VmdkFileKind.HostedSparse or VmdkFileKind.Cowd or VmdkFileKind.Descriptor;

    /// <summary>The binary kind from the magic at offset 0 (4 bytes for KDMV/COWD, 8 for seSparse); <see cref="VmdkFileKind.NotVmdk"/> otherwise.</summary>
    public static VmdkFileKind DetectBinary(ReadOnlySpan<byte> head)
    {
        if (head.Length >= sizeof(uint))
        {
            switch (BinaryPrimitives.ReadUInt32LittleEndian(head))
            {
                case HostedSparseMagic:
                    return VmdkFileKind.HostedSparse;
                case CowdMagic:
                    return VmdkFileKind.Cowd;
            }
        }

        return head.Length >= sizeof(ulong) && BinaryPrimitives.ReadUInt64LittleEndian(head) == SeSparseMagic
            ? VmdkFileKind.SeSparse
            : VmdkFileKind.NotVmdk;
    }

    /// <summary>The kind from a file's first bytes (up to <see cref="ProbeBytes"/> are looked at): a binary magic, else descriptor text.</summary>
    public static VmdkFileKind Detect(ReadOnlySpan<byte> head)
    {
        var binary = DetectBinary(head);
        if (binary != VmdkFileKind.NotVmdk)
        {
            return binary;
        }

        return IsDescriptorText(head[..Math.Min(head.Length, ProbeBytes)]) ? VmdkFileKind.Descriptor : VmdkFileKind.NotVmdk;
    }

    /// <summary>The kind of the file behind <paramref name="handle"/>, from its first <see cref="ProbeBytes"/> bytes.</summary>
    public static VmdkFileKind Detect(DiskFile handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return DetectHead(handle);
    }

    /// <summary>
    /// The kind of an image of unknown format (a probe, as <c>disk convert</c> without <c>-f</c> does). A text
    /// descriptor is a small text FILE: the whole file must be at most <see cref="VmdkLimits.MaxDescriptorBytes"/> of
    /// text, followed only by NULs up to <see cref="MaxPaddedDescriptorBytes"/> in all (qemu-img pads descriptors to the file system's alignment). A disk image whose first sector holds descriptor text (written by a guest, say) is not a
    /// descriptor: reading it as one would open the files it names. qemu-img probes such an image as a VMDK; we do
    /// not, and only an explicit format (<c>-f vmdk</c>, or a .vmx naming it) reads it as one.
    /// </summary>
    public static VmdkFileKind DetectImage(DiskFile handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var kind = DetectHead(handle);
        return kind == VmdkFileKind.Descriptor && !IsSmallTextFile(handle) ? VmdkFileKind.NotVmdk : kind;
    }

    private static bool IsSmallTextFile(DiskFile handle)
    {
        var length = handle.Length;
        if (length > VmdkLimits.MaxDescriptorBytes)
        {
            return false;
        }

        var bytes = new byte[length];
        var n = 0;
        while (n < bytes.Length)
        {
            var r = handle.Read(bytes.AsSpan(n), n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        var text = bytes.AsSpan(0, n);
        var nul = text.IndexOf((byte)0);
        return nul < 0 || (text[nul..].IndexOfAnyExcept((byte)0) < 0 && n <= MaxPaddedDescriptorBytes);
    }

    private static VmdkFileKind DetectHead(DiskFile handle)
    {
        Span<byte> head = stackalloc byte[ProbeBytes];
        var n = 0;
        while (n < head.Length)
        {
            var r = handle.Read(head[n..], n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        return Detect(head[..n]);
    }

    /// <summary>The kind of the file at <paramref name="path"/> (opened read-only; a FIFO, a folder or a device is refused, see <see cref="InputFile"/>).</summary>
    public static VmdkFileKind Detect(string path)
    {
        using var handle = DiskFile.Open(path, null, out _);
        return Detect(handle);
    }

    /// <summary>
    /// Descriptor text, read up to the first NUL: the "# Disk DescriptorFile" banner, or both the
    /// <c>createType</c> and <c>version</c> keys (either case), as hand-written descriptors may lack the banner.
    /// </summary>
    public static bool IsDescriptorText(ReadOnlySpan<byte> head)
    {
        var nul = head.IndexOf((byte)0);
        var text = Encoding.Latin1.GetString(nul >= 0 ? head[..nul] : head);
        return text.Contains(DescriptorBanner, StringComparison.OrdinalIgnoreCase)
            || (text.Contains("createType", StringComparison.OrdinalIgnoreCase) && text.Contains("version", StringComparison.OrdinalIgnoreCase));
    }
}
