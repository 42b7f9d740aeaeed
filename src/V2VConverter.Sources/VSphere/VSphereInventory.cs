using System.Globalization;
using System.Xml.Linq;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// Turns the property sets of <c>VirtualMachine</c>, <c>Network</c> and <c>Datastore</c> objects
/// into <see cref="VSphereVmInfo"/> records. The device list is read by each element's
/// <c>xsi:type</c>, following the vim25 data object reference (VirtualDisk, VirtualEthernetCard
/// subtypes, controller types and their backing infos).
/// </summary>
public static class VSphereInventory
{
    /// <summary>Every VirtualMachine property the inventory asks for.</summary>
    public static readonly IReadOnlyList<string> VmProperties =
    [
        "name",
        "parent",
        "config.uuid",
        "config.template",
        "runtime.powerState",
        "runtime.host",
        "config.guestId",
        "config.firmware",
        "config.bootOptions",
        "config.changeTrackingEnabled",
        "config.keyId",
        "config.hardware.numCPU",
        "config.hardware.numCoresPerSocket",
        "config.hardware.memoryMB",
        "config.hardware.device",
        "config.files.vmPathName",
        "datastore",
        "snapshot",
        "layoutEx.file",
        "layoutEx.disk",
    ];

    /// <summary>
    /// The objects whose names the VMs' references point to: networks and datastores (devices, datastore list),
    /// hosts (<c>runtime.host</c>) and folders (<c>parent</c>, with their own parent to build the path).
    /// </summary>
    public static IReadOnlyList<VimPropertySpec> NameSpecs { get; } =
    [
        new("Network", ["name"]),
        new("Datastore", ["name"]),
        new("HostSystem", ["name"]),
        new("Folder", ["name", "parent"]),
    ];

    /// <summary>The managed object types of <see cref="NameSpecs"/>, for a ContainerView.</summary>
    public static IReadOnlyList<string> NameTypes { get; } = [.. NameSpecs.Select(s => s.Type)];

    /// <summary>The VMs with every property, and the names their references need: one retrieval.</summary>
    public static IReadOnlyList<VimPropertySpec> PropertySpecs { get; } = [new("VirtualMachine", VmProperties), .. NameSpecs];

    /// <summary>A folder path deeper than this is cut (it guards against a reference loop).</summary>
    private const int MaxFolderDepth = 64;

    private static readonly XNamespace V = VimClient.Vim;

    /// <summary>Builds the VM list (sorted by name) from one retrieval.</summary>
    public static IReadOnlyList<VSphereVmInfo> Build(IReadOnlyList<VimObjectContent> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var names = new InventoryNames(objects);
        return objects
            .Where(o => o.Obj.Type == "VirtualMachine")
            .Select(o => BuildVm(o, names))
            .OrderBy(v => v.Name, StringComparer.Ordinal)
            .ToArray();
    }

