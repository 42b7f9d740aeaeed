using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>How serious a concern is. A blocker stops the VM from running until it is fixed (or its severity is edited to <see cref="Accepted"/>).</summary>
public enum ConcernSeverity
{
    Info,
    Warning,
    Blocker,

    /// <summary>A blocker the user accepted by editing the plan: shown, not enforced.</summary>
    Accepted,
}

/// <summary>A problem found before anything moves: a stable code, what was found, and a one-line fix.</summary>
public sealed record BatchConcern(ConcernSeverity Severity, string Code, string Message, string Fix);

/// <summary>A source disk as the concern rules see it.</summary>
/// <param name="Key">The VMX slot: scsi0:0, sata0:1.</param>
/// <param name="FileName">The disk's file: "[ds] vm/vm.vmdk" or a path.</param>
/// <param name="CapacityBytes">Virtual size, when known.</param>
/// <param name="AllocatedBytes">Bytes on the datastore (every file of its chain), when known.</param>
/// <param name="SnapshotBytes">Bytes of the disk's snapshot deltas (flattened into the copy), 0 when none.</param>
/// <param name="Mode">VMware's disk mode (independent disks are not in snapshots).</param>
/// <param name="RawDevice">Null, or the RDM compatibility ("physicalMode", "virtualMode", "rdm").</param>
/// <param name="SharedBus">The controller's bus sharing ("virtual", "physical") when not "none".</param>
public sealed record BatchDiskFacts(
    string Key,
    string FileName,
    string? Datastore,
    long? CapacityBytes,
    long? AllocatedBytes,
    long SnapshotBytes,
    DiskMode Mode,
    string? RawDevice,
    string? SharedBus);

/// <summary>A source NIC as the concern rules and the plan see it.</summary>
public sealed record BatchNicFacts(int Index, string? Network, string? MacAddress, string Model);

/// <summary>
/// One source VM as the batch planner sees it, from the vSphere inventory or from a .vmx (and the model built from it).
/// The concern rules read only this, so a new source only has to fill it.
/// </summary>
public sealed record BatchVmFacts
{
    /// <summary>The VM's name at the source (vSphere name, or the .vmx's displayName).</summary>
    public required string Name { get; init; }

    /// <summary>Where it lives: the vSphere folder path or the .vmx's folder; tells two VMs of the same name apart.</summary>
    public string? Folder { get; init; }

    /// <summary>The source host that serves its disks (the ESXi host, or "local").</summary>
    public required string Host { get; init; }

    /// <summary>"poweredOn", "poweredOff", "suspended", or null when unknown (a local .vmx: see <see cref="LockedByHypervisor"/>).</summary>
    public string? PowerState { get; init; }

    /// <summary>A local .vmx whose VM seems to run: a <c>.vmx.lck</c> or <c>.vmem</c> beside it.</summary>
    public bool LockedByHypervisor { get; init; }

    public int SnapshotCount { get; init; }

    public IReadOnlyList<BatchDiskFacts> Disks { get; init; } = [];

    public IReadOnlyList<BatchNicFacts> Nics { get; init; } = [];

    /// <summary>PCI passthrough devices and vGPUs, one line each ("pciPassthru0: vGPU grid_t4-2q").</summary>
    public IReadOnlyList<string> Passthrough { get; init; } = [];

    public bool Vtpm { get; init; }

    /// <summary>The VM is encrypted (vSphere VM encryption: <c>config.keyId</c>, or <c>encryption.keySafe</c> in the .vmx).</summary>
    public bool Encrypted { get; init; }

    /// <summary>Changed block tracking is on (<c>ctkEnabled</c>): noted for a later warm migration.</summary>
    public bool ChangeTracking { get; init; }

    public Firmware Firmware { get; init; } = Firmware.Bios;

    public bool SecureBoot { get; init; }

    /// <summary>The guest OS as the catalog knows it (from guestOS / config.guestId).</summary>
    public required GuestOs Guest { get; init; }
}

/// <summary>What the target offers, as far as the planner could see (null: unknown, so no concern is raised about it).</summary>
public sealed record BatchTargetFacts
{
    /// <summary>"local" or "libvirt".</summary>
    public required string OutputMode { get; init; }

    /// <summary>The output folder (-o local) or default pool (-o libvirt).</summary>
    public string? Storage { get; init; }

    /// <summary>Free bytes where the disks go (statvfs of the folder, or the pool's available bytes).</summary>
    public long? FreeBytes { get; init; }

    /// <summary>
    /// Free bytes of every other storage the plan may use (each active pool of the target; -o local: the output folder
    /// only), by pool name or folder; null or missing: unknown. A plan that maps disks to several pools needs them all.
    /// </summary>
    public IReadOnlyDictionary<string, long>? FreeBytesByStorage { get; init; }

    /// <summary>libvirt networks defined on the target.</summary>
    public IReadOnlySet<string>? Networks { get; init; }

    /// <summary>Host bridges on the target (/sys/class/net/*/bridge).</summary>
    public IReadOnlySet<string>? Bridges { get; init; }

    /// <summary>libvirt storage pools on the target.</summary>
    public IReadOnlySet<string>? Pools { get; init; }

    /// <summary>Domains already defined on the target (-o libvirt).</summary>
    public IReadOnlySet<string>? Domains { get; init; }

    /// <summary>OVMF (UEFI firmware for x86_64) is installed on the target.</summary>
    public bool? Ovmf { get; init; }

    /// <summary>The Secure Boot build of OVMF with Microsoft keys (OVMF_CODE_4M.ms.fd, a link to .secboot.fd on Debian) is installed.</summary>
    public bool? OvmfSecureBoot { get; init; }
}

/// <summary>What the plan chose for one VM, as far as the concern rules need it.</summary>
/// <param name="Target">The target domain name.</param>
/// <param name="NicTargets">Per NIC: "bridge:NAME" or "network:NAME".</param>
/// <param name="DiskStorage">Per disk: the folder (-o local) or pool (-o libvirt) it goes to.</param>
/// <param name="OutputBytes">What its disks will take on the target (the data of the source disks, flattened).</param>
/// <param name="ShutdownSource">--shutdown-source will be given to the run.</param>
/// <param name="AllowRunning">--allow-running was given.</param>
public sealed record BatchVmChoices(
    string Target,
    IReadOnlyList<string> NicTargets,
    IReadOnlyList<string> DiskStorage,
    long OutputBytes,
    bool ShutdownSource,
    bool AllowRunning);

/// <summary>One rule of the pre-flight checks; a new check is one small class (Forklift keeps about 30 of these).</summary>
public interface IConcernRule
{
    /// <summary>The concerns this rule raises for one VM (none when it does not apply).</summary>
    IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target);
}

/// <summary>A rule that looks at the whole plan at once (duplicate target names, the sum of the space).</summary>
public interface IPlanConcernRule
{
    /// <summary>Concerns per VM, by index into <paramref name="vms"/>.</summary>
    IEnumerable<(int Vm, BatchConcern Concern)> Check(IReadOnlyList<(BatchVmFacts Facts, BatchVmChoices Choices)> vms, BatchTargetFacts target);
}
