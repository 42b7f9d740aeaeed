using System.Diagnostics;
using Serilog;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.Guest.Windows.Fixups;
using V2VConverter.Guest.Windows.Inspection;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows;

/// <summary>What a Windows conversion did, for the report and for planning the domain.</summary>
/// <param name="VirtioDevices">The virtio devices the guest has drivers for now: "block" or "scsi", "net", "balloon", "serial", "rng".</param>
/// <param name="GuestAgent">The QEMU guest agent is installed at first boot.</param>
public sealed record WindowsConversionResult(GuestConversionReport Report, IReadOnlySet<string> VirtioDevices, string? BootDriver, bool GuestAgent);

/// <summary>
/// Converts a Windows guest on the output disks, in one appliance launch: inspection (libguestfs and the hives through
/// hivex), the blockers (stop unless <c>--force</c>), then the fixups in order (virtio drivers, VMware Tools, first boot,
/// UEFI boot), and the edited hives written back last. Never give it the source disk: it writes.
/// </summary>
public static class WindowsGuestConverter
{
    public static IReadOnlyList<IWindowsFixup> DefaultFixups() => [new VirtioDriversFixup(), new VmwareToolsRemovalFixup(), new FirstBootFixup(), new UefiBootFixup()];

    public static bool Handles(OsIdentity id) => id.OsType == "windows";

    /// <summary>Inspects a mounted Windows guest (for <c>v2v inspect --guest</c>): hives read-only, nothing written.</summary>
    public static GuestInspection Inspect(GuestfsSession session, OsIdentity id, IReadOnlyList<NicInfo> nics, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(id);
        var systemRoot = WindowsInspector.SystemRoot(session, id);
        using var hives = WindowsHives.Download(session, systemRoot, writable: false, log);
        return AsGuestInspection(id, WindowsInspector.Inspect(session, id, hives, nics, log));
    }

    public static WindowsConversionResult ConvertIdentified(GuestfsSession session, OsIdentity id, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, ILogger log, IReadOnlyList<IWindowsFixup>? fixups = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(options);
        var total = Stopwatch.StartNew();
        var virtioWin = VirtioWinLocation.Resolve(options.VirtioWin);
        var systemRoot = WindowsInspector.SystemRoot(session, id);
        using var hives = WindowsHives.Download(session, systemRoot, writable: true, log);
        var inspection = WindowsInspector.Inspect(session, id, hives, nics, log);
        var blockers = inspection.Blockers.ToList();
        if (blockers.Count > 0)
        {
            var text = string.Join("; ", blockers.Select(b => $"{b.Message} (fix: {b.Fix})"));
            if (!options.Force)
            {
                throw new GuestBlockedException($"{inspection.ProductName} cannot be converted as it is: {text}. Nothing was converted; --force converts anyway");
            }

            log.Warn($"--force: converting despite: {text}");
        }

        var system = new HiveEditor(hives.System, "SYSTEM", log);
        var software = new HiveEditor(hives.Software, "SOFTWARE", log);
        var context = new WindowsFixupContext(session, inspection, system, software, nics, options, virtioWin, log);
        var results = new List<FixupResult>();
        foreach (var fixup in fixups ?? DefaultFixups())
        {
            if (options.Skip.Contains(fixup.Name) || (fixup is VmwareToolsRemovalFixup && !options.RemoveVmwareTools))
            {
                log.Info($"{fixup.Name}: skipped by option");
                continue;
            }

            var sw = Stopwatch.StartNew();
            FixupResult r;
            try
            {
                r = fixup.Apply(context);
            }
            catch (Exception e) when (e is GuestfsException or InvalidDataException or IOException)
            {
                log.Info($"{fixup.Name}: FAILED: {e.Message}");
                r = new FixupResult(fixup.Name, FixupStatus.Failed, [], [], [], [$"{fixup.Name} failed: {e.Message}"]);
            }

            log.Info($"{fixup.Name}: {r.Status} in {sw.Elapsed.TotalSeconds:F1} s");
            results.Add(r);
        }

        // A failed driver fixup leaves whatever it wrote in the hives unsaved only if nothing else was saved: keep it simple and
        // never claim virtio for a guest whose driver step failed.
        var driversFailed = results.Any(r => r.Name == "virtio-drivers" && r.Status == FixupStatus.Failed);
        hives.Save(session, system.Edits.Count > 0, software.Edits.Count > 0, log);
        var warnings = inspection.Concerns.Where(c => c.Severity != WindowsConcernSeverity.Info).Select(c => c.ToString())
            .Concat(results.SelectMany(r => r.Warnings.Select(w => $"{r.Name}: {w}"))).ToList();
        var report = new GuestConversionReport
        {
            Inspection = AsGuestInspection(id, inspection),
            Fixups = results,
            Warnings = warnings,
            Accelerator = session.Accelerator,
            ApplianceLaunchTime = session.LaunchTime,
            TotalTime = total.Elapsed,
        };
        var devices = driversFailed ? new HashSet<string>() : context.VirtioDevices;
        var agent = !driversFailed && context.GuestAgentMsiWindows is not null && devices.Contains("serial");
        return new WindowsConversionResult(report, devices, driversFailed ? null : context.BootDriver, agent);
    }

    /// <summary>The Windows facts in the shape every guest's inspection has (the Linux-only parts empty).</summary>
    public static GuestInspection AsGuestInspection(OsIdentity id, WindowsInspection w) => new()
    {
        Os = id,
        Filesystems = id.Filesystems,
        PackageFormat = "msi",
        PackageManager = "none",
        Bootloader = new BootloaderInfo(BootloaderKind.Unknown, null, null, null, null),
        VmwareTools = new VmwareToolsInfo(w.VmwareTools.Count > 0 ? VmwareToolsFlavour.VmwarePackages : VmwareToolsFlavour.None, w.VmwareTools.Select(t => $"{t.DisplayName} {t.Version}").ToList(), null, []),
        Network = new NetworkInfo([], []),
        Warnings = w.Concerns.Where(c => c.Severity != WindowsConcernSeverity.Info).Select(c => c.ToString()).ToList(),
        Windows = w,
    };
}
