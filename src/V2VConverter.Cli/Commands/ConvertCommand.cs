using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Output.Templates;
using V2VConverter.Pipeline;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v convert X.vmx -o local -os DIR [-of qcow2|raw] [-c]</c>: copy every disk, then write DIR/NAME.xml.</summary>
public sealed class ConvertCommand : ICommand
{
    public string Name => "convert";

    public string Usage => $"convert X.vmx|URI [--vm NAME] [--allow-running] -o local -os DIR [-of qcow2|raw] [-c] [--no-guest-fixups] [--fstab-style uuid|vd] [--fsync] [--machine-readable] [--ignore-cid] {PlanArgs.Usage}";

    public string Summary => "Convert the VM: copy every disk into DIR, convert the guest (virtio drivers, fstab/grub, VMware Tools, NIC names), write DIR/<name>.report.json and DIR/<name>.xml.";

    public int Run(CliContext context, ArgReader args)
    {
        var output = args.Value("-o", "--output-mode") ?? "local";
        var (compress, fsync, machineReadable, vmdk) = CopyArgs.Read(args);
        var noGuestFixups = args.Flag("--no-guest-fixups");
        var fstabStyle = args.Value("--fstab-style");
        var naming = fstabStyle is null ? V2VConverter.Guest.Transforms.DeviceNamingStyle.Uuid : V2VConverter.Guest.GuestConversionOptions.ParseDeviceNaming(fstabStyle);
        var request = PlanArgs.Read(args, context, compatibilityMode: noGuestFixups);
        var remote = VSphereCommandSupport.ReadRemoteOptions(context, args);
        var allowRunning = args.Flag("--allow-running");
        var source = args.Positionals(1, 1, "the .vmx file or esx:// / vpx:// URI")[0];
        if (output != "local")
        {
            throw new UsageException($"-o {output}: only -o local is supported");
        }

        if (request.Options.OutputDirectory is null)
        {
            throw new UsageException("-o local needs -os DIR");
        }

        var format = request.Options.OutputFormat ?? "qcow2";
        if (compress && format != "qcow2")
        {
            throw new UsageException("-c needs -of qcow2");
        }

        request = request with { Options = request.Options with { OutputFormat = format } };
        DiagnosticsPrinter.Attach(context);
        // A vSphere VM's flat disks stream from the datastore into the writer; other layouts are fetched under -os when their turn comes.
        using var remoteVm = remote.IsRemote(source) ? remote.OpenForConversion(source, context, request.Options.OutputDirectory!, allowRunning) : null;
        var vm = remoteVm?.Model ?? SourceOpener.Open(source, args, context);
        var plan = ConversionPlanner.Plan(vm, request, context.Diagnostics);
        // Disks copied one after another get a bar each; copied in parallel (a vSphere source), one bar sums them.
        var parallelCopy = plan.Disks.Count > 1 && (remoteVm?.Disks.MaxParallelDisks ?? 1) > 1;
        var displays = parallelCopy
            ? [new ProgressDisplay(context, machineReadable, $"{plan.Disks.Count} disks")]
            : plan.Disks.Select(d => new ProgressDisplay(context, machineReadable, d.OutputFileName)).ToList();
        var perDisk = plan.Disks.Select(d => (Done: 0L, Total: d.Source.CapacityBytes ?? 0L)).ToArray();
        var options = new LocalConversionOptions
        {
            Disk = new DiskConvertOptions { Compress = compress, Fsync = fsync, Format = format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2 },
            Vmdk = vmdk,
            Disks = remoteVm?.Disks ?? (IDiskOpener)LocalDiskOpener.Instance,
            Templates = request.TemplatesDirectory is null ? TemplateSet.Embedded : new TemplateSet(request.TemplatesDirectory),
            Guest = new GuestStageOptions { Skip = noGuestFixups, DeviceNaming = naming },
            CompatibilityPlan = () => ConversionPlanner.Plan(vm, request with { Options = request.Options with { CompatibilityMode = true } }, context.Diagnostics),
        };
        var last = -1;
        try
        {
            var result = LocalConversion.Run(plan, options, context.Diagnostics, (i, p) =>
            {
                if (parallelCopy)
                {
                    lock (perDisk)
                    {
                        perDisk[i] = (p.Done, p.Total);
                        last = 0;
                        displays[0].Report(perDisk.Sum(x => x.Done), perDisk.Sum(x => x.Total));
                    }

                    return;
                }

                if (last >= 0 && last != i)
                {
                    displays[last].Complete();
                }

                last = i;
                displays[i].Report(p.Done, p.Total);
            }, context.Cancellation);
            if (last >= 0)
            {
                displays[last].Complete();
            }

            foreach (var d in result.Disks)
            {
                context.Error.WriteLine($"v2v: wrote {d.OutputPath} ({d.OutputFileSize} bytes)");
            }

            if (result.Guest is { } g)
            {
                foreach (var line in GuestSummary.Lines(g, result.ReportPath))
                {
                    context.Error.WriteLine($"v2v: guest: {line}");
                }
            }

            context.Error.WriteLine($"v2v: wrote {result.ReportPath}");
            context.Error.WriteLine($"v2v: wrote {result.XmlPath}");
            return ExitCodes.Success;
        }
        catch
        {
            if (last >= 0)
            {
                displays[last].Complete();
            }

            throw;
        }
    }
}
