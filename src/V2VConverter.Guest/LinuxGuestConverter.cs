using System.Diagnostics;
using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Fixups.Uefi;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest;

/// <summary>
/// Converts a Linux guest on an already copied OUTPUT disk so that it boots on virtio and keeps its
/// network: one libguestfs appliance launch, inspection, then the fixups in order (VMware Tools,
/// fstab/crypttab, network names, bootloader, initramfs last so it picks up every earlier change).
/// An unknown or uninspectable guest is not an error: the report says compatibility mode and the disk
/// is left as it was. Never give it the source disk: it writes.
/// </summary>
public static class LinuxGuestConverter
{
    /// <summary>The default fixups, in the order they run.</summary>
    public static IReadOnlyList<IGuestFixup> DefaultFixups() =>
        [new VmwareToolsFixup(), new FstabFixup(), new NetworkFixup(), new UefiFallbackFixup(), new BootloaderFixup(), new InitramfsFixup()];

    /// <summary>One output disk (the common case).</summary>
    /// <param name="outputDiskPath">The converted copy (qcow2/raw), opened read-write.</param>
    /// <param name="format">Its format: "qcow2" or "raw".</param>
    /// <param name="deviceMap">Source disk names in VMX order and the target names: [("sda", "vda")].</param>
    /// <param name="nics">The source NICs with their MACs (and pciSlotNumber when known).</param>
    public static GuestConversionReport Convert(string outputDiskPath, string format, IReadOnlyList<(string SourceDevice, string TargetDevice)> deviceMap, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, ILogger log) =>
        Convert([new ApplianceDisk(outputDiskPath, format, ReadOnly: false)], deviceMap, nics, options, log);

    /// <summary>Several output disks: <paramref name="deviceMap"/>[i] describes <paramref name="outputDisks"/>[i].</summary>
    public static GuestConversionReport Convert(IReadOnlyList<ApplianceDisk> outputDisks, IReadOnlyList<(string SourceDevice, string TargetDevice)> deviceMap, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, ILogger log, IReadOnlyList<IGuestFixup>? fixups = null)
    {
        ArgumentNullException.ThrowIfNull(outputDisks);
        ArgumentNullException.ThrowIfNull(deviceMap);
        ArgumentNullException.ThrowIfNull(options);
        if (deviceMap.Count != outputDisks.Count)
        {
            throw new ArgumentException($"deviceMap has {deviceMap.Count} entries for {outputDisks.Count} disks", nameof(deviceMap));
        }

        if (outputDisks.Any(d => d.ReadOnly))
        {
            throw new ArgumentException("the output disks must be writable", nameof(outputDisks));
        }

        var total = Stopwatch.StartNew();
        GuestfsSession session;
        try
        {
            session = GuestfsSession.Launch(outputDisks, options.Launch, log);
        }
        catch (GuestfsException e)
        {
            return Compatibility($"the libguestfs appliance could not be launched: {e.Message}", log, total);
        }
        catch (DllNotFoundException e)
        {
            return Compatibility(GuestAccessError.Describe(e), log, total); // one line, not the loader's list of paths
        }

        using (session)
        {
            OsIdentity id;
            try
            {
                var found = GuestInspector.Identify(session, readOnly: false, log);
                if (found is null)
                {
                    return Compatibility("no operating system was found on the disks", log, total, session);
                }

                id = found;
                if (!Handles(id))
                {
                    return Compatibility($"the guest is {id.OsType}, not Linux; only Linux guests are converted", log, total, session);
                }
            }
            catch (GuestfsException e)
            {
                return Compatibility($"the guest could not be inspected: {e.Message}", log, total, session);
            }

            var report = ConvertIdentified(session, id, deviceMap, nics, options, log, total, fixups);
            if (!report.CompatibilityMode)
            {
                session.Shutdown(); // unmounts, syncs and flushes; throws when it cannot
                log.Info($"guest conversion finished in {total.Elapsed.TotalSeconds:F1} s (appliance launch {session.LaunchTime.TotalSeconds:F1} s, {session.Accelerator})");
            }

            return report with { TotalTime = total.Elapsed };
        }
    }

    /// <summary>True for the guests this converter handles: Linux.</summary>
    public static bool Handles(OsIdentity id) => id.OsType == "linux";

