using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Windows.Inspection;
using V2VConverter.Guest.Windows.Registry;

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

    /// <summary>A Windows guest's facts: version and build, client or server, system root, control set, drive letters, VMware Tools and services, NICs with static IPs, concerns. Absent for other guests.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public GuestWindowsSection? Windows { get; init; }

    public static GuestInspectionSection Of(GuestInspection i)
    {
        ArgumentNullException.ThrowIfNull(i);
        return new GuestInspectionSection
        {
            Root = i.Os.Root,
            OsType = i.Os.OsType,
            Distro = i.Os.Distro,
            ProductName = i.Os.ProductName,
            MajorVersion = i.Os.MajorVersion,
            MinorVersion = i.Os.MinorVersion,
            Arch = i.Os.Arch,
            Hostname = i.Os.Hostname,
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
            Windows = i.Windows is null ? null : GuestWindowsSection.Of(i.Windows),
        };
    }
}

/// <summary><c>windows</c> in the guest inspection: what the registry and the disks say about a Windows guest.</summary>
public sealed record GuestWindowsSection(
    string ProductName,
    string Version,
    int Build,
    string Variant,
    string? EditionId,
    string Arch,
    string SystemRoot,
    string ControlSet,
    IReadOnlyList<GuestDriveLetterRow> DriveLetters,
    IReadOnlyList<VmwareToolsInstall> VmwareTools,
    IReadOnlyList<WindowsService> VmwareServices,
    IReadOnlyList<WindowsNic> Nics,
    bool DriverDatabase,
    string? EfiSystemPartition,
    IReadOnlyList<GuestConcernRow> Concerns)
{
    public static GuestWindowsSection Of(WindowsInspection w)
    {
        ArgumentNullException.ThrowIfNull(w);
        return new GuestWindowsSection(
            w.ProductName,
            $"{w.Major}.{w.Minor}",
            w.Build,
            w.Variant,
            w.EditionId,
            w.Arch,
            w.SystemRootWindows,
            w.ControlSet,
            w.DriveLetters.Select(d => new GuestDriveLetterRow(d.Letter, d.Device)).ToList(),
            w.VmwareTools,
            w.VmwareServices,
            w.Nics,
            w.HasDriverDatabase,
            w.EspDevice,
            w.Concerns.Select(c => new GuestConcernRow(c.Kind, DocumentNames.Of(c.Severity), c.Message, c.Fix)).ToList());
    }
}

public sealed record GuestDriveLetterRow(string Letter, string Device);

/// <summary>A finding with its severity (info, warning, blocker) and a one-line fix.</summary>
public sealed record GuestConcernRow(string Kind, string Severity, string Message, string Fix);

/// <summary>One registry edit: hive, key, value (null for a key), action, before and after (hivexregedit's notation), and why.</summary>
public sealed record GuestRegistryEditRow(string Hive, string Key, string? Value, string Action, string? Before, string? After, string Why)
{
    public static GuestRegistryEditRow Of(RegistryEdit e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new GuestRegistryEditRow(e.Hive, e.Key, e.Value, DocumentNames.Of(e.Action), e.Before, e.After, e.Why);
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
public sealed record GuestFixupRow(string Name, string Status, IReadOnlyList<GuestFileChangeRow> Files, IReadOnlyList<string> Actions, IReadOnlyList<string> Verification, IReadOnlyList<string> Warnings, IReadOnlyList<GuestRegistryEditRow> Registry)
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
            f.Warnings,
            f.Registry.Select(GuestRegistryEditRow.Of).ToList());
    }
}

/// <summary>A guest file a fixup changed (a new file has only "after" lines).</summary>
public sealed record GuestFileChangeRow(string Path, IReadOnlyList<GuestLineChangeRow> Lines, bool Created, bool Deleted);

public sealed record GuestLineChangeRow(int Line, string Before, string After);