    private static VSphereVmInfo BuildVm(VimObjectContent o, InventoryNames names)
    {
        var p = o.Properties;
        string? S(string key) => p.TryGetValue(key, out var v) ? v.Value : null;
        int I(string key) => p.TryGetValue(key, out var v) && int.TryParse(v.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

        var files = p.TryGetValue("layoutEx.file", out var fileVal)
            ? fileVal.Elements(V + "VirtualMachineFileLayoutExFileInfo").Select(f => new VSphereFileInfo(
                Int(f, "key"), (string?)f.Element(V + "name") ?? "", (string?)f.Element(V + "type") ?? "", Long(f, "size"))).ToArray()
            : [];
        var fileByKey = files.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.First());

        // layoutEx.disk: per disk key, the chain of units; the last unit is the running (newest) link.
        var diskFiles = new Dictionary<int, IReadOnlyList<VSphereFileInfo>>();
        var chainFiles = new Dictionary<int, IReadOnlyList<VSphereFileInfo>>();
        var deltaBytes = new Dictionary<int, long>();
        if (p.TryGetValue("layoutEx.disk", out var diskVal))
        {
            foreach (var d in diskVal.Elements(V + "VirtualMachineFileLayoutExDiskLayout"))
            {
                IReadOnlyList<VSphereFileInfo> FilesOf(XElement link) =>
                    link.Elements(V + "fileKey").Select(k => int.Parse(k.Value, CultureInfo.InvariantCulture))
                        .Where(fileByKey.ContainsKey).Select(k => fileByKey[k]).ToArray();
                var links = d.Elements(V + "chain").ToArray();
                diskFiles[Int(d, "key")] = links.Length == 0 ? [] : FilesOf(links[^1]);
                chainFiles[Int(d, "key")] = links.SelectMany(FilesOf).Distinct().ToArray();
                deltaBytes[Int(d, "key")] = links.Skip(1).SelectMany(FilesOf).Distinct().Sum(f => f.Size);
            }
        }

        var devices = p.TryGetValue("config.hardware.device", out var devVal) ? devVal.Elements(V + "VirtualDevice").ToArray() : [];
        var controllers = new Dictionary<int, (string Bus, int Number, string? SharedBus)>();
        foreach (var d in devices)
        {
            var bus = ControllerBus(TypeOf(d));
            if (bus is not null)
            {
                var shared = (string?)d.Element(V + "sharedBus");
                controllers[Int(d, "key")] = (bus, Int(d, "busNumber"), shared is null or "noSharing" ? null : shared);
            }
        }

        var disks = new List<VSphereDiskInfo>();
        var nics = new List<VSphereNicInfo>();
        var passthrough = new List<string>();
        var vtpm = false;
        foreach (var d in devices)
        {
            var type = TypeOf(d);
            var key = Int(d, "key");
            var label = (string?)d.Element(V + "deviceInfo")?.Element(V + "label") ?? type;
            var backing = d.Element(V + "backing");
            if (type == "VirtualDisk")
            {
                var ctl = controllers.TryGetValue(Int(d, "controllerKey"), out var c) ? c : ("unknown", 0, null);
                var bytes = Long(d, "capacityInBytes");
                if (bytes == 0)
                {
                    bytes = Long(d, "capacityInKB") * 1024;
                }

                var backingType = backing is null ? "" : TypeOf(backing);
                var raw = backingType.StartsWith("VirtualDiskRawDiskMapping", StringComparison.Ordinal) || backingType.StartsWith("VirtualDiskPartitionedRawDisk", StringComparison.Ordinal);
                disks.Add(new VSphereDiskInfo(
                    key, label, ctl.Bus, ctl.Number, Int(d, "unitNumber"),
                    (string?)backing?.Element(V + "fileName") ?? "",
                    bytes,
                    backingType,
                    raw,
                    diskFiles.TryGetValue(key, out var newest) ? newest : [])
                {
                    ChainFiles = chainFiles.TryGetValue(key, out var chain) ? chain : [],
                    DiskMode = (string?)backing?.Element(V + "diskMode") is { Length: > 0 } mode ? mode : "persistent",
                    RawDeviceMode = raw ? (string?)backing?.Element(V + "compatibilityMode") ?? "rdm" : null,
                    SharedBus = ctl.SharedBus,
                    SnapshotBytes = deltaBytes.GetValueOrDefault(key),
                });
            }
            else if (type == "VirtualTPM")
            {
                vtpm = true;
            }
            else if (type == "VirtualPCIPassthrough")
            {
                passthrough.Add($"{label}: {PassthroughOf(backing)}");
            }
            else if (EthernetModel(type) is { } model)
            {
                var portGroup = (string?)backing?.Element(V + "port")?.Element(V + "portgroupKey");
                var network = (string?)backing?.Element(V + "deviceName");
                if (network is null && backing?.Element(V + "network") is { } netRef && names.Networks.TryGetValue(netRef.Value.Trim(), out var byRef))
                {
                    network = byRef;
                }

                if (network is null && portGroup is not null && names.Networks.TryGetValue(portGroup, out var pgName))
                {
                    network = pgName;
                }

                if (network is null && (string?)backing?.Element(V + "opaqueNetworkId") is { } opaque)
                {
                    network = opaque;
                }

                nics.Add(new VSphereNicInfo(key, label, model, ((string?)d.Element(V + "macAddress"))?.ToLowerInvariant(), (string?)d.Element(V + "addressType"), network, portGroup));
            }
        }

        var snapshots = new List<VSphereSnapshotInfo>();
        if (p.TryGetValue("snapshot", out var snapVal))
        {
            foreach (var root in snapVal.Elements(V + "rootSnapshotList"))
            {
                Flatten(root, 0, snapshots);
            }
        }

        var datastores = p.TryGetValue("datastore", out var dsVal)
            ? dsVal.Elements(V + "ManagedObjectReference").Select(e => names.Datastores.TryGetValue(e.Value.Trim(), out var n) ? n : e.Value.Trim()).ToArray()
            : [];

        return new VSphereVmInfo
        {
            Ref = o.Obj,
            Name = S("name") ?? o.Obj.Value,
            Uuid = S("config.uuid"),
            IsTemplate = S("config.template") == "true",
            PowerState = S("runtime.powerState") ?? "unknown",
            GuestId = S("config.guestId"),
            NumCpu = I("config.hardware.numCPU"),
            CoresPerSocket = I("config.hardware.numCoresPerSocket"),
            MemoryMiB = I("config.hardware.memoryMB"),
            VmPathName = S("config.files.vmPathName"),
            Datastores = datastores,
            Disks = disks,
            Nics = nics,
            Snapshots = snapshots,
            Files = files,
            Firmware = S("config.firmware"),
            SecureBoot = (string?)(p.GetValueOrDefault("config.bootOptions")?.Element(V + "efiSecureBootEnabled")) == "true",
            ChangeTracking = S("config.changeTrackingEnabled") == "true",
            Encrypted = p.TryGetValue("config.keyId", out var keyId) && keyId.HasElements,
            Vtpm = vtpm,
            Passthrough = passthrough,
            HostName = p.TryGetValue("runtime.host", out var host) ? names.Hosts.GetValueOrDefault(host.Value.Trim(), host.Value.Trim()) : null,
            FolderPath = p.TryGetValue("parent", out var parent) && (string?)parent.Attribute("type") == "Folder" ? names.FolderPath(parent.Value.Trim()) : null,
        };
    }

