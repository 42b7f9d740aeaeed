using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Inspection;

public enum InitramfsTool
{
    Unknown,
    InitramfsTools,
    Dracut,
    Mkinitrd,
}

public enum BootloaderKind
{
    Unknown,
    Grub2,
    GrubLegacy,
}

/// <summary>A filesystem on the guest's disks (appliance device name, as libguestfs sees it).</summary>
public sealed record GuestFilesystem(string Device, string Type, string? Uuid, string? Label, string? MountPoint);

/// <summary>An installed kernel: its version, image and initramfs (null when none was found).</summary>
public sealed record GuestKernel(string Version, string ImagePath, string? InitrdPath, bool HasModules);

public sealed record BootloaderInfo(BootloaderKind Kind, string? ConfigPath, string? DefaultsPath, string? DeviceMapPath, string? RegenerateCommand);

public sealed record VmwareToolsInfo(VmwareToolsFlavour Flavour, IReadOnlyList<string> Packages, string? Uninstaller, IReadOnlyList<string> ServiceLinks);

public sealed record NetworkInfo(IReadOnlyList<NetworkConfigSystem> Systems, IReadOnlyList<ConfiguredInterface> Interfaces);

/// <summary>
/// What the converter learned about a guest before changing it: everything the fixups decide on,
/// and what <c>v2v inspect X.vmx --guest</c> prints.
/// </summary>
public sealed record GuestInspection
{
    /// <summary>Who the guest is: root, OS type, distribution, product, version, architecture, hostname.</summary>
    public required OsIdentity Os { get; init; }

    public IReadOnlyList<GuestFilesystem> Filesystems { get; init; } = [];

    public IReadOnlyList<string> VolumeGroups { get; init; } = [];

    public IReadOnlyList<string> LogicalVolumes { get; init; } = [];

    /// <summary>deb, rpm, ... (inspect_get_package_format).</summary>
    public required string PackageFormat { get; init; }

    public required string PackageManager { get; init; }

    public InitramfsTool InitramfsTool { get; init; }

    public required BootloaderInfo Bootloader { get; init; }

    public IReadOnlyList<GuestKernel> Kernels { get; init; } = [];

    public required VmwareToolsInfo VmwareTools { get; init; }

    public required NetworkInfo Network { get; init; }

    public bool HasSystemd { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>A Windows guest's own facts (registry, NICs with static IPs, VMware Tools, blockers); null for other guests.</summary>
    public V2VConverter.Guest.Windows.Inspection.WindowsInspection? Windows { get; init; }

    /// <summary>"major.minor" of <see cref="Os"/>.</summary>
    public string Version => $"{Os.MajorVersion}.{Os.MinorVersion}";
}
