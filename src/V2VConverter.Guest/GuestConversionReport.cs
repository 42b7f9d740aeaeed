using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;

namespace V2VConverter.Guest;

/// <summary>
/// A filesystem before and after: the name the guest used on VMware, the name inside the
/// appliance, the new virtio name and the name fstab/grub now use (UUID= or the virtio name).
/// </summary>
public sealed record DeviceMapping(string SourceDevice, string ApplianceDevice, string TargetDevice, string? Uuid, string? MountPoint, string? FilesystemType, string NewReference);

/// <summary>The result of <see cref="LinuxGuestConverter.Convert(string, string, IReadOnlyList{ValueTuple{string, string}}, IReadOnlyList{NicInfo}, GuestConversionOptions, ILogger)"/>.</summary>
public sealed record GuestConversionReport
{
    /// <summary>
    /// True when the guest was NOT converted (unknown or uninspectable guest, or no appliance):
    /// the caller must then write a compatibility domain (SATA disks, e1000 NICs). The disk is unchanged.
    /// </summary>
    public bool CompatibilityMode { get; init; }

    /// <summary>Why compatibility mode was chosen (null when converted).</summary>
    public string? CompatibilityReason { get; init; }

    public GuestInspection? Inspection { get; init; }

    public IReadOnlyList<DeviceMapping> Devices { get; init; } = [];

    public IReadOnlyList<NicPin> NicPins { get; init; } = [];

    public IReadOnlyList<FixupResult> Fixups { get; init; } = [];

    /// <summary>Every warning: inspection's and each fixup's.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>"kvm" or "tcg" (null when no appliance was launched).</summary>
    public string? Accelerator { get; init; }

    public TimeSpan ApplianceLaunchTime { get; init; }

    public TimeSpan TotalTime { get; init; }

    /// <summary>The report of a guest that is left as it was (logged as a warning): the caller plans compatibility devices.</summary>
    public static GuestConversionReport NotConverted(string reason, ILogger log, TimeSpan total, string? accelerator = null, TimeSpan launchTime = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        log.Info($"WARNING: guest not converted, falling back to compatibility mode (SATA disks, e1000 NICs): {reason}");
        return new GuestConversionReport
        {
            CompatibilityMode = true,
            CompatibilityReason = reason,
            Warnings = [$"guest not converted: {reason}; use a compatibility domain (SATA disks, e1000 NICs)"],
            Accelerator = accelerator,
            ApplianceLaunchTime = launchTime,
            TotalTime = total,
        };
    }

    /// <summary>Converted and no fixup failed.</summary>
    public bool Succeeded => !CompatibilityMode && Fixups.All(f => f.Status != FixupStatus.Failed);
}
