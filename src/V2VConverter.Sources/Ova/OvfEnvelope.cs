using System.Xml;
using System.Xml.Linq;

namespace V2VConverter.Sources.Ova;

/// <summary>The XML namespaces an OVF descriptor uses (DMTF DSP0243 1.x and 2.x, CIM, VMware and VirtualBox extensions).</summary>
public static class OvfNamespaces
{
    public static readonly XNamespace Envelope1 = "http://schemas.dmtf.org/ovf/envelope/1";
    public static readonly XNamespace Envelope2 = "http://schemas.dmtf.org/ovf/envelope/2";

    /// <summary>OVF 0.9 (ESX 3.5 era): recognised only to say it is not supported.</summary>
    public static readonly XNamespace Envelope09 = "http://www.vmware.com/schema/ovf/1/envelope";
    public static readonly XNamespace Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    public static readonly XNamespace Vssd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    public static readonly XNamespace Sasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData";
    public static readonly XNamespace Epasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData";
    public static readonly XNamespace Vmw = "http://www.vmware.com/schema/ovf";
    public static readonly XNamespace Vbox = "http://www.virtualbox.org/ovf/machine";
}

/// <summary>A <c>References/File</c>: a file of the package, by id.</summary>
public sealed record OvfFile(string Id, string Href, long? Size, string? Compression, long? ChunkSize);

/// <summary>A <c>DiskSection/Disk</c>: a virtual disk, its capacity in bytes and the file holding it (none for a blank disk).</summary>
public sealed record OvfDisk(string DiskId, string? FileRef, long CapacityBytes, long? PopulatedSize, string? Format, int Line);

/// <summary>One <c>Item</c> (or OVF 2 <c>StorageItem</c>/<c>EthernetPortItem</c>) of the VirtualHardwareSection, as written.</summary>
public sealed record OvfItem
{
    public required int Line { get; init; }

    /// <summary>The CIM ResourceType number, or null when missing or not a number (see <see cref="RawResourceType"/>).</summary>
    public int? ResourceType { get; init; }

    public string? RawResourceType { get; init; }

    public string? InstanceId { get; init; }

    public string? Parent { get; init; }

    public string? AddressOnParent { get; init; }

    public string? Address { get; init; }

    public string? ResourceSubType { get; init; }

    public string? ElementName { get; init; }

    public IReadOnlyList<string> Connections { get; init; } = [];

    public IReadOnlyList<string> HostResources { get; init; } = [];

    public string? VirtualQuantity { get; init; }

    public string? AllocationUnits { get; init; }

    public bool? AutomaticAllocation { get; init; }

    /// <summary><c>vmw:Config</c> key/value pairs of the item (<c>videoRamSizeInKB</c>, <c>slotInfo.pciSlotNumber</c>...).</summary>
    public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    /// <summary>Other VMware child elements by local name (<c>CoresPerSocket</c>).</summary>
    public IReadOnlyDictionary<string, string> Vmware { get; init; } = new Dictionary<string, string>();

    public string Describe() => $"Item {InstanceId ?? "?"} \"{ElementName}\" (ResourceType {RawResourceType ?? "missing"})";
}

/// <summary>
/// A parsed OVF descriptor (the .ovf of an OVA or an exported folder): References, DiskSection, NetworkSection and the one
/// VirtualSystem with its OperatingSystemSection and VirtualHardwareSection. Parsing never resolves a DTD or an external
/// entity (a document with a DTD is refused), and the document is bounded to <see cref="MaxBytes"/> before it is parsed.
/// </summary>
public sealed partial class OvfEnvelope
{
    /// <summary>The largest descriptor read. Real ones are a few KiB; 16 MiB leaves room for embedded icons and EULAs.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    public required string Origin { get; init; }

    /// <summary>1 or 2, from the envelope namespace.</summary>
    public required int Version { get; init; }

    public required IReadOnlyList<OvfFile> Files { get; init; }