    /// <summary>One line for a PCI passthrough device's backing: a vGPU profile, a fixed device, or a dynamic one.</summary>
    private static string PassthroughOf(XElement? backing)
    {
        string? E(string name) => (string?)backing?.Element(V + name);
        return (backing is null ? "" : TypeOf(backing)) switch
        {
            "VirtualPCIPassthroughVmiopBackingInfo" => $"vGPU {E("vgpu") ?? "(no profile)"}",
            "VirtualPCIPassthroughDeviceBackingInfo" => $"PCI {E("id") ?? "?"}" + (E("deviceName") is { Length: > 0 } n ? $" ({n})" : ""),
            "VirtualPCIPassthroughDynamicBackingInfo" => "dynamic PCI " + string.Join(", ", backing!.Elements(V + "allowedDevice")
                .Select(a => $"{(string?)a.Element(V + "vendorId")}:{(string?)a.Element(V + "deviceId")}")),
            "VirtualPCIPassthroughDvxBackingInfo" => $"DVX {E("deviceClass") ?? "?"}",
            var other => $"PCI passthrough ({(other.Length > 0 ? other : "no backing")})",
        };
    }

    /// <summary>The names of the objects the VMs refer to, by managed object id, from the same retrieval.</summary>
    private sealed class InventoryNames
    {
        private readonly Dictionary<string, (string Name, string? Parent)> _folders = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string?> _paths = new(StringComparer.Ordinal);

        public InventoryNames(IReadOnlyList<VimObjectContent> objects)
        {
            foreach (var o in objects)
            {
                if (o.Obj.Type == "VirtualMachine" || !o.Properties.TryGetValue("name", out var nameVal))
                {
                    continue;
                }

                var name = nameVal.Value;
                switch (o.Obj.Type)
                {
                    case "Datastore":
                        Datastores[o.Obj.Value] = name;
                        break;
                    case "HostSystem":
                        Hosts[o.Obj.Value] = name;
                        break;
                    case "Folder":
                        var parent = o.Properties.GetValueOrDefault("parent");
                        _folders[o.Obj.Value] = (name, (string?)parent?.Attribute("type") == "Folder" ? parent!.Value.Trim() : null);
                        break;
                    default:
                        // Network, DistributedVirtualPortgroup, OpaqueNetwork: a NIC backing names any of them.
                        Networks[o.Obj.Value] = name;
                        break;
                }
            }
        }

        public Dictionary<string, string> Networks { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> Datastores { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> Hosts { get; } = new(StringComparer.Ordinal);

        /// <summary>"vm/Prod" for folder Prod under the datacenter's vm folder; null for an unknown folder.</summary>
        public string? FolderPath(string folder)
        {
            if (_paths.TryGetValue(folder, out var known))
            {
                return known;
            }

            var parts = new List<string>();
            for (var f = folder; f is not null && parts.Count < MaxFolderDepth && _folders.TryGetValue(f, out var entry); f = entry.Parent)
            {
                parts.Add(entry.Name);
            }

            parts.Reverse();
            var path = parts.Count == 0 ? null : string.Join('/', parts);
            _paths[folder] = path;
            return path;
        }
    }

    private static void Flatten(XElement node, int depth, List<VSphereSnapshotInfo> into)
    {
        into.Add(new VSphereSnapshotInfo(
            (string?)node.Element(V + "name") ?? "",
            (string?)node.Element(V + "description") is { Length: > 0 } d ? d : null,
            depth,
            (string?)node.Element(V + "createTime")));
        foreach (var child in node.Elements(V + "childSnapshotList"))
        {
            Flatten(child, depth + 1, into);
        }
    }

    private static string TypeOf(XElement e)
    {
        var t = e.Attribute(VimClient.Xsi + "type")?.Value ?? e.Name.LocalName;
        return t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }

    private static string? ControllerBus(string type) => type switch
    {
        "VirtualLsiLogicController" or "VirtualLsiLogicSASController" or "ParaVirtualSCSIController" or "VirtualBusLogicController" => "scsi",
        "VirtualIDEController" => "ide",
        "VirtualAHCIController" or "VirtualSATAController" => "sata",
        "VirtualNVMEController" => "nvme",
        _ => null,
    };

    /// <summary>The VMX <c>virtualDev</c> spelling of an ethernet card type, or null for other devices.</summary>
    public static string? EthernetModel(string type) => type switch
    {
        "VirtualE1000" => "e1000",
        "VirtualE1000e" => "e1000e",
        "VirtualVmxnet3" => "vmxnet3",
        "VirtualVmxnet3Vrdma" => "vrdma",
        "VirtualVmxnet2" => "vmxnet2",
        "VirtualVmxnet" => "vmxnet",
        "VirtualPCNet32" => "vlance",
        "VirtualSriovEthernetCard" => "sriov",
        _ => null,
    };

    private static int Int(XElement e, string child) =>
        int.TryParse((string?)e.Element(V + child), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static long Long(XElement e, string child) =>
        long.TryParse((string?)e.Element(V + child), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
