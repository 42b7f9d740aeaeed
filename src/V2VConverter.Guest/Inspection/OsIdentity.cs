namespace V2VConverter.Guest.Inspection;

/// <summary>How the OS root was identified.</summary>
public enum IdentificationMethod
{
    /// <summary>The quick path (<see cref="QuickInspection"/>): blkid, one mount, one guest script.</summary>
    Quick,

    /// <summary>libguestfs's own <c>inspect_os</c>: slower (about 10 s under TCG), handles every layout.</summary>
    Libguestfs,
}

/// <summary>
/// Who the guest is and where its filesystems go, found before any of its files are read: the root,
/// the OS identity, the filesystems on the disks and the mountpoints of the guest's fstab. After
/// <see cref="GuestInspector.Identify"/> the root and every mountpoint are mounted.
/// </summary>
public sealed record OsIdentity
{
    /// <summary>The root filesystem device (appliance name, /dev/sda1).</summary>
    public required string Root { get; init; }

    /// <summary>linux, windows, ... (as libguestfs's inspect_get_type says it).</summary>
    public required string OsType { get; init; }

    public required string Distro { get; init; }

    public required string ProductName { get; init; }

    public required int MajorVersion { get; init; }

    public required int MinorVersion { get; init; }

    public required string Arch { get; init; }

    public string? Hostname { get; init; }

    /// <summary>(mountpoint, device) pairs from the guest's fstab, "/" included.</summary>
    public required IReadOnlyList<(string MountPoint, string Device)> MountPoints { get; init; }

    /// <summary>The filesystems, in device order, with their mountpoints when the fstab has one.</summary>
    public required IReadOnlyList<GuestFilesystem> Filesystems { get; init; }

    public IReadOnlyList<string> VolumeGroups { get; init; } = [];

    public IReadOnlyList<string> LogicalVolumes { get; init; } = [];

    /// <summary>deb, rpm, pacman, apk or unknown.</summary>
    public required string PackageFormat { get; init; }

    /// <summary>apt, dnf, yum, zypper, pacman, apk or unknown.</summary>
    public required string PackageManager { get; init; }

    public required IdentificationMethod Method { get; init; }

    /// <summary>API device → the appliance kernel's name for it (blkid's DEVNAME), when the quick path saw it; empty otherwise.</summary>
    public IReadOnlyDictionary<string, string> KernelDevices { get; init; } = new Dictionary<string, string>();

    /// <summary>Windows: %SystemRoot% as a guest path ("/Windows"), when the quick path found it (libguestfs's inspection knows it otherwise).</summary>
    public string? WindowsSystemRoot { get; init; }

    /// <summary>Notes for the report (a second OS found, a mount that failed).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