    public required IReadOnlyList<OvfDisk> Disks { get; init; }

    public required IReadOnlyList<string> Networks { get; init; }

    public string? VirtualSystemId { get; init; }

    public string? Name { get; init; }

    public string? Annotation { get; init; }

    /// <summary><c>OperatingSystemSection/@ovf:id</c>: the CIM OS type number.</summary>
    public int? OsId { get; init; }

    /// <summary><c>OperatingSystemSection/@vmw:osType</c>: the vSphere guest id (<c>ubuntu64Guest</c>).</summary>
    public string? VmwOsType { get; init; }

    public string? OsDescription { get; init; }

    /// <summary><c>vbox:OSType</c> of a VirtualBox export (<c>Ubuntu_64</c>).</summary>
    public string? VboxOsType { get; init; }

    /// <summary><c>vssd:VirtualSystemType</c> (<c>vmx-13</c>, <c>virtualbox-2.2</c>).</summary>
    public string? SystemType { get; init; }

    public required IReadOnlyList<OvfItem> Items { get; init; }

    /// <summary>VirtualHardwareSection-level <c>vmw:Config</c> and <c>vmw:ExtraConfig</c> key/value pairs (<c>firmware</c>...).</summary>
    public required IReadOnlyDictionary<string, string> Config { get; init; }

    /// <summary>The document carries a <c>vbox:Machine</c> section (a VirtualBox export).</summary>
    public bool IsVirtualBox { get; init; }

    /// <summary>The <c>vbox:Machine/@uuid</c> of a VirtualBox export.</summary>
    public Guid? VboxUuid { get; init; }

    /// <summary>The MAC addresses of the enabled adapters of <c>vbox:Machine</c>, by slot (VirtualBox writes none in the Items).</summary>
    public IReadOnlyList<string> VboxMacs { get; init; } = [];

    /// <summary><c>vbox:Machine/Hardware/Firmware/@type</c> (BIOS, EFI, EFI64...).</summary>
    public string? VboxFirmware { get; init; }

    /// <summary>Warnings met while reading (ignored items of another deployment configuration...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Reads and parses an .ovf file, refusing one larger than <see cref="MaxBytes"/> before reading it.</summary>
    public static OvfEnvelope Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>Parses a descriptor from a stream (a tar member, say), reading at most <see cref="MaxBytes"/> + 1 bytes.</summary>
    public static OvfEnvelope Read(Stream stream, string origin)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("the stream must be readable", nameof(stream));
        }

        if (stream.CanSeek && stream.Length - stream.Position > MaxBytes)
        {
            throw TooLarge(origin, stream.Length - stream.Position);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBytes)
            {
                throw TooLarge(origin, buffer.Length);
            }
        }

        return Parse(buffer.ToArray(), origin);
    }

    /// <summary>Parses descriptor bytes. No DTD, no entity and no external resource is ever resolved.</summary>
    public static OvfEnvelope Parse(byte[] content, string origin)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length > MaxBytes)
        {
            throw TooLarge(origin, content.Length);
        }

        if (content.Length == 0)
        {
            throw new InvalidDataException($"{origin}: the OVF descriptor is empty");
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = MaxBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(content, writable: false), settings);
            doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            var what = ex.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase)
                ? "a DTD (DOCTYPE) is not allowed in an OVF descriptor; no entity is resolved"
                : "not well-formed XML";
            throw new InvalidDataException($"{origin}: line {ex.LineNumber}, position {ex.LinePosition}: {what}: {ex.Message}", ex);
        }

        return FromDocument(doc, origin);
    }

    private static InvalidDataException TooLarge(string origin, long length) =>
        new($"{origin}: the OVF descriptor is {length} bytes or more, beyond the bound of {MaxBytes} bytes");

    internal static int LineOf(XObject o) => o is IXmlLineInfo li && li.HasLineInfo() ? li.LineNumber : 0;
}
