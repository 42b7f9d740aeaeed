using System.Buffers.Binary;
using System.Text;

namespace V2VConverter.Formats.Qcow2;

/// <summary>The feature name table header extension (type 0x6803F857): 48-byte entries {type, bit, name[46]}.</summary>
internal static class Qcow2FeatureNames
{
    private const byte Incompatible = 0;
    private const byte Compatible = 1;
    private const byte Autoclear = 2;

    private static readonly (byte Type, byte Bit, string Name)[] Entries =
    [
        (Incompatible, 0, "dirty bit"),
        (Incompatible, 1, "corrupt bit"),
        (Incompatible, 2, "external data file"),
        (Incompatible, 3, "compression type"),
        (Incompatible, 4, "extended L2 entries"),
        (Compatible, 0, "lazy refcounts"),
        (Autoclear, 0, "bitmaps"),
        (Autoclear, 1, "raw external data"),
    ];

    /// <summary>Bytes the extensions take: the table, then the end marker.</summary>
    public static int Length => Qcow2Layout.ExtHeaderLength + (Entries.Length * Qcow2Layout.FeatureNameEntryLength) + Qcow2Layout.ExtHeaderLength;

    /// <summary>Writes the feature name table extension and the end-of-extensions marker.</summary>
    public static void WriteExtensions(Span<byte> dest)
    {
        var tableLength = Entries.Length * Qcow2Layout.FeatureNameEntryLength;
        dest[..Length].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(dest, Qcow2Layout.ExtFeatureNameTable);
        BinaryPrimitives.WriteUInt32BigEndian(dest[4..], (uint)tableLength);
        var p = Qcow2Layout.ExtHeaderLength;
        foreach (var (type, bit, name) in Entries)
        {
            dest[p] = type;
            dest[p + 1] = bit;
            Encoding.ASCII.GetBytes(name, dest.Slice(p + 2, Qcow2Layout.FeatureNameLength));
            p += Qcow2Layout.FeatureNameEntryLength;
        }

        // End marker: type 0, length 0 (already zero).
    }
}
