using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline.Documents;

/// <summary><c>v2v inventory URI --json</c>: every VM of the host or vCenter path, in the order listed.</summary>
public sealed record InventoryDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required IReadOnlyList<InventoryVm> Vms { get; init; }

    public static InventoryDocument Create(IEnumerable<VSphereVmInfo> vms)
    {
        ArgumentNullException.ThrowIfNull(vms);
        return new InventoryDocument { Vms = vms.Select(InventoryVm.Of).ToList() };
    }
}

/// <summary>One VM: identity, power state, guest OS, CPUs, memory, disks, NICs, snapshots, datastores, and its managed object id.</summary>
public sealed record InventoryVm
{
    public required string Name { get; init; }

    public string? Uuid { get; init; }

    /// <summary>poweredOn, poweredOff or suspended.</summary>
    public required string PowerState { get; init; }

    public string? GuestId { get; init; }

    public required int NumCpu { get; init; }

    public required int CoresPerSocket { get; init; }

    public required long MemoryMiB { get; init; }

    /// <summary>[datastore] folder/vm.vmx</summary>
    public string? VmPathName { get; init; }

    public required bool IsTemplate { get; init; }

    public required IReadOnlyList<string> Datastores { get; init; }

    public required IReadOnlyList<InventoryDisk> Disks { get; init; }

    public required IReadOnlyList<InventoryNic> Nics { get; init; }

    public required IReadOnlyList<InventorySnapshot> Snapshots { get; init; }

    /// <summary>The VirtualMachine managed object id (vm-42).</summary>
    public required string MoRef { get; init; }

    public static InventoryVm Of(VSphereVmInfo v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new InventoryVm
        {
            Name = v.Name,
            Uuid = v.Uuid,
            PowerState = v.PowerState,
            GuestId = v.GuestId,
            NumCpu = v.NumCpu,
            CoresPerSocket = v.CoresPerSocket,
            MemoryMiB = v.MemoryMiB,
            VmPathName = v.VmPathName,
            IsTemplate = v.IsTemplate,
            Datastores = v.Datastores,
            Disks = v.Disks.Select(d => new InventoryDisk(d.Slot, d.Label, d.FileName, d.CapacityBytes, d.AllocatedBytes, d.BackingType, d.IsRawDevice, d.Files.Select(f => new InventoryFile(f.Name, f.Type, f.Size)).ToList())).ToList(),
            Nics = v.Nics.Select(n => new InventoryNic(n.Label, n.Model, n.MacAddress, n.AddressType, n.Network, n.PortGroupKey)).ToList(),
            Snapshots = v.Snapshots.Select(s => new InventorySnapshot(s.Name, s.Description, s.Depth, s.CreateTime)).ToList(),
            MoRef = v.Ref.Value,
        };
    }
}

/// <summary>A virtual disk: its VMX-style slot (scsi0:1), label, backing file, sizes, backing type, whether it is an RDM, and its files.</summary>
public sealed record InventoryDisk(string Slot, string Label, string FileName, long CapacityBytes, long AllocatedBytes, string BackingType, bool IsRawDevice, IReadOnlyList<InventoryFile> Files);

public sealed record InventoryFile(string Name, string Type, long Size);

public sealed record InventoryNic(string Label, string Model, string? MacAddress, string? AddressType, string? Network, string? PortGroupKey);

/// <summary>One node of the snapshot tree, flattened (depth 0 = root).</summary>
public sealed record InventorySnapshot(string Name, string? Description, int Depth, string? CreateTime);
