namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>cbt</c>: changed block tracking is on (info, for a later warm migration).</summary>
public sealed class CbtRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.ChangeTracking)
        {
            yield return new BatchConcern(ConcernSeverity.Info, ConcernCodes.Cbt,
                "changed block tracking is on (ctkEnabled): noted for a later warm migration",
                "nothing to do; this run copies the whole disks");
        }
    }
}
