using System.Buffers.Binary;
using System.Globalization;
using V2VConverter.Model.IO;
using V2VConverter.Model.Vm;

namespace V2VConverter.Formats.Nvram;

/// <summary>
/// Reads VMware's UEFI variable store (<c>NAME.nvram</c> next to the .vmx): its EFI variables, and from them the boot
/// options and BootOrder. A BIOS VM's file has no variable region: that fails like any non-UEFI file, and the caller
/// decides what it means.
/// </summary>
public static class VmwareNvram
{
    /// <summary>The largest file read (a real one is about 264 KiB).</summary>
    public const int MaxFileBytes = 16 << 20;

    /// <summary>EFI_GLOBAL_VARIABLE: the namespace of <c>Boot####</c> and <c>BootOrder</c>.</summary>
    public static readonly Guid EfiGlobalVariable = new("8be4df61-93ca-11d2-aa0d-00e098032b8c");

    private const string BootPrefix = "Boot";
    private const string BootOrderName = "BootOrder";
    private const int BootDigits = 4;

    /// <summary>Reads the boot state of the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is larger than <see cref="MaxFileBytes"/>, or malformed.</exception>
    public static UefiBootState Read(string path) =>
        ReadBootState(InputFile.ReadAllBytes(path, MaxFileBytes, new InputFileOptions { What = "VMware NVRAM file" }), path);

    /// <summary>
    /// The variables of the store, one per (vendor GUID, name): the store is an append log, so the last record of a
    /// name wins. In the order of each winning record.
    /// </summary>
    /// <param name="origin">Where the bytes come from, for messages.</param>
    public static IReadOnlyList<EfiVariable> ReadVariables(ReadOnlySpan<byte> file, string origin)
    {
        var records = NvramRegion.ReadRecords(file, origin);
        var last = new Dictionary<(Guid, string), int>();
        for (var i = 0; i < records.Count; i++)
        {
            last[(records[i].VendorGuid, records[i].Name)] = i;
        }

        return records.Where((r, i) => last[(r.VendorGuid, r.Name)] == i).ToList();
    }

    /// <summary>The <c>Boot####</c> options (by number) and BootOrder of the EFI global namespace.</summary>
    /// <param name="origin">Where the bytes come from: the state's <see cref="UefiBootState.Origin"/> and the start of messages.</param>
    public static UefiBootState ReadBootState(ReadOnlySpan<byte> file, string origin)
    {
        var entries = new List<UefiBootEntry>();
        IReadOnlyList<int> order = [];
        foreach (var v in ReadVariables(file, origin).Where(v => v.VendorGuid == EfiGlobalVariable))
        {
            if (v.Name == BootOrderName)
            {
                order = ParseBootOrder(v.Data, origin);
            }
            else if (BootNumber(v.Name) is { } number && v.Data.Length > 0)
            {
                entries.Add(EfiLoadOption.Parse(v.Data, $"{origin}: variable {v.Name}").ToBootEntry(number));
            }
        }

        return new UefiBootState(origin, entries.OrderBy(e => e.Number).ToList(), order);
    }

    /// <summary>The number of a <c>Boot####</c> name (exactly four hex digits, either case); null for any other name.</summary>
    internal static int? BootNumber(string name) =>
        name.Length == BootPrefix.Length + BootDigits
        && name.StartsWith(BootPrefix, StringComparison.Ordinal)
        && !name.AsSpan(BootPrefix.Length).ContainsAnyExcept("0123456789abcdefABCDEF")
            ? int.Parse(name.AsSpan(BootPrefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : null;

    private static List<int> ParseBootOrder(byte[] data, string origin)
    {
        if (data.Length % sizeof(ushort) != 0)
        {
            throw new InvalidDataException($"{origin}: variable BootOrder: field data length has the bad value {data.Length} (an array of u16 is even)");
        }

        var order = new List<int>(data.Length / sizeof(ushort));
        for (var i = 0; i < data.Length; i += sizeof(ushort))
        {
            order.Add(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(i)));
        }

        return order;
    }
}
