using V2VConverter.Pipeline.Batch.Plan;

namespace V2VConverter.Pipeline.Documents;

/// <summary>
/// <c>v2v plan --json</c> and <c>v2v plan --check PLAN --json</c>: the plan's VMs with their choices and concerns as
/// data, and (for a check) whether the file is valid and every error with its line.
/// </summary>
public sealed record BatchPlanReportDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The plan file checked, or null for a new plan.</summary>
    public string? Plan { get; init; }

    public bool Valid { get; init; } = true;

    public IReadOnlyList<BatchPlanErrorItem> Errors { get; init; } = [];

    public IReadOnlyList<BatchPlanVmItem> Vms { get; init; } = [];

    /// <summary>The document of a plan, with <paramref name="concerns"/> (per VM) instead of the file's when given.</summary>
    public static BatchPlanReportDocument Create(BatchPlanDocument plan, string? path, IReadOnlyList<IReadOnlyList<PlanConcern>>? concerns = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new BatchPlanReportDocument
        {
            Plan = path,
            Vms = plan.Vms.Select((v, i) => new BatchPlanVmItem(
                v.Id,
                v.Name,
                v.Target,
                v.Host,
                v.PowerState,
                v.Skip,
                v.Nics.Select(n => new BatchPlanNicItem(n.Index, n.Network, n.Mac, n.Target, n.Rule)).ToList(),
                v.Disks.Select(d => new BatchPlanDiskItem(d.Key, d.File, d.CapacityBytes, d.DataBytes, d.Storage, d.Rule)).ToList(),
                (concerns?[i] ?? v.Concerns).Select(c => new BatchPlanConcernItem(c.Severity, c.Code, c.Message, c.Fix)).ToList())).ToList(),
        };
    }

    /// <summary>The document of a plan file that does not validate.</summary>
    public static BatchPlanReportDocument Invalid(string path, IReadOnlyList<PlanError> errors) => new()
    {
        Plan = path,
        Valid = false,
        Errors = errors.Select(e => new BatchPlanErrorItem(e.Line, e.Message)).ToList(),
    };
}

public sealed record BatchPlanErrorItem(int Line, string Message);

public sealed record BatchPlanVmItem(string Id, string Name, string Target, string Host, string? PowerState, bool Skip, IReadOnlyList<BatchPlanNicItem> Nics, IReadOnlyList<BatchPlanDiskItem> Disks, IReadOnlyList<BatchPlanConcernItem> Concerns);

public sealed record BatchPlanNicItem(int Index, string? Network, string? Mac, string Target, string? Rule);

public sealed record BatchPlanDiskItem(string Key, string File, long? CapacityBytes, long? DataBytes, string Storage, string? Rule);

public sealed record BatchPlanConcernItem(string Severity, string Code, string Message, string? Fix);
