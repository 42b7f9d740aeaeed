using System.Buffers.Binary;
using System.Text;
using V2VConverter.Model.Vm;

namespace V2VConverter.Formats.Nvram;

/// <summary>Byte offsets of EFI_LOAD_OPTION (UEFI spec 2.x §3.1.3), little-endian; Description follows at <see cref="Description"/>.</summary>
internal static class LoadOptionLayout
{
    public const int Attributes = 0;
    public const int FilePathListLength = 4;
    public const int Description = 6;
}

/// <summary>The value of a <c>Boot####</c> variable: EFI_LOAD_OPTION.</summary>
/// <param name="Attributes">LOAD_OPTION_* bits (<see cref="Active"/> 0x1).</param>
/// <param name="Description">The option's name for the user.</param>
/// <param name="FilePathList">The first instance of its device path.</param>
/// <param name="OptionalData">Bytes after the device path list, passed to the loaded image.</param>
public sealed record EfiLoadOption(uint Attributes, string Description, EfiDevicePath FilePathList, byte[] OptionalData)
{
    public const uint Active = 0x1;

    /// <summary>Parses a load option; <paramref name="where"/> names the file and variable in messages.</summary>
    public static EfiLoadOption Parse(ReadOnlySpan<byte> data, string where)
    {
        if (data.Length < LoadOptionLayout.Description)
        {
            throw new InvalidDataException($"{where}: load option: field data length has the bad value {data.Length} (Attributes and FilePathListLength need {LoadOptionLayout.Description} bytes)");
        }

        var attributes = BinaryPrimitives.ReadUInt32LittleEndian(data[LoadOptionLayout.Attributes..]);
        int listLength = BinaryPrimitives.ReadUInt16LittleEndian(data[LoadOptionLayout.FilePathListLength..]);
        var rest = data[LoadOptionLayout.Description..];
        var nul = Ucs2.TerminatorIndex(rest);
        if (nul < 0)
        {
            throw new InvalidDataException($"{where}: load option: field Description has no NUL terminator in the {rest.Length} bytes after the header");
        }

        var description = Encoding.Unicode.GetString(rest[..nul]);
        var listStart = nul + 2;
        if (listLength > rest.Length - listStart)
        {
            throw new InvalidDataException($"{where}: load option: field FilePathListLength has the bad value {listLength} (only {rest.Length - listStart} bytes follow the description)");
        }

        var list = rest.Slice(listStart, listLength);
        return new EfiLoadOption(attributes, description, EfiDevicePath.Parse(list, where), rest[(listStart + listLength)..].ToArray());
    }

    /// <summary>The model's view of this option as <c>Boot{number:X4}</c>.</summary>
    public UefiBootEntry ToBootEntry(int number) => new(
        number,
        Description,
        (Attributes & Active) != 0,
        FilePathList.FilePath,
        FilePathList.HardDrive is { } hd ? (int)hd.PartitionNumber : null,
        FilePathList.HardDrive?.PartitionGuid)
    {
        PortableLoadOption = FilePathList.FromHardDrive() is { } shortForm ? (this with { FilePathList = shortForm }).ToBytes() : null,
    };

    /// <summary>The option's bytes, as the UEFI spec lays them out (the inverse of <see cref="Parse"/>).</summary>
    public byte[] ToBytes()
    {
        var path = FilePathList.ToBytes();
        if (path.Length > ushort.MaxValue)
        {
            throw new InvalidDataException($"load option \"{Description}\": a {path.Length}-byte device path does not fit FilePathListLength");
        }

        var description = Encoding.Unicode.GetBytes(Description + "\0");
        var bytes = new byte[LoadOptionLayout.Description + description.Length + path.Length + OptionalData.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(LoadOptionLayout.Attributes), Attributes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(LoadOptionLayout.FilePathListLength), (ushort)path.Length);
        description.CopyTo(bytes, LoadOptionLayout.Description);
        path.CopyTo(bytes, LoadOptionLayout.Description + description.Length);
        OptionalData.CopyTo(bytes, LoadOptionLayout.Description + description.Length + path.Length);
        return bytes;
    }
}
