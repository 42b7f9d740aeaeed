using System.Globalization;
using System.Xml.Linq;

namespace V2VConverter.Sources.Ova;

public sealed partial class OvfEnvelope
{
    private static readonly string[] ItemNames = ["Item", "StorageItem", "EthernetPortItem"];

    private static OvfEnvelope FromDocument(XDocument doc, string origin)
    {
        var root = doc.Root ?? throw new InvalidDataException($"{origin}: no root element");
        var ns = root.Name.Namespace;
        if (root.Name.LocalName != "Envelope")
        {
            throw new InvalidDataException($"{origin}: line {LineOf(root)}: root element <{root.Name.LocalName}> is not an OVF <Envelope>");
        }

        int version;
        if (ns == OvfNamespaces.Envelope1)
        {
            version = 1;
        }
        else if (ns == OvfNamespaces.Envelope2)
        {
            version = 2;
        }
        else if (ns == OvfNamespaces.Envelope09)
        {
            throw new NotSupportedException($"{origin}: OVF 0.9 ({ns}) is not supported; re-export as OVF 1.0 or 2.0 (ovftool converts it)");
        }
        else
        {
            throw new InvalidDataException($"{origin}: line {LineOf(root)}: Envelope namespace \"{ns.NamespaceName}\" is not OVF 1.x ({OvfNamespaces.Envelope1.NamespaceName}) or 2.x ({OvfNamespaces.Envelope2.NamespaceName})");
        }

        var p = new SectionReader(origin);
        var files = p.ReadReferences(root);
        var disks = p.ReadDisks(root);
        var networks = Sections(root, "NetworkSection").SelectMany(s => Children(s, "Network")).Select(n => p.Attr(n, "name")).OfType<string>().ToList();

        var systems = root.Descendants().Where(e => e.Name.LocalName == "VirtualSystem").ToList();
        if (systems.Count == 0)
        {
            throw new InvalidDataException($"{origin}: Envelope: no VirtualSystem");
        }

        if (systems.Count > 1)
        {
            throw new NotSupportedException($"{origin}: the envelope holds {systems.Count} VirtualSystems (a VirtualSystemCollection, a vApp); convert one VM at a time");
        }

        var vs = systems[0];
        var os = Sections(vs, "OperatingSystemSection").FirstOrDefault();
        int? osId = null;
        if (os is not null && p.Attr(os, "id") is { } osIdText)
        {
            osId = int.TryParse(osIdText, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= ushort.MaxValue
                ? v
                : throw p.Invalid(os, "ovf:id", osIdText, "a CIM operating system number");
        }

        var hardware = Sections(vs, "VirtualHardwareSection").ToList();
        if (hardware.Count == 0)
        {
            throw new InvalidDataException($"{origin}: VirtualSystem \"{p.Attr(vs, "id")}\": no VirtualHardwareSection");
        }

        var hw = hardware[0];
        if (hardware.Count > 1)
        {
            p.Warnings.Add($"{origin}: VirtualSystem has {hardware.Count} VirtualHardwareSections; the first one (line {LineOf(hw)}) is used");
        }

        var system = Children(hw, "System").FirstOrDefault();
        var vboxMachine = vs.Descendants(OvfNamespaces.Vbox + "Machine").FirstOrDefault();
        Guid? vboxUuid = null;
        if (vboxMachine?.Attribute("uuid")?.Value is { } u && Guid.TryParse(u.Trim('{', '}'), out var g))
        {
            vboxUuid = g;
        }

        return new OvfEnvelope
        {
            Origin = origin,
            Version = version,
            Files = files,
            Disks = disks,
            Networks = networks,
            VirtualSystemId = p.Attr(vs, "id"),
            Name = Text(Children(vs, "Name").FirstOrDefault()) ?? (system is null ? null : Text(Children(system, "VirtualSystemIdentifier").FirstOrDefault())),
            Annotation = Text(Sections(vs, "AnnotationSection").SelectMany(s => Children(s, "Annotation")).FirstOrDefault()),
            OsId = osId,
            VmwOsType = os?.Attribute(OvfNamespaces.Vmw + "osType")?.Value.Trim() is { Length: > 0 } t ? t : null,
            OsDescription = os is null ? null : Text(Children(os, "Description").FirstOrDefault()),
            VboxOsType = os is null ? null : Text(os.Elements(OvfNamespaces.Vbox + "OSType").FirstOrDefault()),
            SystemType = system is null ? null : Text(Children(system, "VirtualSystemType").FirstOrDefault()),
            Items = p.ReadItems(root, hw),
            Config = p.ReadConfig(hw.Elements().Where(e => e.Name.Namespace == OvfNamespaces.Vmw && e.Name.LocalName is "Config" or "ExtraConfig")),
            IsVirtualBox = vboxMachine is not null,
            VboxUuid = vboxUuid,
            VboxMacs = vboxMachine is null ? [] : vboxMachine.Descendants().Where(e => e.Name.LocalName == "Adapter" && e.Parent?.Name.LocalName == "Network"
                    && !string.Equals((string?)e.Attribute("enabled"), "false", StringComparison.OrdinalIgnoreCase))
                .OrderBy(e => int.TryParse((string?)e.Attribute("slot"), NumberStyles.None, CultureInfo.InvariantCulture, out var slot) ? slot : int.MaxValue)
                .Select(e => (string?)e.Attribute("MACAddress") ?? "").ToList(),
            VboxFirmware = (string?)vboxMachine?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Firmware")?.Attribute("type"),
            Warnings = p.Warnings,
        };
    }

    private static IEnumerable<XElement> Sections(XElement parent, string localName) =>
        parent.Elements().Where(e => e.Name.LocalName == localName || (e.Name.LocalName == "Section" && TypeAttr(e) == localName + "_Type"));

    private static string? TypeAttr(XElement e)
    {
        var t = e.Attribute(XNamespace.Get("http://www.w3.org/2001/XMLSchema-instance") + "type")?.Value;
        return t is null ? null : t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }

    private static IEnumerable<XElement> Children(XElement parent, string localName) => parent.Elements().Where(e => e.Name.LocalName == localName);

    private static string? Text(XElement? e) => e?.Value.Trim() is { Length: > 0 } t ? t : null;

    /// <summary>Reads the sections, naming file, line, element, attribute and value in every error.</summary>
    private sealed class SectionReader(string origin)
    {
        public List<string> Warnings { get; } = [];

        /// <summary>An attribute by local name in the OVF namespace, unqualified, or VMware's (<c>vmw:key</c>).</summary>
        public string? Attr(XElement e, string localName)
        {
            foreach (var a in e.Attributes())
            {
                if (a.Name.LocalName == localName && !a.IsNamespaceDeclaration
                    && (a.Name.Namespace == XNamespace.None || a.Name.Namespace == OvfNamespaces.Envelope1 || a.Name.Namespace == OvfNamespaces.Envelope2 || a.Name.Namespace == OvfNamespaces.Vmw))
                {
                    return a.Value.Trim();
                }
            }

            return null;
        }

        public InvalidDataException Invalid(XElement e, string field, string value, string expected) =>
            new($"{origin}: line {LineOf(e)}: <{e.Name.LocalName}> {field} = \"{value}\" is not {expected}");

        private long? Int64Attr(XElement e, string localName)
        {
            var text = Attr(e, localName);
            if (text is null)
            {
                return null;
            }

            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw Invalid(e, "ovf:" + localName, text, "a non-negative whole number");
        }

        public List<OvfFile> ReadReferences(XElement root)
        {
            var result = new List<OvfFile>();
            foreach (var f in Children(root, "References").SelectMany(r => Children(r, "File")))
            {
                var id = Attr(f, "id") is { Length: > 0 } i ? i : throw Invalid(f, "ovf:id", Attr(f, "id") ?? "", "a file id (missing)");
                var href = Attr(f, "href") ?? throw Invalid(f, "ovf:href", "", "a file name (missing)");
                OvfReference.Check(origin, LineOf(f), id, href);
                var compression = Attr(f, "compression");
                if (compression is { Length: > 0 } && !compression.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !compression.Equals("identity", StringComparison.OrdinalIgnoreCase))
                {
                    throw Invalid(f, "ovf:compression", compression, "gzip or identity");
                }

                if (result.Any(x => x.Id == id))
                {
                    throw Invalid(f, "ovf:id", id, "unique (two References/File share it)");
                }

                result.Add(new OvfFile(id, href, Int64Attr(f, "size"), compression is { Length: > 0 } c && !c.Equals("identity", StringComparison.OrdinalIgnoreCase) ? c.ToLowerInvariant() : null, Int64Attr(f, "chunkSize")));
            }

            return result;
        }

        public List<OvfDisk> ReadDisks(XElement root)
        {
            var result = new List<OvfDisk>();
            foreach (var d in Sections(root, "DiskSection").SelectMany(s => Children(s, "Disk")))
            {
                var id = Attr(d, "diskId") is { Length: > 0 } i ? i : throw Invalid(d, "ovf:diskId", Attr(d, "diskId") ?? "", "a disk id (missing)");
                var capacityText = Attr(d, "capacity") ?? throw Invalid(d, "ovf:capacity", "", "a capacity (missing)");
                if (!long.TryParse(capacityText, NumberStyles.None, CultureInfo.InvariantCulture, out var capacity))
                {
                    throw Invalid(d, "ovf:capacity", capacityText, "a non-negative whole number");
                }

                var units = Attr(d, "capacityAllocationUnits");
                long multiplier;
                try
                {
                    multiplier = OvfUnits.BytesPer(units ?? "byte");
                }
                catch (FormatException ex)
                {
                    throw Invalid(d, "ovf:capacityAllocationUnits", units!, $"a unit of bytes ({ex.Message})");
                }

                if (capacity > OvfUnits.MaxDiskBytes / multiplier)
                {
                    throw Invalid(d, "ovf:capacity", $"{capacityText} {units ?? "byte"}", $"within {OvfUnits.MaxDiskBytes} bytes (64 TiB)");
                }

                if (result.Any(x => x.DiskId == id))
                {
                    throw Invalid(d, "ovf:diskId", id, "unique (two DiskSection/Disk share it)");
                }

                result.Add(new OvfDisk(id, Attr(d, "fileRef") is { Length: > 0 } r ? r : null, capacity * multiplier, Int64Attr(d, "populatedSize"), Attr(d, "format"), LineOf(d)));
            }

            return result;
        }

        public Dictionary<string, string> ReadConfig(IEnumerable<XElement> configs)
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in configs)
            {
                if (Attr(c, "key") is { Length: > 0 } key)
                {
                    result[key] = Attr(c, "value") ?? "";
                }
            }

            return result;
        }

