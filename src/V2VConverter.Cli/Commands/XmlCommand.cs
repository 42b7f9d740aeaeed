using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v xml</c>, as parsed.</summary>
internal sealed record XmlCliOptions(SourceSpec Source, string? Output, PlanCliOptions Plan);

/// <summary>
/// <c>v2v xml X.vmx [-o FILE]</c>: the libvirt KVM domain XML for review (a dry run). <c>-o libvirt -os POOL</c> (or
/// <c>-o local</c>) plans for that output instead of naming a file: the disks become the volumes that would be created.
/// A file really named libvirt or local is written with <c>-o ./libvirt</c>.
/// </summary>
internal static class XmlCommand
{
    public static Command Create(CliContext context)
    {
        var source = CommandTable.SourceArgument();
        var output = CliOptions.Value("-o", "FILE|libvirt|local", "write the XML to FILE instead of stdout; -o libvirt -os POOL (or -o local) plans for that output, to stdout", "--output");
        var plan = new PlanOptionSet();
        var remote = new VSphereOptionSet(withVm: true);
        var command = new Command("xml", "Write the libvirt KVM domain XML for the VM to stdout or FILE, without copying any disk.") { source, output };
        remote.AddTo(command);
        plan.AddTo(command);
        command.SetAction(r => Run(context, new XmlCliOptions(remote.BindSource(r, context, r.GetRequiredValue(source)), r.GetValue(output), plan.Bind(r))));
        return command;
    }

    public static int Run(CliContext context, XmlCliOptions options)
    {
        var output = options.Output;
        var mode = "local";
        if (output is "libvirt" or "local")
        {
            (mode, output) = (output, null);
        }

        var source = options.Source;
        context.StartLog(RunLogFile.InDirectory(context, source, options.Plan.LogDir));
        using var planned = new ConversionJob(context.JobContext()).Plan(PlanArgs.DryRun(source, options.Plan, mode, context));
        var xml = planned.DomainXml();
        if (output is null)
        {
            context.Out.Write(xml);
        }
        else
        {
            AtomicOutputFile.WriteAllText(context.ResolvePath(output), xml, replace: true); // -o FILE replaces FILE (the entry itself, never through a link)
            context.Error.WriteLine($"v2v: wrote {output}");
        }

        return ExitCodes.Success;
    }
}
