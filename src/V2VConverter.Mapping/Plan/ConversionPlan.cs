using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Plan;

/// <summary>One decision and the rule that made it: "nic0: vmxnet3 -> virtio (rule devices.nic#virtio-capable)".</summary>
public sealed record Decision(string Subject, string From, string To, string Rule)
{
    public override string ToString() => $"{Subject}: {From} -> {To} (rule {Rule})";
}

public enum StorageKind
{
    Directory,
    Pool,
}

/// <summary>Where and how one disk is written and attached.</summary>
public sealed record DiskPlan(
    VirtualDisk Source,
    string TargetDev,
    string Bus,
    string Format,
    string OutputFileName,
    StorageKind StorageKind,
    string StorageTarget,
    int? BootOrder,
    IoTunePlan? IoTune)
{
    /// <summary>The output path for directory storage; the volume name for pools.</summary>
    public string OutputPath => StorageKind == StorageKind.Directory ? System.IO.Path.Combine(StorageTarget, OutputFileName) : OutputFileName;
}

public sealed record CdRomPlan(CdRom Source, string TargetDev, string Bus, string? SourceFile, int? BootOrder);

public sealed record FloppyPlan(Floppy Source, string TargetDev, string? SourceFile, int? BootOrder);

public enum NetworkTargetKind
{
    Network,
    Bridge,
}

public sealed record NicPlan(NetworkAdapter Source, string Model, NetworkTargetKind TargetKind, string TargetName, int? BootOrder);

/// <summary>A character device as libvirt sees it: type (pty, dev, file, unix, tcp, udp) and its source.</summary>
public sealed record CharDevPlan(string Kind, int Index, string Type, string? Path, string? Mode, string? Host, string? Service, string? Protocol, string SourceDescription);

public sealed record VideoPlan(string Model, long VramKiB, int Heads);

public sealed record FirmwarePlan(bool Efi, bool SecureBoot, string? Loader, string? NvramTemplate, string? NvramPath);

public sealed record MemTunePlan(long? HardLimitKiB, long? SoftLimitKiB);

public sealed record IoTunePlan(long? TotalBytesSec, long? TotalIopsSec, long? ReadBytesSec, long? WriteBytesSec, long? ReadIopsSec, long? WriteIopsSec);

public sealed record TuningPlan(string? Profile, bool Hugepages, MemTunePlan? MemTune, int? BlkioWeight, IoTunePlan? IoTune);

/// <summary>The whole conversion plan: every source device beside its planned target, and why.</summary>
public sealed record ConversionPlan
{
    public required VirtualMachine Source { get; init; }

    /// <summary>The domain name: the VMX displayName with control characters replaced (see <see cref="Planner"/>).</summary>
    public required string Name { get; init; }

    /// <summary>The domain description: the VMX annotation with control characters other than line breaks replaced.</summary>
    public string? Description { get; init; }

    /// <summary>The domain's hypervisor type: kvm, or qemu (TCG) for a host without KVM (rule devices.domain).</summary>
    public string DomainType { get; init; } = "kvm";

    public required string MachineType { get; init; }

    public required string Architecture { get; init; }

    public string? CpuMode { get; init; }

    public required FirmwarePlan Firmware { get; init; }

    public required string ClockOffset { get; init; }

    public IReadOnlyList<DiskPlan> Disks { get; init; } = [];

    public IReadOnlyList<CdRomPlan> CdRoms { get; init; } = [];

    public IReadOnlyList<FloppyPlan> Floppies { get; init; } = [];

    public IReadOnlyList<NicPlan> Nics { get; init; } = [];

    public IReadOnlyList<CharDevPlan> Serials { get; init; } = [];

    public IReadOnlyList<CharDevPlan> Parallels { get; init; } = [];

    public required VideoPlan Video { get; init; }

    public string? SoundModel { get; init; }

    public IReadOnlyList<string> UsbModels { get; init; } = [];

    public bool GuestAgent { get; init; }

    /// <summary>A virtio memory balloon (the guest has its driver).</summary>
    public bool Balloon { get; init; }

    /// <summary>A virtio RNG (the guest has its driver).</summary>
    public bool Rng { get; init; }

    /// <summary>A TPM 2.0 (the source had a vTPM).</summary>
    public bool Tpm { get; init; }

    /// <summary>Hyper-V enlightenments and the hypervclock timer (Windows on KVM).</summary>
    public bool HyperV { get; init; }

    /// <summary>True when a disk is on the virtio-scsi bus (one virtio-scsi controller is added).</summary>
    public bool VirtioScsi => Disks.Any(d => d.Bus == "scsi");

    public required TuningPlan Tuning { get; init; }

    public IReadOnlyList<Decision> Decisions { get; init; } = [];

    /// <summary>The mapping files the rules came from, in precedence order.</summary>
    public IReadOnlyList<string> RuleFiles { get; init; } = [];
}
