using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Output.Templates;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v convert X.vmx -o local -os DIR [-of qcow2|raw] [-c]</c>: copy every disk, then write DIR/NAME.xml.</summary>
public sealed class ConvertCommand : ICommand
{
    public string Name => "convert";

    public string Usage => $"convert X.vmx -o local -os DIR [-of qcow2|raw] [-c] [--fsync] [--machine-readable] [--ignore-cid] {PlanArgs.Usage}";

    public string Summary => "Convert the VM: copy every disk into DIR and write DIR/<name>.xml pointing at them.";

    public int Run(CliContext context, ArgReader args)
    {
        var output = args.Value("-o", "--output-mode") ?? "local";
        var compress = args.Flag("-c", "--compress");
        var fsync = args.Flag("--fsync");
        var machineReadable = args.Flag("--machine-readable");
        var ignoreCid = args.Flag("--ignore-cid");
        var allowAbsolute = args.Flag("--allow-absolute-extents");
        var request = PlanArgs.Read(args, context);
        var source = args.Positionals(1, 1, "the .vmx file")[0];
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
        var vm = SourceOpener.Open(source, args, context);
        var plan = ConversionPlanner.Plan(vm, request, context.Diagnostics);
        var displays = plan.Disks.Select(d => new ProgressDisplay(context, machineReadable, d.OutputFileName)).ToList();
        var options = new LocalConversionOptions
        {
            Disk = new DiskConvertOptions { Compress = compress, Fsync = fsync, Format = format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2 },
            Vmdk = new VmdkOpenOptions { IgnoreCid = ignoreCid, AllowAbsoluteExtents = allowAbsolute },
            Templates = request.TemplatesDirectory is null ? TemplateSet.Embedded : new TemplateSet(request.TemplatesDirectory),
        };
        var last = -1;
        try
        {
            var result = LocalConversion.Run(plan, options, context.Diagnostics, (i, p) =>
            {
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
