using V2VConverter.Guest.Inspection;
using V2VConverter.Mapping.Plan;

namespace V2VConverter.Pipeline.Documents;

/// <summary><c>v2v inspect --json</c>: the plan as rows and decisions, the rule files, the warnings, and the guest when <c>--guest</c>.</summary>
public sealed record InspectDocument : IVersionedDocument
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string Name { get; init; }

    /// <summary>Where the VM came from: the .vmx path or the vSphere URI and VM.</summary>
    public required string? Source { get; init; }

    public required IReadOnlyList<DeviceRow> Devices { get; init; }

    public required IReadOnlyList<DecisionRow> Decisions { get; init; }

    public required IReadOnlyList<string> RuleFiles { get; init; }

    /// <summary>What <c>--guest</c> found; null without <c>--guest</c> or when no operating system was found.</summary>
    public GuestInspectionSection? Guest { get; init; }

    /// <summary>Each warning as <c>warning: FILE:LINE: text</c>.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public static InspectDocument Create(ConversionPlan plan, GuestInspection? guest, IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new InspectDocument
        {
            Name = plan.Name,
            Source = plan.Source.Origin,
            Devices = PlanReport.Rows(plan),
            Decisions = DecisionRow.Of(plan),
            RuleFiles = plan.RuleFiles,
            Guest = guest is null ? null : GuestInspectionSection.Of(guest),
            Warnings = warnings,
        };
    }
}
