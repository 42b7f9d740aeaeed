using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;

namespace V2VConverter.Pipeline.Documents;

/// <summary>What inspection learned about a guest: <c>guest</c> in <c>inspect --guest --json</c>, <c>guest.inspection</c> in the report.</summary>
public sealed record GuestInspectionSection
{
    /// <summary>The root filesystem device (appliance name, /dev/sda1).</summary>
    public required string Root { get; init; }

    public required string OsType { get; init; }

    public required string Distro { get; init; }

    public required string ProductName { get; init; }

    public required int MajorVersion { get; init; }

    public required int MinorVersion { get; init; }

    public required string Arch { get; init; }

    public string? Hostname { get; init; }

    public required IReadOnlyList<GuestFilesystemRow> Filesystems { get; init; }

    public required IReadOnlyList<string> VolumeGroups { get; init; }

    public required IReadOnlyList<string> LogicalVolumes { get; init; }

    public required string PackageFormat { get; init; }

    public required string PackageManager { get; init; }

    /// <summary>initramfs-tools, dracut, mkinitrd or unknown.</summary>
    public required string InitramfsTool { get; init; }

    public required GuestBootloaderRow Bootloader { get; init; }

    public required IReadOnlyList<GuestKernelRow> Kernels { get; init; }

    public required GuestVmwareToolsRow VmwareTools { get; init; }

    public required GuestNetworkRow Network { get; init; }

    public required bool HasSystemd { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>MAJOR.MINOR.</summary>
    public required string Version { get; init; }

    public static GuestInspectionSection Of(GuestInspection i)
    {
        ArgumentNullException.ThrowIfNull(i);
        return new GuestInspectionSection
        {
            Root = i.Root,
            OsType = i.OsType,
            Distro = i.Distro,
            ProductName = i.ProductName,
            MajorVersion = i.MajorVersion,
            MinorVersion = i.MinorVersion,
            Arch = i.Arch,
            Hostname = i.Hostname,
            Filesystems = i.Filesystems.Select(f => new GuestFilesystemRow(f.Device, f.Type, f.Uuid, f.Label, f.MountPoint)).ToList(),
            VolumeGroups = i.VolumeGroups,
            LogicalVolumes = i.LogicalVolumes,
            PackageFormat = i.PackageFormat,
            PackageManager = i.PackageManager,
            InitramfsTool = DocumentNames.Of(i.InitramfsTool),
            Bootloader = new GuestBootloaderRow(DocumentNames.Of(i.Bootloader.Kind), i.Bootloader.ConfigPath, i.Bootloader.DefaultsPath, i.Bootloader.DeviceMapPath, i.Bootloader.RegenerateCommand),
            Kernels = i.Kernels.Select(k => new GuestKernelRow(k.Version, k.ImagePath, k.InitrdPath, k.HasModules)).ToList(),
            VmwareTools = new GuestVmwareToolsRow(DocumentNames.Of(i.VmwareTools.Flavour), i.VmwareTools.Packages, i.VmwareTools.Uninstaller, i.VmwareTools.ServiceLinks),
            Network = new GuestNetworkRow(
                i.Network.Systems.Select(DocumentNames.Of).ToList(),
                i.Network.Interfaces.Select(n => new GuestInterfaceRow(n.Name, n.MacAddress, DocumentNames.Of(n.System), n.File)).ToList()),
            HasSystemd = i.HasSystemd,
            Warnings = i.Warnings,
            Version = i.Version,
        };
    }
}

/// <summary>A filesystem on the guest's disks (appliance device name).</summary>
public sealed record GuestFilesystemRow(string Device, string Type, string? Uuid, string? Label, string? MountPoint);

/// <summary>The bootloader: kind (grub2, grub-legacy, unknown), its files and the command that regenerates its config.</summary>
public sealed record GuestBootloaderRow(string Kind, string? ConfigPath, string? DefaultsPath, string? DeviceMapPath, string? RegenerateCommand);

public sealed record GuestKernelRow(string Version, string ImagePath, string? InitrdPath, bool HasModules);

/// <summary>VMware Tools: flavour (none, open-vm-tools, vmware-packages, tar-installed), packages, uninstaller, service links.</summary>
public sealed record GuestVmwareToolsRow(string Flavour, IReadOnlyList<string> Packages, string? Uninstaller, IReadOnlyList<string> ServiceLinks);

/// <summary>The network configuration systems found (ifupdown, netplan, network-manager, ifcfg, systemd-networkd) and the interfaces they name.</summary>
public sealed record GuestNetworkRow(IReadOnlyList<string> Systems, IReadOnlyList<GuestInterfaceRow> Interfaces);

public sealed record GuestInterfaceRow(string? Name, string? MacAddress, string System, string File);

/// <summary><c>guest</c> in the report: whether the guest was converted, what inspection found, the device names and NIC pins, every fixup.</summary>
public sealed record GuestConversionSection
{
    /// <summary>True when the guest was left as it was and the domain has compatibility devices (SATA disks, e1000 NICs).</summary>
    public required bool CompatibilityMode { get; init; }

