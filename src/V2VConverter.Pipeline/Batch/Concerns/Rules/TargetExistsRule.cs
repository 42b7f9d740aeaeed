namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>target-exists</c>: a domain of the target name is already defined on the target (a blocker).</summary>
public sealed class TargetExistsRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Domains is { } domains && domains.Contains(choices.Target))
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.TargetExists,
                $"a domain named '{choices.Target}' is already defined on the target",
                $"rename the target in the plan, or remove the old domain (virsh undefine '{choices.Target}')");
        }
    }
}
