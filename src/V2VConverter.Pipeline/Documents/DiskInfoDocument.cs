using System.Globalization;
using System.Text.Json.Serialization;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Pipeline.Documents;

/// <summary>
/// <c>v2v disk info X.vmdk --json</c>. Apart from <c>schemaVersion</c>, the keys follow <c>qemu-img info --output=json</c>
/// (kebab-case: <c>virtual-size</c>, <c>actual-size</c>), so they are named here one by one.
/// </summary>
public sealed record DiskInfoDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    [JsonPropertyName("filename")]
    public required string FileName { get; init; }

    [JsonPropertyName("format")]
    public required string Format { get; init; }

    [JsonPropertyName("subformat")]
    public required string Subformat { get; init; }

    [JsonPropertyName("virtual-size")]
    public required long VirtualSize { get; init; }

    /// <summary>Bytes of the virtual disk that hold data (holes not counted).</summary>
    [JsonPropertyName("allocated-size")]
    public required long AllocatedSize { get; init; }

    /// <summary>Bytes on the host, every file of the chain.</summary>
    [JsonPropertyName("actual-size")]
    public required long ActualSize { get; init; }

    [JsonPropertyName("adapter-type")]
    public string? AdapterType { get; init; }

    /// <summary>The content id, 8 hex digits; null when the disk has no descriptor.</summary>
    [JsonPropertyName("cid")]
    public string? Cid { get; init; }

    [JsonPropertyName("parent-cid")]
    public required string ParentCid { get; init; }

    [JsonPropertyName("virtual-hw-version")]
    public string? VirtualHwVersion { get; init; }

    [JsonPropertyName("extents")]
    public required IReadOnlyList<DiskInfoExtent> Extents { get; init; }

    /// <summary>The snapshot chain, top first.</summary>
    [JsonPropertyName("chain")]
    public required IReadOnlyList<DiskInfoLayer> Chain { get; init; }

    [JsonPropertyName("warnings")]
    public required IReadOnlyList<string> Warnings { get; init; }

    public static DiskInfoDocument Create(VmdkDisk disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return new DiskInfoDocument
        {
            FileName = disk.Path,
            Format = disk.Format,
            Subformat = disk.Subformat,
            VirtualSize = disk.Length,
            AllocatedSize = disk.AllocatedBytes,
            ActualSize = disk.FileBytes,
            AdapterType = disk.AdapterType,
            Cid = disk.Cid is { } cid ? Hex(cid) : null,
            ParentCid = Hex(disk.ParentCid),
            VirtualHwVersion = disk.Descriptor?.VirtualHWVersion,
            Extents = disk.Extents.Select(e => new DiskInfoExtent(e.Access, e.SizeSectors, e.Type, e.FileName, e.ResolvedPath, e.OffsetSectors, e.Kind, e.FileBytes)).ToList(),
            Chain = disk.Chain.Select(DiskInfoLayer.Of).ToList(),
            Warnings = disk.Warnings,
        };
    }

    /// <summary>A CID as <c>disk info</c> shows it: 8 lower-case hex digits.</summary>
    public static string Hex(uint cid) => cid.ToString("x8", CultureInfo.InvariantCulture);
}

/// <summary>One extent line of the top descriptor, with the file it resolved to.</summary>
public sealed record DiskInfoExtent(
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("size-sectors")] long SizeSectors,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("filename")] string? FileName,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("offset-sectors")] long OffsetSectors,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("file-size")] long FileSize);

/// <summary>One disk of the snapshot chain, with its descriptor's DDB entries.</summary>
public sealed record DiskInfoLayer(
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("subformat")] string Subformat,
    [property: JsonPropertyName("cid")] string? Cid,
    [property: JsonPropertyName("parent-cid")] string ParentCid,
    [property: JsonPropertyName("parent-filename-hint")] string? ParentFileNameHint,
    [property: JsonPropertyName("virtual-size")] long VirtualSize,
    [property: JsonPropertyName("ddb")] IReadOnlyDictionary<string, string> Ddb)
{
    public static DiskInfoLayer Of(VmdkLayer l)
    {
        ArgumentNullException.ThrowIfNull(l);
        var ddb = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in l.Descriptor?.Ddb ?? [])
        {
            ddb.TryAdd(kv.Key, kv.Value); // a repeated key: the first one wins, as in VmdkDescriptor.GetDdb
        }

        return new DiskInfoLayer(l.Path, l.CreateType, l.Cid is { } cid ? DiskInfoDocument.Hex(cid) : null, DiskInfoDocument.Hex(l.ParentCid), l.Descriptor?.ParentFileNameHint, l.Length, ddb);
    }
}
