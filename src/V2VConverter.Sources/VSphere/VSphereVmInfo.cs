namespace V2VConverter.Sources.VSphere;

/// <summary>A datastore path <c>[datastore] folder/file.vmdk</c>.</summary>
public readonly record struct DatastorePath(string Datastore, string Path)
{
    /// <summary>Parses "[ds] dir/file"; throws <see cref="InvalidDataException"/> naming the value otherwise.</summary>
    public static DatastorePath Parse(string text, string field)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        var close = t.IndexOf(']', StringComparison.Ordinal);
        if (t.Length < 3 || t[0] != '[' || close < 2)
        {
            throw new InvalidDataException($"{field}: \"{text}\" is not a datastore path of the form \"[datastore] folder/file\"");
        }

        return new DatastorePath(t[1..close], t[(close + 1)..].Trim().TrimStart('/'));
    }

    /// <summary>The folder part ("vm1" for "[ds] vm1/vm1.vmx").</summary>
    public string Directory => System.IO.Path.GetDirectoryName(Path)?.Replace('\\', '/') ?? "";

    public string FileName => System.IO.Path.GetFileName(Path);

    public override string ToString() => $"[{Datastore}] {Path}";
}

/// <summary>A file of a VM as listed by <c>layoutEx.file</c>.</summary>
public sealed record VSphereFileInfo(int Key, string Name, string Type, long Size);

/// <summary>A virtual disk from <c>config.hardware.device</c>, with its file chain from <c>layoutEx.disk</c>.</summary>
public sealed record VSphereDiskInfo(
    int Key,
    string Label,
    string Bus,
    int BusNumber,
    int Unit,
    string FileName,
    long CapacityBytes,
    string BackingType,
    bool IsRawDevice,
    IReadOnlyList<VSphereFileInfo> Files)
{
    /// <summary>The VMX-style slot: <c>scsi0:1</c>, <c>ide0:0</c>, <c>sata0:2</c>.</summary>
    public string Slot => $"{Bus}{BusNumber}:{Unit}";

    /// <summary>Bytes on the datastore: the sum of the files of the newest chain link, or 0 if unknown.</summary>
    public long AllocatedBytes => Files.Sum(f => f.Size);

    /// <summary>
    /// The files of every link of the snapshot chain, base first (<c>layoutEx.disk[].chain[]</c>):
    /// what a copy of the disk needs. <see cref="Files"/> alone when the chain is not known.
    /// </summary>
    public IReadOnlyList<VSphereFileInfo> ChainFiles
    {
        get => _chainFiles ?? Files;
        init => _chainFiles = value;
    }

    private readonly IReadOnlyList<VSphereFileInfo>? _chainFiles;

    /// <summary><c>backing.diskMode</c>: persistent, independent_persistent, independent_nonpersistent, ...</summary>
    public string DiskMode { get; init; } = "persistent";

    /// <summary>
    /// An RDM's <c>backing.compatibilityMode</c> (physicalMode, virtualMode), "rdm" for a raw disk without one,
    /// null for a disk that is not raw.
    /// </summary>
    public string? RawDeviceMode { get; init; }

    /// <summary>The SCSI controller's <c>sharedBus</c> (virtualSharing, physicalSharing) when it is not noSharing; else null.</summary>
    public string? SharedBus { get; init; }

    /// <summary>Bytes of the snapshot delta links (every <c>layoutEx.disk</c> chain link after the base), 0 when none.</summary>
    public long SnapshotBytes { get; init; }
}

/// <summary>A network adapter from <c>config.hardware.device</c>.</summary>
public sealed record VSphereNicInfo(int Key, string Label, string Model, string? MacAddress, string? AddressType, string? Network, string? PortGroupKey);

/// <summary>One node of the snapshot tree, flattened (depth 0 = root).</summary>
public sealed record VSphereSnapshotInfo(string Name, string? Description, int Depth, string? CreateTime);

/// <summary>One VM as the inventory sees it (properties fetched in one paged RetrievePropertiesEx).</summary>
public sealed record VSphereVmInfo
{
    public required MoRef Ref { get; init; }

    public required string Name { get; init; }

    public string? Uuid { get; init; }

    /// <summary><c>poweredOn</c>, <c>poweredOff</c> or <c>suspended</c>.</summary>
    public required string PowerState { get; init; }

    public string? GuestId { get; init; }

    public int NumCpu { get; init; }

    public int CoresPerSocket { get; init; }

    public long MemoryMiB { get; init; }

    /// <summary><c>config.files.vmPathName</c>: "[ds] dir/vm.vmx".</summary>
    public string? VmPathName { get; init; }

    public IReadOnlyList<string> Datastores { get; init; } = [];

    public IReadOnlyList<VSphereDiskInfo> Disks { get; init; } = [];

    public IReadOnlyList<VSphereNicInfo> Nics { get; init; } = [];

    public IReadOnlyList<VSphereSnapshotInfo> Snapshots { get; init; } = [];

    public IReadOnlyList<VSphereFileInfo> Files { get; init; } = [];

    public bool IsTemplate { get; init; }

    /// <summary><c>config.firmware</c>: "bios" or "efi"; null when the server did not say.</summary>
    public string? Firmware { get; init; }

    /// <summary><c>config.bootOptions.efiSecureBootEnabled</c>.</summary>
    public bool SecureBoot { get; init; }

    /// <summary><c>config.changeTrackingEnabled</c> (CBT): noted for a later warm migration.</summary>
    public bool ChangeTracking { get; init; }

    /// <summary>The VM is encrypted (<c>config.keyId</c> is set).</summary>
    public bool Encrypted { get; init; }

    /// <summary>The VM has a virtual TPM (a <c>VirtualTPM</c> device).</summary>
    public bool Vtpm { get; init; }

    /// <summary>PCI passthrough devices, one line each: "PCI device 0: PCI 0000:3b:00.0 (Tesla T4)", or "PCI device 0: vGPU grid_t4-2q".</summary>
    public IReadOnlyList<string> Passthrough { get; init; } = [];

    /// <summary>The name of the host that runs the VM (<c>runtime.host</c>), or null when unknown.</summary>
    public string? HostName { get; init; }

    /// <summary>
    /// The VM's folder from the datacenter down (<c>parent</c>, then each folder's parent): "vm", "vm/Prod".
    /// Tells apart two VMs of the same name. Null when the parent is not a folder (or unknown).
    /// </summary>
    public string? FolderPath { get; init; }

    public bool IsPoweredOff => PowerState == "poweredOff";
}
