using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>Warnings go to stderr as they happen; info lines (decisions) only with -v.</summary>
public static class DiagnosticsPrinter
{
    public static void Attach(CliContext context) =>
        context.Diagnostics.Added += d =>
        {
            if (d.Severity == Severity.Warning)
            {
                context.Error.WriteLine($"v2v: {d}");
            }
            else if (context.Verbose)
            {
                context.Error.WriteLine($"v2v: {d}");
            }
        };
}
