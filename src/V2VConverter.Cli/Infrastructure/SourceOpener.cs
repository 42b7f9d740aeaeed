using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>Opens the source named on the command line: a local .vmx, or an esx:// / vpx:// URI with --vm.</summary>
public static class SourceOpener
{
    public static VirtualMachine Open(string source, CliContext context)
    {
        if (VmLoader.IsRemote(source))
        {
            throw new NotSupportedException($"{source}: vSphere sources are not available in this build yet");
        }

        if (!source.EndsWith(".vmx", StringComparison.OrdinalIgnoreCase) && !File.Exists(context.ResolvePath(source)) && !Directory.Exists(context.ResolvePath(source)))
        {
            throw new FileNotFoundException($"{source}: no such file", source);
        }

        return VmLoader.LoadLocal(context.ResolvePath(source), context.Diagnostics);
    }
}
