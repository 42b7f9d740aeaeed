using System.Buffers.Binary;
using System.Text;

namespace V2VConverter.TestSupport;

/// <summary>
/// Builds a VMware UEFI <c>NAME.nvram</c> as the firmware leaves it: "MRVN" + version 1, firmware state standing in for
/// the CMOS tables, "EFI_NV\0\0" + u32 size, then the "VMWNVRAM" region (u32 0, u32 length from the signature) with the
/// records back to back, and 0xFF up to a fixed size. Adding a name twice appends a second record, like the real log.
/// </summary>
public sealed class VmwareNvramWriter
{
    /// <summary>The size of a real file.</summary>
    public const int TotalSize = 270840;

    /// <summary>Bytes of firmware state between the "MRVN" header and "EFI_NV".</summary>
    public const int FirmwareStateSize = 8192;

    /// <summary>Where "VMWNVRAM" starts: after "MRVN" + u32, the firmware state, and "EFI_NV\0\0" + u32.</summary>
    public const int RegionOffset = 8 + FirmwareStateSize + 12;

    /// <summary>Where the region length (u32, counted from the signature) lies.</summary>
    public const int RegionLengthOffset = RegionOffset + 12;

    /// <summary>Where the first record starts.</summary>
    public const int FirstRecordOffset = RegionOffset + 16;

    /// <summary>Record header: guid[16], u32 attributes, u32 total_len, u32 name_len.</summary>
    public const int RecordHeaderSize = 28;

    public const uint NvBsRt = 7;

    public static readonly Guid EfiGlobal = new("8be4df61-93ca-11d2-aa0d-00e098032b8c");

    /// <summary>A non-global namespace a real store has (EDK2's MemoryTypeInformation).</summary>
    public static readonly Guid MemoryTypeInformationGuid = new("4c19049f-4137-4dd3-9c10-8b97a83ffdfa");

    private readonly List<byte[]> _records = [];

