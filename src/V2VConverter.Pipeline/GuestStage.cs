using V2VConverter.Guest;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline;

/// <summary>Options of the guest stage of <c>convert</c>.</summary>
public sealed record GuestStageOptions
{
    /// <summary>--no-guest-fixups: copy only, with compatibility devices (SATA, e1000).</summary>
    public bool Skip { get; init; }

    public DeviceNamingStyle DeviceNaming { get; init; } = DeviceNamingStyle.Uuid;
}

/// <summary>
/// The guest stage: after the disks are written, the output disks (never the source) are converted
/// in one appliance launch. An unknown or uninspectable guest falls back to compatibility devices.
/// </summary>
public static class GuestStage
{
    public static GuestConversionReport? Run(ConversionPlan plan, GuestStageOptions options, DiagnosticBag diagnostics, Action<string> log)
    {
        if (options.Skip)
        {
            return null;
        }

        var disks = plan.Disks.Select(d => new ApplianceDisk(d.OutputPath, d.Format, ReadOnly: false)).ToList();
        // A Linux guest on VMware sees its disks as sda, sdb... in the order the plan lists them.
        var deviceMap = plan.Disks.Select((d, i) => ("sd" + Planner.DriveLetters(i), d.TargetDev)).ToList();
        var nics = plan.Nics.Select(n => NicInfo.FromModel(n.Source, n.Source.PciSlotNumber)).OfType<NicInfo>().ToList();
        var report = LinuxGuestConverter.Convert(disks, deviceMap, nics, new GuestConversionOptions { DeviceNaming = options.DeviceNaming }, log);
        foreach (var w in report.Warnings)
        {
            diagnostics.Warn("guest: " + w);
        }

        return report;
    }
}
