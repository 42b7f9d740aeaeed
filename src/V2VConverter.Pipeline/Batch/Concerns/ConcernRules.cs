using V2VConverter.Pipeline.Batch.Concerns.Rules;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>
/// The pre-flight checks of a batch plan: every per-VM rule and every whole-plan rule, and <see cref="Evaluate"/>, which
/// runs them all. The rules are pure functions of the facts; a new check is one small class added to a list here.
/// </summary>
public static class ConcernRules
{
    /// <summary>The per-VM rules, in the order their concerns are listed within one severity.</summary>
    public static IReadOnlyList<IConcernRule> Vm { get; } =
    [
        new PoweredOnRule(),
        new EncryptedRule(),
        new RdmDiskRule(),
        new SharedBusRule(),
        new InvalidNameRule(),
        new TargetExistsRule(),
        new NetworkMissingRule(),
        new PoolMissingRule(),
        new UefiNoOvmfRule(),
        new IndependentDiskRule(),
        new PassthroughRule(),
        new VtpmRule(),
        new GuestOsRule(),
        new SnapshotsRule(),
        new CbtRule(),
    ];

    /// <summary>The rules that look at the whole plan.</summary>
    public static IReadOnlyList<IPlanConcernRule> Plan { get; } =
    [
        new DuplicateTargetRule(),
        new SpaceRule(),
    ];

    /// <summary>
    /// Runs every rule: one list per VM, in the order of <paramref name="vms"/>, blockers first, then accepted blockers,
    /// warnings and infos (rule order within a severity).
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<BatchConcern>> Evaluate(IReadOnlyList<(BatchVmFacts Facts, BatchVmChoices Choices)> vms, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vms);
        ArgumentNullException.ThrowIfNull(target);
        var found = new List<BatchConcern>[vms.Count];
        for (var i = 0; i < vms.Count; i++)
        {
            var (facts, choices) = vms[i];
            ArgumentNullException.ThrowIfNull(facts, $"{nameof(vms)}[{i}].Facts");
            ArgumentNullException.ThrowIfNull(choices, $"{nameof(vms)}[{i}].Choices");
            found[i] = [.. Vm.SelectMany(rule => rule.Check(facts, choices, target))];
        }

        foreach (var (vm, concern) in Plan.SelectMany(rule => rule.Check(vms, target)))
        {
            found[vm].Add(concern);
        }

        return [.. found.Select(list => (IReadOnlyList<BatchConcern>)[.. list.OrderBy(c => Rank(c.Severity))])];
    }

    /// <summary>The order concerns are listed in: blockers first.</summary>
    public static int Rank(ConcernSeverity severity) => severity switch
    {
        ConcernSeverity.Blocker => 0,
        ConcernSeverity.Accepted => 1,
        ConcernSeverity.Warning => 2,
        _ => 3,
    };
}
