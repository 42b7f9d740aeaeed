using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Output.Templates;
using V2VConverter.Pipeline;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v convert</c>, as parsed.</summary>
internal sealed record ConvertCliOptions(
    string Source,
    string OutputMode,
    CopyArgs Copy,
    bool NoGuestFixups,
    string? FstabStyle,
    bool AllowRunning,
    PlanCliOptions Plan,
    VSphereRemoteOptions Remote);

/// <summary><c>v2v convert X.vmx -o local -os DIR [-of qcow2|raw] [-c]</c>: copy every disk, then write DIR/NAME.xml.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var source = CommandTable.SourceArgument();
        var outputMode = CliOptions.OneOf("-o", ["--output-mode"], "output mode (only local: files in -os DIR)", "local");
        var noGuestFixups = CliOptions.Flag("--no-guest-fixups", "copy only: a compatibility copy (SATA disks, e1000 NICs) without converting the guest");
        var fstabStyle = CliOptions.OneOf("--fstab-style", [], "how fstab/crypttab and the bootloader name devices (default uuid)", "uuid", "vd");
        var allowRunning = CliOptions.Flag("--allow-running", "convert a powered-on vSphere VM (the copy may be inconsistent)");
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
        remote.AddTo(command);
        plan.AddTo(command);
        command.SetAction(r => Run(context, new ConvertCliOptions(
            r.GetRequiredValue(source),
            r.GetValue(outputMode) ?? "local",
            copy.Bind(r),
            r.GetValue(noGuestFixups),
            r.GetValue(fstabStyle),
            r.GetValue(allowRunning),
            plan.Bind(r),
            remote.BindRemote(r, context))));
        return command;
    }

    public static int Run(CliContext context, ConvertCliOptions o)
    {
        var output = o.OutputMode;
        var (compress, fsync, machineReadable, vmdk) = o.Copy;
        var noGuestFixups = o.NoGuestFixups;
        var fstabStyle = o.FstabStyle;
        var naming = fstabStyle is null ? V2VConverter.Guest.Transforms.DeviceNamingStyle.Uuid : V2VConverter.Guest.GuestConversionOptions.ParseDeviceNaming(fstabStyle);
        var request = PlanArgs.Read(o.Plan, context, compatibilityMode: noGuestFixups);
        var remote = o.Remote;
        var allowRunning = o.AllowRunning;
        var source = o.Source;
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
        var vm = remoteVm?.Model ?? SourceOpener.Open(source, context);
        var plan = ConversionPlanner.Plan(vm, request, context.Diagnostics);
        // A bar per disk and a total; the JSON lines (--machine-readable) sum the disks when they copy in parallel (a vSphere source).
        var parallelCopy = plan.Disks.Count > 1 && (remoteVm?.Disks.MaxParallelDisks ?? 1) > 1;
        using var progress = new CopyProgress(context, machineReadable, plan.Disks.Select(d => (d.OutputFileName, d.Source.CapacityBytes ?? 0L)).ToList(), parallelCopy);
        var options = new LocalConversionOptions
        {
            Disk = new DiskConvertOptions { Compress = compress, Fsync = fsync, Format = format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2 },
            Vmdk = vmdk,
            Disks = remoteVm?.Disks ?? (IDiskOpener)LocalDiskOpener.Instance,
            Templates = request.TemplatesDirectory is null ? TemplateSet.Embedded : new TemplateSet(request.TemplatesDirectory),
            Guest = new GuestStageOptions { Skip = noGuestFixups, DeviceNaming = naming },
            CompatibilityPlan = () => ConversionPlanner.Plan(vm, request with { Options = request.Options with { CompatibilityMode = true } }, context.Diagnostics),
        };
        var result = LocalConversion.Run(plan, options, context.Diagnostics, (i, p) => progress.Report(i, p.Done, p.Total), context.Cancellation);
        foreach (var d in result.Disks)
        {
            context.Error.WriteLine($"v2v: wrote {d.OutputPath} ({d.OutputFileSize} bytes)");
        }

        if (result.Guest is { } g)
        {
            context.Error.WriteLine(g.CompatibilityMode
                ? $"v2v: guest: compatibility copy ({g.CompatibilityReason})"
                : $"v2v: guest: {g.Fixups.Count} fixup(s) applied; see {result.ReportPath}");
        }

        context.Error.WriteLine($"v2v: wrote {result.ReportPath}");
        context.Error.WriteLine($"v2v: wrote {result.XmlPath}");
        return ExitCodes.Success;
    }
}
