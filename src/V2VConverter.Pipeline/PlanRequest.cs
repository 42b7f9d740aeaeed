using Serilog;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Catalog;
using V2VConverter.Model.IO;
using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline;

/// <summary>Everything a dry run needs: where the rules come from and the per-run options.</summary>
public sealed record PlanRequest
{
    public MappingSources Mapping { get; init; } = new();

    public PlanOptions Options { get; init; } = new();

    /// <summary>A directory of templates overriding the built-in ones.</summary>
    public string? TemplatesDirectory { get; init; }
}

/// <summary>Loads rules and plans a conversion; shared by inspect, xml and convert.</summary>
public static class ConversionPlanner
{
    /// <summary>Plans <paramref name="vm"/>, whose guest OS was already looked up in the run's catalog by its source.</summary>
    public static ConversionPlan Plan(VirtualMachine vm, PlanRequest request, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = MappingConfiguration.Load(request.Mapping, out var files);
        return new Planner(config, log, files).Plan(vm, request.Options);
    }

    /// <summary>Plans <paramref name="vm"/> with rules already loaded (a batch plans many VMs with one load).</summary>
    public static ConversionPlan Plan(VirtualMachine vm, Microsoft.Extensions.Configuration.IConfiguration rules, IReadOnlyList<string> ruleFiles, PlanOptions options, ILogger log) =>
        new Planner(rules, log, ruleFiles).Plan(vm, options);

    /// <summary>
    /// The guest OS catalog of a run, loaded once: <c>--mappings-dir</c>'s guest-os.json when it has one,
    /// else the built-in copy. The source looks the guest up in it; the planner does not look it up again.
    /// </summary>
    public static GuestOsCatalog LoadCatalog(MappingSources mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var file = mapping.MappingsDirectory is { } dir && File.Exists(Path.Combine(dir, "guest-os.json"))
            ? Path.Combine(dir, "guest-os.json")
            : null;
        return file is null ? GuestOsCatalog.Default : GuestOsCatalog.Parse(InputFile.ReadAllText(file, MappingConfiguration.MaxFileBytes), file);
    }
}
