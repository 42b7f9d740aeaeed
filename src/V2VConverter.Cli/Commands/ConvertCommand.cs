using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Guest;
using V2VConverter.Guest.Transforms;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v convert X.vmx -o local -os DIR [-of qcow2|raw] [-c]</c>: parses the options into a <see cref="ConversionJob"/> and shows its progress.</summary>
public sealed class ConvertCommand : ICommand
{
    public string Name => "convert";

    public string Usage => $"convert X.vmx|URI [--vm NAME] [--allow-running] -o local -os DIR [-of qcow2|raw] [-c] [--no-guest-fixups] [--fstab-style uuid|vd] [--fsync] [--machine-readable] [--ignore-cid] {PlanArgs.Usage} {RunLogFile.OptionUsage}";

    public string Summary => "Convert the VM: copy every disk into DIR, convert the guest (virtio drivers, fstab/grub, VMware Tools, NIC names), write DIR/<name>.report.json and DIR/<name>.xml.";

    public int Run(CliContext context, ArgReader args)
    {
        var outputKind = args.Value("-o", "--output-mode") ?? "local";
        var (compress, fsync, machineReadable, vmdk) = CopyArgs.Read(args);
        var noGuestFixups = args.Flag("--no-guest-fixups");
        var fstabStyle = args.Value("--fstab-style");
        var naming = fstabStyle is null ? DeviceNamingStyle.Uuid : GuestConversionOptions.ParseDeviceNaming(fstabStyle);
        var plan = PlanArgs.Read(args, context, compatibilityMode: noGuestFixups);
        var logDir = args.Value("--log-dir");
        var source = VSphereCommandSupport.ReadSourceSpec(context, args, allowRunningOption: true);
        var request = new ConversionRequest
        {
            Source = source,
            // -os is the output's business: the output turns it into the plan's output directory (or pool).
            Plan = plan with { Options = plan.Options with { OutputDirectory = null } },
            Output = new OutputSpec { Kind = outputKind, Storage = plan.Options.OutputDirectory },
            Disk = new DiskConvertOptions { Compress = compress, Fsync = fsync },
            Vmdk = vmdk,
            Guest = new GuestStageOptions { Skip = noGuestFixups, DeviceNaming = naming },
        };
        context.StartLog(RunLogFile.ForConversion(context, source, request.Output.Storage, logDir));
        using var progress = new ConvertProgress(context, machineReadable);
        var result = new ConversionJob(VSphereCommandSupport.JobContext(context)).Run(request, progress);
        foreach (var d in result.Disks)
        {
            context.Error.WriteLine($"v2v: wrote {d.OutputPath} ({d.OutputFileSize} bytes)");
        }

        if (result.Guest is { } g)
        {
            context.Error.WriteLine(g.Report.CompatibilityMode
                ? $"v2v: guest: compatibility copy ({g.Report.CompatibilityReason})"
                : $"v2v: guest: {g.Report.Fixups.Count} fixup(s) applied by the {g.Facts.Converter} converter; see {result.ReportPath}");
        }

        foreach (var doc in result.Documents)
        {
            context.Error.WriteLine($"v2v: wrote {doc}");
        }

        return ExitCodes.Success;
    }

    /// <summary>One bar per disk as disks are copied one after another; one bar summing them when they copy in parallel.</summary>
    private sealed class ConvertProgress(CliContext context, bool machineReadable) : IConversionProgress, IDisposable
    {
        private readonly Lock _gate = new();
        private List<ProgressDisplay> _displays = [];
        private (long Done, long Total)[] _perDisk = [];
        private bool _parallel;
        private int _last = -1;

        public void CopyStarting(IReadOnlyList<DiskCopyInfo> disks, int parallelDisks)
        {
            lock (_gate)
            {
                _parallel = disks.Count > 1 && parallelDisks > 1;
                _perDisk = disks.Select(d => (0L, d.VirtualSize ?? 0L)).ToArray();
                _displays = _parallel
                    ? [new ProgressDisplay(context, machineReadable, $"{disks.Count} disks")]
                    : disks.Select(d => new ProgressDisplay(context, machineReadable, d.Label)).ToList();
            }
        }

        public void DiskProgress(int index, DiskProgress p)
        {
            lock (_gate)
            {
                if (_parallel)
                {
                    _perDisk[index] = (p.Done, p.Total);
                    _last = 0;
                    _displays[0].Report(_perDisk.Sum(x => x.Done), _perDisk.Sum(x => x.Total));
                    return;
                }

                if (_last >= 0 && _last != index)
                {
                    _displays[_last].Complete();
                }

                _last = index;
                _displays[index].Report(p.Done, p.Total);
            }
        }

        public void CopyFinished() => Dispose();

        public void Dispose()
        {
            lock (_gate)
            {
                if (_last >= 0)
                {
                    _displays[_last].Complete();
                    _last = -1;
                }
            }
        }
    }
}
