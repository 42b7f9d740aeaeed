using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Vmx;

namespace V2VConverter.Pipeline;

/// <summary>Opens a source given on the command line: a .vmx path (or, later, an esx:// / vpx:// URI).</summary>
public static class VmLoader
{
    public static bool IsRemote(string spec) =>
        spec.StartsWith("esx://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("vpx://", StringComparison.OrdinalIgnoreCase);

    public static VirtualMachine LoadLocal(string vmxPath, DiagnosticBag diagnostics) => VmxSource.Load(vmxPath, diagnostics);
}
