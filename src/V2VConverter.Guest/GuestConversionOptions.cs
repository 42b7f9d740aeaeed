using V2VConverter.Guest.Access;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest;

/// <summary>Choices for a Linux guest conversion (CLI: <c>--fstab-style vd|uuid</c>, ...).</summary>
public sealed record GuestConversionOptions
{
    /// <summary>How fstab, crypttab and kernel arguments name the disks afterwards: UUID= (default) or vdX.</summary>
    public DeviceNamingStyle DeviceNaming { get; init; } = DeviceNamingStyle.Uuid;

    public ApplianceAccelerator Accelerator { get; init; } = ApplianceAccelerator.Auto;

    /// <summary>How long a KVM appliance launch may take before it is stopped and retried with TCG (<c>--kvm-launch-timeout</c>).</summary>
    public TimeSpan KvmLaunchDeadline { get; init; } = ApplianceLaunch.DefaultKvmDeadline;

    /// <summary>The appliance launch these options ask for.</summary>
    public ApplianceLaunch Launch => new() { Accelerator = Accelerator, KvmDeadline = KvmLaunchDeadline };

    /// <summary>Remove VMware Tools (default true).</summary>
    public bool RemoveVmwareTools { get; init; } = true;

    /// <summary>Pin NIC names to MACs (default true).</summary>
    public bool PinNicNames { get; init; } = true;

    /// <summary>Rebuild the initramfs (default true). Without it, the virtio config is written but not built.</summary>
    public bool RebuildInitramfs { get; init; } = true;

    /// <summary>Run the slow guest commands of consecutive fixups (grub-mkconfig, initramfs rebuilds) side by side.</summary>
    public bool ParallelGuestCommands { get; init; } = true;

    /// <summary>Fixups to skip, by name ("fstab", "bootloader", "initramfs", "vmware-tools", "network").</summary>
    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>();

    /// <summary>Parses the CLI value of <c>--fstab-style</c>.</summary>
    public static DeviceNamingStyle ParseDeviceNaming(string value) => value switch
    {
        "uuid" => DeviceNamingStyle.Uuid,
        "vd" => DeviceNamingStyle.VirtioName,
        _ => throw new V2VConverter.Model.Diagnostics.UsageException($"--fstab-style must be vd or uuid, not '{value}'"),
    };
}
