using System.Diagnostics;
using Serilog;
using V2VConverter.Guest;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline;

/// <summary>Options of the guest stage of <c>convert</c>.</summary>
public sealed record GuestStageOptions
{
    /// <summary>--no-guest-fixups: copy only, with compatibility devices (SATA, e1000).</summary>
    public bool Skip { get; init; }

    public DeviceNamingStyle DeviceNaming { get; init; } = DeviceNamingStyle.Uuid;

    public ApplianceAccelerator Accelerator { get; init; } = ApplianceAccelerator.Auto;

    /// <summary>--kvm-launch-timeout: how long a KVM appliance launch may take before it is retried with TCG.</summary>
    public TimeSpan KvmLaunchDeadline { get; init; } = ApplianceLaunch.DefaultKvmDeadline;

    /// <summary>--virtio-win DIR|ISO (Windows guests); null: $VIRTIO_WIN, then /usr/share/virtio-win.</summary>
    public string? VirtioWin { get; init; }

    /// <summary>--block-driver virtio-blk|virtio-scsi (Windows guests).</summary>
    public WindowsBlockDriver BlockDriver { get; init; } = WindowsBlockDriver.VirtioBlk;

    /// <summary>--force: convert a guest with blockers (hibernation, BitLocker...).</summary>
    public bool Force { get; init; }

    /// <summary>A UEFI source: secure boot and VMware's NVRAM boot entries (<see cref="Uefi.UefiSourceBoot"/>); null for BIOS.</summary>
    public UefiFirmware? Uefi { get; init; }

    /// <summary>The guest options these stage options give.</summary>
    public GuestConversionOptions GuestOptions => new()
    {
        DeviceNaming = DeviceNaming,
        Accelerator = Accelerator,
        KvmLaunchDeadline = KvmLaunchDeadline,
        VirtioWin = VirtioWin,
        BlockDriver = BlockDriver,
        Force = Force,
        Uefi = Uefi,
    };
}

/// <summary>
/// The guest stage: after the disks are written, the output disks (never the source) are opened in
/// one appliance launch (for an output without local files, before the copy, on copy-on-write views of the source), the OS is identified, and the first converter that handles it converts it.
/// A guest that no converter handles, or that cannot be inspected, is left as it was: compatibility devices.
/// </summary>
public static class GuestStage
{
    public static GuestConversionOutcome Run(ConversionPlan plan, IReadOnlyList<string> outputPaths, IReadOnlyList<IGuestConverter> converters, GuestStageOptions options, ILogger logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(outputPaths);
        return Run(plan, plan.Disks.Select((d, i) => new ApplianceDisk(outputPaths[i], d.Format, ReadOnly: false)).ToList(), converters, options, logger, ct);
    }

    /// <summary>The guest stage on the given drives: the output files, or copy-on-write views of the source served over NBD.</summary>
    public static GuestConversionOutcome Run(ConversionPlan plan, IReadOnlyList<ApplianceDisk> disks, IReadOnlyList<IGuestConverter> converters, GuestStageOptions options, ILogger logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(disks);
        ArgumentNullException.ThrowIfNull(converters);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var log = logger;
        var total = Stopwatch.StartNew();
        // A Linux guest on VMware sees its disks as sda, sdb... in the order the plan lists them.
        var deviceMap = plan.Disks.Select((d, i) => ("sd" + Planner.DriveLetters(i), d.TargetDev)).ToList();
        var nics = plan.Nics.Select(n => NicInfo.FromModel(n.Source, n.Source.PciSlotNumber)).OfType<NicInfo>().ToList();
        var guestOptions = options.GuestOptions;

        // A virtio-win ISO is read inside the appliance: attached read-only after the guest's disks (no loop mount on the host).
        if (V2VConverter.Guest.Windows.VirtioWinLocation.Resolve(options.VirtioWin) is { IsIso: true } iso)
        {
            disks = [.. disks, new ApplianceDisk(iso.Path, "raw", ReadOnly: true)];
            log.Info($"guest: {iso} attached read-only for Windows drivers");
        }

        GuestConversionOutcome outcome;
        GuestfsSession session;
        try
        {
            session = GuestfsSession.Launch(disks, guestOptions.Launch, log, ct);
        }
        catch (Exception e) when (e is GuestfsException or DllNotFoundException)
        {
            outcome = NotConverted(GuestAccessError.Describe(e), log, total);
            Warn(outcome, logger);
            return outcome;
        }

        using (session)
        {
            OsIdentity? os;
            try
            {
                os = GuestInspector.Identify(session, readOnly: false, log);
            }
            catch (GuestfsException e) when (Hibernated(e))
            {
                throw new GuestBlockedException($"Windows is hibernated (or was shut down with Fast Startup on), so its C: cannot be changed safely ({e.Message}). Nothing was converted; boot it on VMware, run powercfg /h off and shut it down fully, then convert");
            }
            catch (GuestfsException e)
            {
                os = null;
                outcome = NotConverted($"the guest could not be inspected: {e.Message}", log, total, session);
                Warn(outcome, logger);
                return outcome;
            }

            var converter = os is null ? null : converters.FirstOrDefault(c => c.Handles(os));
            if (os is null || converter is null)
            {
                outcome = NotConverted(os is null ? "no operating system was found on the disks" : $"no guest converter handles a {os.OsType} guest ({os.ProductName})", log, total, session);
                Warn(outcome, logger);
                return outcome;
            }

            log.Info($"converter: {converter.Name} for {os.ProductName}");
            outcome = converter.Convert(new GuestConversionInput(session, os, deviceMap, nics, guestOptions, log));
            if (!outcome.Report.CompatibilityMode)
            {
                session.Shutdown(); // unmounts, syncs and flushes; throws when it cannot: the disks may be incomplete
                log.Info($"guest conversion finished in {total.Elapsed.TotalSeconds:F1} s (appliance launch {session.LaunchTime.TotalSeconds:F1} s, {session.Accelerator})");
            }

            outcome = outcome with { Report = outcome.Report with { TotalTime = total.Elapsed } };
            Warn(outcome, logger);
            return outcome;
        }
    }

    /// <summary>ntfs-3g refuses a read-write mount of a hibernated NTFS volume with this message.</summary>
    private static bool Hibernated(GuestfsException e) =>
        e.Message.Contains("hibernat", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("unclean file system", StringComparison.OrdinalIgnoreCase);

    private static GuestConversionOutcome NotConverted(string reason, ILogger log, Stopwatch total, GuestfsSession? session = null)
    {
        var report = GuestConversionReport.NotConverted(reason, log, total.Elapsed, session?.Accelerator, session?.LaunchTime ?? TimeSpan.Zero);
        return new GuestConversionOutcome(report, new GuestFacts { Converter = "none", Converted = false, VirtioDriversInstalled = false, Reason = reason });
    }

    private static void Warn(GuestConversionOutcome outcome, ILogger logger)
    {
        foreach (var w in outcome.Report.Warnings)
        {
            logger.Warn("guest: " + w);
        }
    }
}