    /// <summary>
    /// Converts an identified Linux guest in a launched appliance: inspection, then the fixups. The caller
    /// owns the session, and shuts it down (which flushes the disks) when the report is not in compatibility mode.
    /// </summary>
    public static GuestConversionReport ConvertIdentified(GuestfsSession session, OsIdentity id, IReadOnlyList<(string SourceDevice, string TargetDevice)> deviceMap, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, ILogger log, Stopwatch? total = null, IReadOnlyList<IGuestFixup>? fixups = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(options);
        total ??= Stopwatch.StartNew();
        {
            GuestInspection inspection;
            // The session itself: stat, glob and pread are daemon calls of a few milliseconds; only guest commands cost seconds.
            IGuestFileSystem files = session;
            try
            {
                inspection = GuestInspector.Inspect(session, id, log, files);
            }
            catch (GuestfsException e)
            {
                return Compatibility($"the guest could not be inspected: {e.Message}", log, total, session);
            }

            var (sourceMap, applianceMap, devices) = BuildMaps(session, id, inspection, deviceMap, options.DeviceNaming, log);
            foreach (var d in devices)
            {
                log.Info($"device: {d.SourceDevice} (appliance {d.ApplianceDevice}) -> {d.TargetDevice}, referenced as {d.NewReference}{(d.MountPoint is null ? "" : $", mounted on {d.MountPoint}")}");
            }

            var context = new GuestFixupContext(files, inspection, sourceMap, applianceMap, nics, options, log);
            var results = new List<FixupResult?>(); // a staged fixup keeps its place until its jobs have run
            IReadOnlyList<NicPin> pins = [];

            // Consecutive staged fixups (bootloader, initramfs) are prepared in order, then their slow guest
            // commands run together on the appliance's vCPUs, then each finishes in order.
            var pending = new List<(IStagedGuestFixup Fixup, StagedFixup Staged, Stopwatch Watch, int Slot)>();
            void Flush()
            {
                if (pending.Count == 0)
                {
                    return;
                }

                var jobs = pending.SelectMany(p => p.Staged.Jobs).ToList();
                var lanes = GuestJobRunner.Lanes(jobs, GuestfsSession.ApplianceCpus);
                if (jobs.Count > 1)
                {
                    log.Info($"guest commands: {GuestfsSession.ApplianceCpus} vCPUs, side by side: {string.Join(" | ", lanes.Select(l => string.Join(" then ", l.Select(i => jobs[i].Name))))}");
                }

                IReadOnlyList<GuestJobResult> all;
                try
                {
                    all = GuestJobRunner.Run(files, jobs, lanes);
                }
                catch (GuestfsException e)
                {
                    log.Info($"guest commands: FAILED: {e.Message}");
                    all = jobs.Select(j => new GuestJobResult(j.Name, [new GuestStepResult(1, e.Message)], TimeSpan.Zero)).ToList();
                }

                var at = 0;
                foreach (var (fixup, staged, watch, slot) in pending)
                {
                    var mine = all.Skip(at).Take(staged.Jobs.Count).ToList();
                    at += staged.Jobs.Count;
                    results[slot] = Finish(fixup, () => staged.Complete(mine), watch);
                }

                pending.Clear();
            }

            FixupResult Failed(IGuestFixup fixup, Exception e)
            {
                log.Info($"{fixup.Name}: FAILED: {e.Message}");
                return new FixupResult(fixup.Name, FixupStatus.Failed, [], [], [], [$"{fixup.Name} failed: {e.Message}"]);
            }

            FixupResult Finish(IGuestFixup fixup, Func<FixupResult> step, Stopwatch sw)
            {
                FixupResult r;
                try
                {
                    r = step();
                }
                catch (Exception e) when (e is GuestfsException or InvalidDataException or IOException)
                {
                    r = Failed(fixup, e);
                }

                log.Info($"{fixup.Name}: {r.Status} in {sw.Elapsed.TotalSeconds:F1} s");
                return r;
            }

            foreach (var fixup in fixups ?? DefaultFixups())
            {
                if (options.Skip.Contains(fixup.Name) || (fixup.Name == "vmware-tools" && !options.RemoveVmwareTools) || (fixup.Name == "network" && !options.PinNicNames))
                {
                    log.Info($"{fixup.Name}: skipped by option");
                    continue;
                }

                var sw = Stopwatch.StartNew();
                if (fixup is IStagedGuestFixup staged && options.ParallelGuestCommands)
                {
                    try
                    {
                        pending.Add((staged, staged.Prepare(context), sw, results.Count));
                    }
                    catch (Exception e) when (e is GuestfsException or InvalidDataException or IOException)
                    {
                        pending.Add((staged, StagedFixup.Done(Failed(fixup, e)), sw, results.Count));
                    }

                    results.Add(null);
                    continue;
                }

                // A fixup that only edits files the pending jobs do not touch (fstab, NIC names) runs now, before them:
                // the initramfs they build then carries its edits. Any other fixup waits for the pending jobs.
                if (fixup is not IFileEditFixup)
                {
                    Flush();
                }

                var r = Finish(fixup, () => fixup.Apply(context), sw);
                results.Add(r);
                if (fixup is NetworkFixup nf && nf.LastPlan is not null)
                {
                    pins = nf.LastPlan.Pins;
                }
            }

            Flush();
            var done = results.Select(r => r!).ToList();
            return new GuestConversionReport
            {
                Inspection = inspection,
                Devices = devices,
                NicPins = pins,
                Fixups = done,
                Warnings = inspection.Warnings.Concat(done.SelectMany(r => r.Warnings.Select(w => $"{r.Name}: {w}"))).ToList(),
                Accelerator = session.Accelerator,
                ApplianceLaunchTime = session.LaunchTime,
                TotalTime = total.Elapsed,
            };
        }
    }

