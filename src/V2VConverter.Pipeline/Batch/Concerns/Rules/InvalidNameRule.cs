namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>invalid-name</c>: a target name libvirt refuses, or that the qemu driver cannot store (a blocker), or that it
/// accepts but shells and virsh mishandle (a warning); each with a suggested name. See <see cref="LibvirtDomainName"/>.
/// </summary>
public sealed class InvalidNameRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(choices);
        if (LibvirtDomainName.Check(choices.Target) is { } problem)
        {
            var suggestion = LibvirtDomainName.Suggest(choices.Target, vm.Name);
            yield return new BatchConcern(problem.Refused ? ConcernSeverity.Blocker : ConcernSeverity.Warning, ConcernCodes.InvalidName,
                $"target name '{LibvirtDomainName.Printable(choices.Target)}' {problem.Reason}",
                $"rename the target in the plan, e.g. to '{suggestion}'");
        }
    }
}
