using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Catalog;
using V2VConverter.Model.Diagnostics;
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
    public static ConversionPlan Plan(VirtualMachine vm, PlanRequest request, DiagnosticBag diagnostics)
    {
        var config = MappingConfiguration.Load(request.Mapping, out var files);
        var guestCatalogFile = request.Mapping.MappingsDirectory is { } dir && File.Exists(Path.Combine(dir, "guest-os.json"))
            ? Path.Combine(dir, "guest-os.json")
            : null;
        if (guestCatalogFile is not null)
        {
            var catalog = GuestOsCatalog.Parse(File.ReadAllText(guestCatalogFile), guestCatalogFile);
            vm = vm with { Guest = catalog.Lookup(vm.Guest.VmxId, out _) };
        }

        return new Planner(config, diagnostics, files).Plan(vm, request.Options);
    }
}
