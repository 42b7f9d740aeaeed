using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Guest;
using V2VConverter.Guest.Transforms;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v convert</c>, as parsed.</summary>
internal sealed record ConvertCliOptions(SourceSpec Source, string OutputMode, CopyArgs Copy, bool NoGuestFixups, string? FstabStyle, PlanCliOptions Plan, int? KvmLaunchTimeout = null, LibvirtCliOptions? Libvirt = null, WindowsCliOptions? Windows = null);

/// <summary>The Windows guest options of <c>convert</c>: --virtio-win DIR|ISO, --block-driver virtio-blk|virtio-scsi, --force.</summary>
internal sealed record WindowsCliOptions(string? VirtioWin, string? BlockDriver, bool Force);

/// <summary>The -o libvirt options of <c>convert</c>: -oc URI, --start or --define-only, --ignore-space.</summary>
internal sealed record LibvirtCliOptions(string? Connection, bool Start, bool DefineOnly, bool IgnoreSpace);

/// <summary>
/// <c>v2v convert X.vmx -o local -os DIR [-of qcow2|raw] [-c]</c>, or <c>-o libvirt [-oc URI] -os POOL [--define-only|--start]</c>:
/// parses the options into a <see cref="ConversionJob"/> and shows its progress.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var source = CommandTable.SourceArgument();
        var outputMode = CliOptions.OneOf("-o", ["--output-mode"], "output mode: local (files in -os DIR) or libvirt (volumes in storage pool -os POOL, a defined domain)", "local", "libvirt");
        var connection = CliOptions.Value("-oc", "URI", "-o libvirt: the libvirt connection URI, e.g. qemu+ssh://root@kvm1/system (default: as virsh, LIBVIRT_DEFAULT_URI or libvirt's own default)", "--output-conn");
        var start = CliOptions.Flag("--start", "-o libvirt: start the domain once it is defined");
        var defineOnly = CliOptions.Flag("--define-only", "-o libvirt: define the domain without starting it (the default)");
        var ignoreSpace = CliOptions.Flag("--ignore-space", "-o libvirt: do not refuse a storage pool that seems to lack room for the disks");
        var noGuestFixups = CliOptions.Flag("--no-guest-fixups", "copy only: a compatibility copy (SATA disks, e1000 NICs) without converting the guest");
        var fstabStyle = CliOptions.OneOf("--fstab-style", [], "how fstab/crypttab and the bootloader name devices (default uuid)", "uuid", "vd");
        var virtioWin = CliOptions.Value("--virtio-win", "DIR|ISO", "Windows guests: the virtio-win drivers, a directory or an ISO image (default: $VIRTIO_WIN, then /usr/share/virtio-win)");
        var blockDriver = CliOptions.OneOf("--block-driver", [], "Windows guests: the boot disk driver made boot-critical (default virtio-blk)", "virtio-blk", "virtio-scsi");
        var force = CliOptions.Flag("--force", "convert a guest that has blockers (hibernated, BitLocker, a pending reboot, dynamic disks)");
        var allowRunning = CliOptions.Flag("--allow-running", "convert a powered-on vSphere VM (the copy may be inconsistent)");
        var kvmLaunchTimeout = CommandTable.KvmLaunchTimeout();
        var copy = new CopyOptionSet();
        var plan = new PlanOptionSet();
        var remote = new VSphereOptionSet(withVm: true);
        var command = new Command("convert", "Convert the VM: copy every disk into DIR, convert the guest (virtio drivers, fstab/grub, VMware Tools, NIC names), write DIR/<name>.report.json and DIR/<name>.xml.")
        {
            source, outputMode,
        };
        copy.AddTo(command);
        command.Options.Add(noGuestFixups);
        command.Options.Add(fstabStyle);
        command.Options.Add(allowRunning);
        command.Options.Add(virtioWin);
        command.Options.Add(blockDriver);
        command.Options.Add(force);
        command.Options.Add(kvmLaunchTimeout);
        command.Options.Add(connection);
        command.Options.Add(start);
        command.Options.Add(defineOnly);
        command.Options.Add(ignoreSpace);
        remote.AddTo(command);
        plan.AddTo(command);
        command.SetAction(r => Run(context, new ConvertCliOptions(
            remote.BindSource(r, context, r.GetRequiredValue(source), r.GetValue(allowRunning)),
            r.GetValue(outputMode) ?? "local",
            copy.Bind(r),
            r.GetValue(noGuestFixups),
            r.GetValue(fstabStyle),
            plan.Bind(r),
            r.GetValue(kvmLaunchTimeout),
            new LibvirtCliOptions(r.GetValue(connection), r.GetValue(start), r.GetValue(defineOnly), r.GetValue(ignoreSpace)),
            new WindowsCliOptions(r.GetValue(virtioWin), r.GetValue(blockDriver), r.GetValue(force)))));
        return command;
    }

    public static int Run(CliContext context, ConvertCliOptions o)
    {
        var outputKind = o.OutputMode;
        var (compress, fsync, machineReadable, vmdk) = o.Copy;
        var noGuestFixups = o.NoGuestFixups;
        var fstabStyle = o.FstabStyle;
        var naming = fstabStyle is null ? DeviceNamingStyle.Uuid : GuestConversionOptions.ParseDeviceNaming(fstabStyle);
        var plan = PlanArgs.Read(o.Plan, context, compatibilityMode: noGuestFixups);
        var source = o.Source;
        var request = new ConversionRequest
        {
            Source = source,
            // -os is the output's business: the output turns it into the plan's output directory (or pool).
            Plan = plan with { Options = plan.Options with { OutputDirectory = null } },
            Output = OutputArgs.Spec(outputKind, o.Plan.OutputStorage, context, o.Libvirt),
            Disk = new DiskConvertOptions { Compress = compress, Fsync = fsync },
            Vmdk = vmdk,
            Guest = new GuestStageOptions
            {
                Skip = noGuestFixups,
                DeviceNaming = naming,
                KvmLaunchDeadline = CommandTable.KvmLaunchDeadline(o.KvmLaunchTimeout),
                VirtioWin = o.Windows?.VirtioWin,
                BlockDriver = o.Windows?.BlockDriver is { } bd ? GuestConversionOptions.ParseBlockDriver(bd) : WindowsBlockDriver.VirtioBlk,
                Force = o.Windows?.Force ?? false,
            },
        };
        // -o local keeps the log beside the disks; -o libvirt has no local folder, so only --log-dir keeps one.
        context.StartLog(RunLogFile.ForConversion(context, source, request.Output.Kind == "local" ? request.Output.Storage : null, o.Plan.LogDir));
        using var progress = new ConvertProgress(context, machineReadable);
        var result = new ConversionJob(context.JobContext()).Run(request, progress);
        foreach (var d in result.Disks)
        {
            context.Error.WriteLine($"v2v: wrote {d.OutputPath} ({d.OutputFileSize} bytes)");
        }

        if (result.Guest is { } g)
        {
            foreach (var line in GuestSummary.Lines(g.Report, g.Facts.Converter, result.ReportPath))
            {
                context.Error.WriteLine($"v2v: guest: {line}");
            }
        }

        foreach (var doc in result.Documents)
        {
            context.Error.WriteLine($"v2v: wrote {doc}");
        }

        if (context.Log.FilePath is { } log)
        {
            context.Error.WriteLine($"v2v: log {log}");
        }

        return ExitCodes.Success;
    }

    /// <summary>The job's copy stage on <see cref="CopyProgress"/>: a bar per disk plus a total; JSON lines per disk, or summed when the disks copy in parallel.</summary>
    private sealed class ConvertProgress(CliContext context, bool machineReadable) : IConversionProgress, IDisposable
    {
        private CopyProgress? _progress;

        public void CopyStarting(IReadOnlyList<DiskCopyInfo> disks, int parallelDisks) =>
            _progress = new CopyProgress(context, machineReadable, disks.Select(d => (d.Label, d.VirtualSize ?? 0L)).ToList(), parallel: disks.Count > 1 && parallelDisks > 1);

        public void DiskProgress(int index, DiskProgress progress) => _progress?.Report(index, progress.Done, progress.Total);

        public void CopyFinished() => Dispose();

        public void Dispose() => _progress?.Dispose();
    }
}
