using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Output.Libvirt;
using V2VConverter.Output.Templates;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v xml X.vmx [-o FILE]</c>: the libvirt KVM domain XML for review (a dry run).</summary>
public sealed class XmlCommand : ICommand
{
    public string Name => "xml";

    public string Usage => $"xml {VSphereRemoteOptions.Usage} {VSphereCommandSupport.OptionsUsage} [-o FILE] {PlanArgs.Usage}";

    public string Summary => "Write the libvirt KVM domain XML for the VM to stdout or FILE, without copying any disk.";

    public int Run(CliContext context, ArgReader args)
    {
        var output = args.Value("-o", "--output");
        var request = PlanArgs.Read(args, context);
        var remote = VSphereCommandSupport.ReadRemoteOptions(context, args);
        var source = args.Positionals(1, 1, "the .vmx file")[0];
        DiagnosticsPrinter.Attach(context);
        var vm = remote.IsRemote(source) ? remote.Load(source, context) : SourceOpener.Open(source, args, context);
        var plan = ConversionPlanner.Plan(vm, request, context.Diagnostics);
        var templates = request.TemplatesDirectory is null ? TemplateSet.Embedded : new TemplateSet(request.TemplatesDirectory);
        var xml = new DomainXmlBuilder(templates).BuildString(plan);
        if (output is null)
        {
            context.Out.Write(xml);
        }
        else
        {
            AtomicOutputFile.WriteAllText(context.ResolvePath(output), xml);
            context.Error.WriteLine($"v2v: wrote {output}");
        }

        return ExitCodes.Success;
    }
}
