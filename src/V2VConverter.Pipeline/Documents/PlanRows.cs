using V2VConverter.Mapping.Plan;

namespace V2VConverter.Pipeline.Documents;

/// <summary>
/// One row of the before/after table: a source device beside its planned target and the rule that chose it.
/// The same record (and keys) in <c>inspect</c>'s table and JSON and in the conversion report.
/// </summary>
public sealed record DeviceRow(string Device, string Source, string Target, string? Rule);

/// <summary>One decision of the planner: <c>subject: from -> to (rule ...)</c>, in <c>inspect --json</c> and the report.</summary>
public sealed record DecisionRow(string Subject, string From, string To, string Rule)
{
    public static DecisionRow Of(Decision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return new DecisionRow(decision.Subject, decision.From, decision.To, decision.Rule);
    }

    public static IReadOnlyList<DecisionRow> Of(ConversionPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Decisions.Select(Of).ToList();
    }
}
