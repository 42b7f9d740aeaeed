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

    /// <summary>Fixups to skip, by name ("fstab", "bootloader", "initramfs", "vmware-tools", "network", "uefi-boot").</summary>
    public IReadOnlySet<string> Skip { get; init; } = new HashSet<string>();

    /// <summary>
    /// Windows: where the virtio-win drivers are (<c>--virtio-win</c>: a directory or an ISO); null looks at <c>$VIRTIO_WIN</c>,
    /// then /usr/share/virtio-win (<see cref="Windows.VirtioWinLocation"/>).
    /// </summary>
    public string? VirtioWin { get; init; }

    /// <summary>Windows: the boot disk driver made boot-critical (<c>--block-driver virtio-blk|virtio-scsi</c>).</summary>
    public WindowsBlockDriver BlockDriver { get; init; } = WindowsBlockDriver.VirtioBlk;

    /// <summary>
    /// The source VM's UEFI firmware (<c>firmware = "efi"</c>): secure boot and the boot entries of VMware's NVRAM. Null for a BIOS
    /// VM: the <c>uefi-boot</c> fixup then does nothing.
    /// </summary>
    public UefiFirmware? Uefi { get; init; }

    /// <summary>Convert even when inspection found blockers (hibernation, BitLocker, a pending reboot, dynamic disks): <c>--force</c>.</summary>
    public bool Force { get; init; }

    /// <summary>Parses the CLI value of <c>--block-driver</c>.</summary>
    public static WindowsBlockDriver ParseBlockDriver(string value) => value switch
    {
        "virtio-blk" => WindowsBlockDriver.VirtioBlk,
        "virtio-scsi" => WindowsBlockDriver.VirtioScsi,
        _ => throw new V2VConverter.Model.Diagnostics.UsageException($"--block-driver must be virtio-blk or virtio-scsi, not '{value}'"),
    };

    /// <summary>Parses the CLI value of <c>--fstab-style</c>.</summary>
    public static DeviceNamingStyle ParseDeviceNaming(string value) => value switch
    {
        "uuid" => DeviceNamingStyle.Uuid,
        "vd" => DeviceNamingStyle.VirtioName,
        _ => throw new V2VConverter.Model.Diagnostics.UsageException($"--fstab-style must be vd or uuid, not '{value}'"),
    };
}

/// <summary>A UEFI source VM as the guest fixups see it.</summary>
/// <param name="SecureBoot">Secure boot was on (<c>uefi.secureBoot.enabled</c>): the signed chain (shim first) must be kept.</param>
/// <param name="SourceBoot">The boot entries read from VMware's NVRAM; null when it could not be read (see <paramref name="SourceBootProblem"/>).</param>
/// <param name="SourceBootProblem">Why there are no entries: no NVRAM file, or what is wrong with it.</param>
public sealed record UefiFirmware(bool SecureBoot, V2VConverter.Model.Vm.UefiBootState? SourceBoot, string? SourceBootProblem)
{
    /// <summary>The NVRAM's file entries were carried into the new domain's own variable store (no first-boot step is needed).</summary>
    public bool EntriesCarried { get; init; }
}

/// <summary>The Windows boot disk driver: viostor (virtio-blk) or vioscsi (virtio-scsi).</summary>
public enum WindowsBlockDriver
{
    VirtioBlk,
    VirtioScsi,
}
