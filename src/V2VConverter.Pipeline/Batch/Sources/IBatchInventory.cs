using V2VConverter.Mapping.Rules;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Batch.Sources;

/// <summary>
/// One VM a batch source found: its model (for the planner), its facts (for the concerns) and how a run finds it again.
/// <see cref="Vm"/> is null when the VM could not be read; <see cref="Problem"/> then says why (the plan lists it as a blocker).
/// </summary>
public sealed record BatchCandidate(VirtualMachine? Vm, BatchVmFacts Facts, string Source, string? Ref, string? Problem = null);

/// <summary>What a batch plan lists: the source, its credentials, and the VM name globs.</summary>
public sealed record BatchListRequest
{
    /// <summary>The source as given: a URI, or a folder. Credentials and timeouts as for <c>convert</c>.</summary>
    public required SourceSpec Source { get; init; }

    /// <summary>--vm GLOB (repeatable): only VMs whose name matches one (all when empty).</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>--exclude GLOB (repeatable).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>True when <paramref name="name"/> passes --vm and --exclude (globs: '*', '?', case-insensitive).</summary>
    public bool Wants(string name) =>
        (Include.Count == 0 || Include.Any(g => RuleSet.Glob(g, name))) && !Exclude.Any(g => RuleSet.Glob(g, name));
}

/// <summary>A kind of inventory a batch plan reads (a folder of .vmx files, an ESXi host or vCenter). A new one is one class.</summary>
public interface IBatchInventory
{
    /// <summary>The plan's <c>source.kind</c>: "folder", "vsphere".</summary>
    string Kind { get; }

    /// <summary>True when this kind reads <paramref name="location"/> (no I/O beyond a stat).</summary>
    bool Accepts(string location);

    /// <summary>Every wanted VM, in a stable order (by name, then source).</summary>
    IReadOnlyList<BatchCandidate> List(BatchListRequest request, SourceContext context);
}