    /// <summary>Appends a record.</summary>
    public VmwareNvramWriter Add(Guid vendor, string name, uint attributes, byte[] data)
    {
        var nameBytes = Encoding.Unicode.GetBytes(name + "\0");
        var rec = new byte[RecordHeaderSize + nameBytes.Length + data.Length];
        vendor.TryWriteBytes(rec.AsSpan(0, 16));
        BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(16), attributes);
        BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(20), (uint)(nameBytes.Length + data.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(24), (uint)nameBytes.Length);
        nameBytes.CopyTo(rec, RecordHeaderSize);
        data.CopyTo(rec, RecordHeaderSize + nameBytes.Length);
        _records.Add(rec);
        return this;
    }

    /// <summary>Appends <c>Boot{number:X4}</c>: a disk on VMware's LSI SCSI controller, a GPT partition and a file on it.</summary>
    public VmwareNvramWriter AddBootOption(int number, string description, string filePath, int partition, Guid partitionGuid, ulong startLba, ulong sizeLba, bool active = true) =>
        Add(EfiGlobal, $"Boot{number:X4}", NvBsRt, LoadOption(description, active, [.. ScsiDisk(), .. HardDrive(partition, partitionGuid, startLba, sizeLba), .. FilePath(filePath), .. End()]));

    /// <summary>Appends a device-only <c>Boot{number:X4}</c> like the firmware's own "EFI VMware Virtual SCSI Hard Drive (0.0)".</summary>
    public VmwareNvramWriter AddDeviceBootOption(int number, string description, bool active = true) =>
        Add(EfiGlobal, $"Boot{number:X4}", NvBsRt, LoadOption(description, active, [.. ScsiDisk(), .. End()]));

    /// <summary>Appends a BootOrder record.</summary>
    public VmwareNvramWriter SetBootOrder(params int[] numbers)
    {
        var data = new byte[numbers.Length * 2];
        for (var i = 0; i < numbers.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), (ushort)numbers[i]);
        }

        return Add(EfiGlobal, "BootOrder", NvBsRt, data);
    }

    /// <summary>Appends the variables a real store holds besides the boot options.</summary>
    public VmwareNvramWriter WithTypicalNoise()
    {
        Add(EfiGlobal, "Lang", NvBsRt, Encoding.ASCII.GetBytes("eng\0"));
        Add(EfiGlobal, "PlatformLang", NvBsRt, Encoding.ASCII.GetBytes("en-US\0"));
        Add(EfiGlobal, "Timeout", NvBsRt, [0, 0]);
        Add(EfiGlobal, "ConOut", NvBsRt, [.. PciRoot(), .. Node(0x01, 0x01, [0x00, 0x0F]), .. End()]);
        return Add(MemoryTypeInformationGuid, "MemoryTypeInformation", 3, [0x0A, 0, 0, 0, 0x40, 0, 0, 0, 0x0F, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// <summary>The whole file.</summary>
    public byte[] ToArray()
    {
        var file = new byte[TotalSize];
        var records = _records.Sum(r => r.Length);
        if (FirstRecordOffset + records > TotalSize)
        {
            throw new InvalidOperationException($"{records} bytes of records do not fit a {TotalSize}-byte file");
        }

        "MRVN"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 1);
        FirmwareState().CopyTo(file.AsSpan(8));
        "EFI_NV\0\0"u8.CopyTo(file.AsSpan(RegionOffset - 12));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(RegionOffset - 4), (uint)(TotalSize - RegionOffset));
        "VMWNVRAM"u8.CopyTo(file.AsSpan(RegionOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(RegionOffset + 8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(RegionLengthOffset), (uint)(16 + records));
        var off = FirstRecordOffset;
        foreach (var r in _records)
        {
            r.CopyTo(file, off);
            off += r.Length;
        }

        file.AsSpan(off).Fill(0xFF);
        return file;
    }

    public void Write(string path) => File.WriteAllBytes(path, ToArray());

    /// <summary>A load option: u32 attributes, u16 FilePathListLength, NUL-terminated UCS-2 description, the path list.</summary>
    private static byte[] LoadOption(string description, bool active, byte[] pathList)
    {
        var desc = Encoding.Unicode.GetBytes(description + "\0");
        var data = new byte[6 + desc.Length + pathList.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(data, active ? 1u : 0u);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)pathList.Length);
        desc.CopyTo(data, 6);
        pathList.CopyTo(data, 6 + desc.Length);
        return data;
    }

    private static byte[] Node(byte type, byte subType, byte[] data)
    {
        var node = new byte[4 + data.Length];
        node[0] = type;
        node[1] = subType;
        BinaryPrimitives.WriteUInt16LittleEndian(node.AsSpan(2), (ushort)node.Length);
        data.CopyTo(node, 4);
        return node;
    }

    /// <summary>ACPI PciRoot(0): HID PNP0A03 (0x0A0341D0), UID 0.</summary>
    private static byte[] PciRoot()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(data, 0x0A0341D0);
        return Node(0x02, 0x01, data);
    }

    /// <summary>PciRoot(0)/Pci(0x10,0x0)/Scsi(0x0,0x0): the first disk on VMware's LSI controller.</summary>
    private static byte[] ScsiDisk() => [.. PciRoot(), .. Node(0x01, 0x01, [0x00, 0x10]), .. Node(0x03, 0x02, [0, 0, 0, 0])];

    private static byte[] HardDrive(int partition, Guid partitionGuid, ulong startLba, ulong sizeLba)
    {
        var data = new byte[38];
        BinaryPrimitives.WriteUInt32LittleEndian(data, (uint)partition);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(4), startLba);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(12), sizeLba);
        partitionGuid.TryWriteBytes(data.AsSpan(20, 16));
        data[36] = 2; // GPT
        data[37] = 2; // GUID signature
        return Node(0x04, 0x01, data);
    }

    private static byte[] FilePath(string path) => Node(0x04, 0x04, Encoding.Unicode.GetBytes(path + "\0"));

    private static byte[] End() => Node(0x7F, 0xFF, []);

    /// <summary>Stand-in for the CMOS tables: their names, then bytes that never spell a signature.</summary>
    private static byte[] FirmwareState()
    {
        var state = new byte[FirmwareStateSize];
        var names = "CMOStimA\0CMOStimB\0CMOS\0"u8;
        names.CopyTo(state);
        for (var i = names.Length; i < state.Length; i++)
        {
            state[i] = (byte)(i * 7 % 251);
        }

        return state;
    }
}
