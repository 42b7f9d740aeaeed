using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Plan;

/// <summary>Per-run choices that are not rules: the output directory and format, compatibility mode.</summary>
public sealed record PlanOptions
{
    /// <summary>-os DIR: every disk goes to this directory, whatever the storage rules say.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>
    /// -o libvirt -os POOL: every disk becomes a volume; a storage rule with a <c>pool</c> that matches the disk's
    /// datastore sends it to that pool, every other disk goes to POOL (directory rules do not apply).
    /// </summary>
    public string? OutputPool { get; init; }

    /// <summary>-of qcow2|raw; null takes storage:format.</summary>
    public string? OutputFormat { get; init; }

    /// <summary>Plan as if the guest had no virtio drivers (SATA disks, e1000 NICs): --no-guest-fixups.</summary>
    public bool CompatibilityMode { get; init; }

    /// <summary>
    /// --keep-host-devices: carry host paths from the VMX into the domain XML as they are (serial and parallel files,
    /// host devices and sockets; CD-ROM and floppy images outside the VM folder). Off: only what is safe on the KVM host.
    /// </summary>
    public bool KeepHostDevices { get; init; }

    /// <summary>A batch plan's target name: the domain name and the file names, instead of the VM's displayName.</summary>
    public string? TargetName { get; init; }

    /// <summary>A batch plan's choice per NIC (by <see cref="NetworkAdapter.Index"/>): "bridge:NAME" or "network:NAME", over every rule.</summary>
    public IReadOnlyDictionary<int, string>? NicTargets { get; init; }

    /// <summary>A batch plan's choice per disk (by VMX key): a folder, or with <see cref="OutputPool"/> a pool, over every rule and -os.</summary>
    public IReadOnlyDictionary<string, string>? DiskStorage { get; init; }

    /// <summary>What the guest stage found and did; null for a dry run (the guest OS catalog decides).</summary>
    public GuestFacts? GuestFacts { get; init; }
}