    public string? CompatibilityReason { get; init; }

    public GuestInspectionSection? Inspection { get; init; }

    /// <summary>Each filesystem's device name on VMware, in the appliance and on KVM, and the reference fstab/grub now use.</summary>
    public required IReadOnlyList<GuestDeviceNameRow> Devices { get; init; }

    public required IReadOnlyList<GuestNicPinRow> NicPins { get; init; }

    public required IReadOnlyList<GuestFixupRow> Fixups { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>kvm or tcg; null when no appliance was launched.</summary>
    public string? Accelerator { get; init; }

    public required TimeSpan ApplianceLaunchTime { get; init; }

    public required TimeSpan TotalTime { get; init; }

    /// <summary>Converted, and no fixup failed.</summary>
    public required bool Succeeded { get; init; }

    public static GuestConversionSection Of(GuestConversionReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new GuestConversionSection
        {
            CompatibilityMode = r.CompatibilityMode,
            CompatibilityReason = r.CompatibilityReason,
            Inspection = r.Inspection is null ? null : GuestInspectionSection.Of(r.Inspection),
            Devices = r.Devices.Select(GuestDeviceNameRow.Of).ToList(),
            NicPins = r.NicPins.Select(GuestNicPinRow.Of).ToList(),
            Fixups = r.Fixups.Select(GuestFixupRow.Of).ToList(),
            Warnings = r.Warnings,
            Accelerator = r.Accelerator,
            ApplianceLaunchTime = r.ApplianceLaunchTime,
            TotalTime = r.TotalTime,
            Succeeded = r.Succeeded,
        };
    }
}

/// <summary>A filesystem's name before and after: on VMware, in the appliance, on KVM, and in fstab/grub now (UUID= or the virtio name).</summary>
public sealed record GuestDeviceNameRow(string SourceDevice, string ApplianceDevice, string TargetDevice, string? Uuid, string? MountPoint, string? FilesystemType, string NewReference)
{
    public static GuestDeviceNameRow Of(DeviceMapping d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new GuestDeviceNameRow(d.SourceDevice, d.ApplianceDevice, d.TargetDevice, d.Uuid, d.MountPoint, d.FilesystemType, d.NewReference);
    }
}

/// <summary>NIC <c>nicIndex</c> (MAC) keeps the interface name <c>interfaceName</c>, and why.</summary>
public sealed record GuestNicPinRow(int NicIndex, string MacAddress, string InterfaceName, string Reason)
{
    public static GuestNicPinRow Of(NicPin p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new GuestNicPinRow(p.NicIndex, p.MacAddress, p.InterfaceName, p.Reason);
    }
}

/// <summary>One fixup: its status (applied, not-needed, failed), the files it changed line by line, what it ran and checked, its warnings.</summary>
public sealed record GuestFixupRow(string Name, string Status, IReadOnlyList<GuestFileChangeRow> Files, IReadOnlyList<string> Actions, IReadOnlyList<string> Verification, IReadOnlyList<string> Warnings)
{
    public static GuestFixupRow Of(FixupResult f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new GuestFixupRow(
            f.Name,
            DocumentNames.Of(f.Status),
            f.Files.Select(c => new GuestFileChangeRow(c.Path, c.Lines.Select(l => new GuestLineChangeRow(l.Line, l.Before, l.After)).ToList(), c.Created, c.Deleted)).ToList(),
            f.Actions,
            f.Verification,
            f.Warnings);
    }
}

/// <summary>A guest file a fixup changed (a new file has only "after" lines).</summary>
public sealed record GuestFileChangeRow(string Path, IReadOnlyList<GuestLineChangeRow> Lines, bool Created, bool Deleted);

public sealed record GuestLineChangeRow(int Line, string Before, string After);
