using System.Buffers.Binary;

namespace V2VConverter.Formats.Nvram;

/// <summary>Byte offsets in the data of a Hard Drive media device path node (type 4, subtype 1; the 4-byte header excluded).</summary>
internal static class HardDriveLayout
{
    public const int PartitionNumber = 0;
    public const int PartitionStart = 4;
    public const int PartitionSize = 12;
    public const int Signature = 20;
    public const int SignatureSize = 16;
    public const int MbrType = 36;
    public const int SignatureType = 37;
    public const int Size = 38;
}

/// <summary>A Hard Drive media device path node: the partition a boot option names.</summary>
/// <param name="PartitionNumber">The partition table entry, from 1 (0 is the whole device).</param>
/// <param name="PartitionStart">First LBA.</param>
/// <param name="PartitionSize">Size in blocks.</param>
/// <param name="Signature">16 bytes: an MBR disk signature (u32, first 4 bytes) or the GPT partition GUID.</param>
/// <param name="MbrType">1 MBR, 2 GPT.</param>
/// <param name="SignatureType">0 none, 1 MBR u32, 2 GUID.</param>
public sealed record EfiHardDriveNode(uint PartitionNumber, ulong PartitionStart, ulong PartitionSize, byte[] Signature, byte MbrType, byte SignatureType)
{
    public const byte MbrTypeMbr = 1;
    public const byte MbrTypeGpt = 2;
    public const byte SignatureNone = 0;
    public const byte SignatureMbr = 1;
    public const byte SignatureGuid = 2;

    /// <summary>The GPT partition GUID when <see cref="SignatureType"/> is 2; null otherwise.</summary>
    public Guid? PartitionGuid => SignatureType == SignatureGuid ? new Guid(Signature) : null;

    /// <summary>Decodes a node's data; <paramref name="where"/> starts the message of a bad one.</summary>
    public static EfiHardDriveNode Parse(ReadOnlySpan<byte> data, string where)
    {
        if (data.Length < HardDriveLayout.Size)
        {
            throw new InvalidDataException($"{where}: Hard Drive device path node: field Length has the bad value {data.Length + EfiDevicePathNode.HeaderSize} (must be at least {HardDriveLayout.Size + EfiDevicePathNode.HeaderSize})");
        }

        var number = BinaryPrimitives.ReadUInt32LittleEndian(data[HardDriveLayout.PartitionNumber..]);
        if (number > int.MaxValue)
        {
            throw new InvalidDataException($"{where}: Hard Drive device path node: field PartitionNumber has the bad value {number}");
        }

        return new EfiHardDriveNode(
            number,
            BinaryPrimitives.ReadUInt64LittleEndian(data[HardDriveLayout.PartitionStart..]),
            BinaryPrimitives.ReadUInt64LittleEndian(data[HardDriveLayout.PartitionSize..]),
            data.Slice(HardDriveLayout.Signature, HardDriveLayout.SignatureSize).ToArray(),
            data[HardDriveLayout.MbrType],
            data[HardDriveLayout.SignatureType]);
    }
}