        /// <summary>The items of the default deployment configuration with their normal bound.</summary>
        public List<OvfItem> ReadItems(XElement root, XElement hw)
        {
            var deployment = Sections(root, "DeploymentOptionSection").SelectMany(s => Children(s, "Configuration")).ToList();
            var defaultConfig = deployment.FirstOrDefault(c => Attr(c, "default") is "true" or "1") ?? deployment.FirstOrDefault();
            var defaultId = defaultConfig is null ? null : Attr(defaultConfig, "id");
            var result = new List<OvfItem>();
            foreach (var e in hw.Elements().Where(e => ItemNames.Contains(e.Name.LocalName)))
            {
                if (Attr(e, "configuration") is { Length: > 0 } configs && defaultId is not null
                    && !configs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(defaultId, StringComparer.Ordinal))
                {
                    continue;
                }

                if (Attr(e, "bound") is { Length: > 0 } bound && bound != "normal")
                {
                    continue;
                }

                result.Add(ReadItem(e));
            }

            return result;
        }

        private OvfItem ReadItem(XElement e)
        {
            string? Field(string name) => Text(Children(e, name).FirstOrDefault());
            var typeText = Field("ResourceType");
            int? type = typeText is not null && int.TryParse(typeText, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
            bool? auto = Field("AutomaticAllocation")?.ToLowerInvariant() switch
            {
                null => null,
                "true" or "1" => true,
                "false" or "0" => false,
                var other => throw Invalid(e, "AutomaticAllocation", other, "true or false"),
            };
            return new OvfItem
            {
                Line = LineOf(e),
                ResourceType = type,
                RawResourceType = typeText,
                InstanceId = Field("InstanceID"),
                Parent = Field("Parent"),
                AddressOnParent = Field("AddressOnParent"),
                Address = Field("Address"),
                ResourceSubType = Field("ResourceSubType"),
                ElementName = Field("ElementName") ?? Field("Caption"),
                Connections = Children(e, "Connection").Select(Text).OfType<string>().ToList(),
                HostResources = Children(e, "HostResource").Select(Text).OfType<string>().ToList(),
                VirtualQuantity = Field("VirtualQuantity"),
                AllocationUnits = Field("AllocationUnits") ?? Field("VirtualQuantityUnits"),
                AutomaticAllocation = auto,
                Config = ReadConfig(e.Elements().Where(x => x.Name.Namespace == OvfNamespaces.Vmw && x.Name.LocalName is "Config" or "ExtraConfig")),
                Vmware = e.Elements().Where(x => x.Name.Namespace == OvfNamespaces.Vmw && x.Name.LocalName is not ("Config" or "ExtraConfig"))
                    .GroupBy(x => x.Name.LocalName).ToDictionary(g => g.Key, g => g.First().Value.Trim(), StringComparer.Ordinal),
            };
        }
    }
}
