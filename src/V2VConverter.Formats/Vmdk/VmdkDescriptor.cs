namespace V2VConverter.Formats.Vmdk;

/// <summary>Extent access mode from a descriptor extent line.</summary>
public enum VmdkAccess
{
    ReadWrite,
    ReadOnly,
    NoAccess,
}

/// <summary>
/// One extent line: <c>ACCESS SIZE TYPE ["FILENAME" [OFFSET]]</c>. Type is kept as written
/// (FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, SESPARSE, VMFSRDM, VMFSRAW, VSANSPARSE...).
/// </summary>
public sealed record VmdkExtentLine(VmdkAccess Access, long SizeSectors, string Type, string? FileName, long OffsetSectors, int LineNumber)
{
    public string AccessText => Access switch
    {
        VmdkAccess.ReadWrite => "RW",
        VmdkAccess.ReadOnly => "RDONLY",
        _ => "NOACCESS",
    };
}

/// <summary>A parsed VMDK text descriptor (standalone file or embedded in a KDMV extent).</summary>
public sealed partial class VmdkDescriptor
{
    /// <summary>parentCID value meaning "no parent".</summary>
    public const uint NoParentCid = 0xFFFFFFFF;

    /// <summary>Where the text came from, used in error messages.</summary>
    public required string Source { get; init; }

    public int Version { get; init; } = 1;

    public uint? Cid { get; init; }

    public uint ParentCid { get; init; } = NoParentCid;

    /// <summary>createType as written; "custom" when the descriptor has none.</summary>
    public string CreateType { get; init; } = "custom";

    public bool HasCreateType { get; init; }

    public string? ParentFileNameHint { get; init; }

    /// <summary>The text encoding the descriptor declared (UTF-8 when it declared none).</summary>
    public string Encoding { get; init; } = "UTF-8";

    public IReadOnlyList<VmdkExtentLine> Extents { get; init; } = [];

    /// <summary>Header entries (<c>key=value</c> outside the DDB), in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Header { get; init; } = [];

    /// <summary>DDB entries (<c>ddb.key = "value"</c>), in file order, keys as written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Ddb { get; init; } = [];

    /// <summary>Lines the parser did not understand and skipped.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public string? AdapterType => GetDdb("ddb.adapterType");

    public string? Uuid => GetDdb("ddb.uuid");

    public string? VirtualHWVersion => GetDdb("ddb.virtualHWVersion");

    public string? LongContentId => GetDdb("ddb.longContentID");

    public bool HasParent => ParentFileNameHint is not null || ParentCid != NoParentCid;

    /// <summary>A DDB value by key (case-insensitive, the <c>ddb.</c> prefix included).</summary>
    public string? GetDdb(string key)
    {
        foreach (var kv in Ddb)
        {
            if (string.Equals(kv.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return kv.Value;
            }
        }

        return null;
    }
}