    /// <summary>
    /// Inspects without changing anything (for <c>v2v inspect X.vmx --guest</c>): the disks are added
    /// read-only and mounted read-only. Returns null with a logged reason when no Linux guest is found.
    /// </summary>
    public static GuestInspection? Inspect(IReadOnlyList<ApplianceDisk> disks, ApplianceAccelerator accel, ILogger log) =>
        Inspect(disks, new ApplianceLaunch { Accelerator = accel }, log);

    /// <inheritdoc cref="Inspect(IReadOnlyList{ApplianceDisk}, ApplianceAccelerator, ILogger)"/>
    public static GuestInspection? Inspect(IReadOnlyList<ApplianceDisk> disks, ApplianceLaunch launch, ILogger log, CancellationToken ct = default)
    {
        using var session = GuestfsSession.Launch(disks.Select(d => d with { ReadOnly = true }).ToList(), launch, log, ct);
        var id = GuestInspector.Identify(session, readOnly: true, log);
        return id is null ? null : GuestInspector.Inspect(session, id, log);
    }

    private static (DeviceRemapper Source, DeviceRemapper Appliance, List<DeviceMapping> Devices) BuildMaps(GuestfsSession session, OsIdentity id, GuestInspection inspection, IReadOnlyList<(string SourceDevice, string TargetDevice)> deviceMap, DeviceNamingStyle style, ILogger log)
    {
        var applianceDisks = session.ListDevices().Select(d => d[5..]).ToList();
        var uuids = new Dictionary<string, string>(StringComparer.Ordinal);
        var devices = new List<DeviceMapping>();
        foreach (var fs in inspection.Filesystems)
        {
            var dev = BlockDeviceName.TryParse(fs.Device);
            var idx = dev is null ? -1 : applianceDisks.IndexOf(dev.Disk);
            if (dev is null || idx < 0 || idx >= deviceMap.Count)
            {
                continue; // LVs and the like keep their names
            }

            var target = new BlockDeviceName(Strip(deviceMap[idx].TargetDevice), dev.Partition).Path;
            var source = new BlockDeviceName(Strip(deviceMap[idx].SourceDevice), dev.Partition).Path;
            if (fs.Uuid is not null)
            {
                uuids[target] = fs.Uuid;
            }

            var reference = style == DeviceNamingStyle.Uuid && fs.Uuid is not null ? "UUID=" + fs.Uuid : target;
            devices.Add(new DeviceMapping(source, fs.Device, target, fs.Uuid, fs.MountPoint, fs.Type, reference));
        }

        var sourceMap = new DeviceRemapper(deviceMap.Select(m => new KeyValuePair<string, string>(m.SourceDevice, m.TargetDevice)), uuids, style);
        var kernelDisks = KernelNames(session, applianceDisks, id, inspection, log);
        var applianceMap = new DeviceRemapper(
            kernelDisks.Take(deviceMap.Count).Select((k, i) => (k, i)).Where(p => p.k is not null).Select(p => new KeyValuePair<string, string>(p.k!, deviceMap[p.i].TargetDevice)),
            uuids,
            style);
        return (sourceMap, applianceMap, devices);
    }

    /// <summary>
    /// The appliance kernel's names for the disks (what grub-mkconfig writes): from blkid's DEVNAME
    /// when the quick inspection saw it, else from the guest-side mountinfo; the API names when
    /// neither can be read.
    /// </summary>
    private static IReadOnlyList<string?> KernelNames(GuestfsSession session, IReadOnlyList<string> apiDisks, OsIdentity id, GuestInspection inspection, ILogger log)
    {
        if (id.KernelDevices.Count > 0)
        {
            return KernelDiskNames.FromDevices(id.KernelDevices.Select(kv => (kv.Key, kv.Value)), apiDisks, "blkid", log);
        }

        string mountinfo;
        try
        {
            mountinfo = session.Shell("cat /proc/self/mountinfo");
        }
        catch (GuestfsException e)
        {
            log.Info($"device: could not read the appliance's mountinfo ({e.Message}); assuming the kernel names the disks as libguestfs does");
            return apiDisks;
        }

        var mounted = inspection.Filesystems.Where(f => f.MountPoint is not null).Select(f => (f.Device, f.MountPoint!));
        return KernelDiskNames.Resolve(mountinfo, apiDisks, mounted, log);
    }

    private static string Strip(string s) => s.StartsWith("/dev/", StringComparison.Ordinal) ? s[5..] : s;

    private static GuestConversionReport Compatibility(string reason, ILogger log, Stopwatch total, GuestfsSession? session = null) =>
        GuestConversionReport.NotConverted(reason, log, total.Elapsed, session?.Accelerator, session?.LaunchTime ?? TimeSpan.Zero);
}
