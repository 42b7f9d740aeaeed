using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v xml X.vmx [-o FILE]</c>: the libvirt KVM domain XML for review (a dry run).</summary>
public sealed class XmlCommand : ICommand
{
    public string Name => "xml";

    public string Usage => $"xml {VSphereCommandSupport.SourceUsage} {VSphereCommandSupport.OptionsUsage} [-o FILE] {PlanArgs.Usage} {RunLogFile.OptionUsage}";

    public string Summary => "Write the libvirt KVM domain XML for the VM to stdout or FILE, without copying any disk.";

    public int Run(CliContext context, ArgReader args)
    {
        var output = args.Value("-o", "--output");
        var request = PlanArgs.Read(args, context);
        var logDir = args.Value("--log-dir");
        var source = VSphereCommandSupport.ReadSourceSpec(context, args);
        context.StartLog(RunLogFile.InDirectory(context, source, logDir));
        using var planned = new ConversionJob(VSphereCommandSupport.JobContext(context)).Plan(new ConversionRequest { Source = source, Plan = request });
        var xml = planned.DomainXml();
        if (output is null)
        {
            context.Out.Write(xml);
        }
        else
        {
            AtomicFile.WriteAllText(context.ResolvePath(output), xml);
            context.Error.WriteLine($"v2v: wrote {output}");
        }

        return ExitCodes.Success;
    }
}
