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
        "config.uuid",
        "config.template",
        "runtime.powerState",
        "config.guestId",
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

    public static IReadOnlyList<VimPropertySpec> PropertySpecs { get; } =
    [
        new("VirtualMachine", VmProperties),
        new("Network", ["name"]),
        new("Datastore", ["name"]),
    ];

    private static readonly XNamespace V = VimClient.Vim;

    /// <summary>Builds the VM list (sorted by name) from one retrieval.</summary>
    public static IReadOnlyList<VSphereVmInfo> Build(IReadOnlyList<VimObjectContent> objects)
    {
        var names = objects
            .Where(o => o.Obj.Type != "VirtualMachine" && o.Properties.ContainsKey("name"))
            .ToDictionary(o => o.Obj.Value, o => o.Properties["name"].Value, StringComparer.Ordinal);
        var dsNames = objects
            .Where(o => o.Obj.Type == "Datastore" && o.Properties.ContainsKey("name"))
            .ToDictionary(o => o.Obj.Value, o => o.Properties["name"].Value, StringComparer.Ordinal);

        return objects
            .Where(o => o.Obj.Type == "VirtualMachine")
            .Select(o => BuildVm(o, names, dsNames))
            .OrderBy(v => v.Name, StringComparer.Ordinal)
            .ToArray();
    }

    private static VSphereVmInfo BuildVm(VimObjectContent o, Dictionary<string, string> networkNames, Dictionary<string, string> dsNames)
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
            }
        }

        var devices = p.TryGetValue("config.hardware.device", out var devVal) ? devVal.Elements(V + "VirtualDevice").ToArray() : [];
        var controllers = new Dictionary<int, (string Bus, int Number)>();
        foreach (var d in devices)
        {
            var bus = ControllerBus(TypeOf(d));
            if (bus is not null)
            {
                controllers[Int(d, "key")] = (bus, Int(d, "busNumber"));
            }
        }

        var disks = new List<VSphereDiskInfo>();
        var nics = new List<VSphereNicInfo>();
        foreach (var d in devices)
        {
            var type = TypeOf(d);
            var key = Int(d, "key");
            var label = (string?)d.Element(V + "deviceInfo")?.Element(V + "label") ?? type;
            var backing = d.Element(V + "backing");
            if (type == "VirtualDisk")
            {
                var ctl = controllers.TryGetValue(Int(d, "controllerKey"), out var c) ? c : ("unknown", 0);
                var bytes = Long(d, "capacityInBytes");
                if (bytes == 0)
                {
                    bytes = Long(d, "capacityInKB") * 1024;
                }

                var backingType = backing is null ? "" : TypeOf(backing);
                disks.Add(new VSphereDiskInfo(
                    key, label, ctl.Item1, ctl.Item2, Int(d, "unitNumber"),
                    (string?)backing?.Element(V + "fileName") ?? "",
                    bytes,
                    backingType,
                    backingType.StartsWith("VirtualDiskRawDiskMapping", StringComparison.Ordinal) || backingType.StartsWith("VirtualDiskPartitionedRawDisk", StringComparison.Ordinal),
                    diskFiles.TryGetValue(key, out var newest) ? newest : [])
                {
                    ChainFiles = chainFiles.TryGetValue(key, out var chain) ? chain : [],
                });
            }
            else if (EthernetModel(type) is { } model)
            {
                var portGroup = (string?)backing?.Element(V + "port")?.Element(V + "portgroupKey");
                var network = (string?)backing?.Element(V + "deviceName");
                if (network is null && backing?.Element(V + "network") is { } netRef && networkNames.TryGetValue(netRef.Value.Trim(), out var byRef))
                {
                    network = byRef;
                }

                if (network is null && portGroup is not null && networkNames.TryGetValue(portGroup, out var pgName))
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
            ? dsVal.Elements(V + "ManagedObjectReference").Select(e => dsNames.TryGetValue(e.Value.Trim(), out var n) ? n : e.Value.Trim()).ToArray()
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
        };
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
