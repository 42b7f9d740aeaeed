namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>rdm-disk</c>: a raw device mapping points at a LUN, not at data on the datastore (a blocker).</summary>
public sealed class RdmDiskRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        foreach (var disk in vm.Disks.Where(d => d.RawDevice is not null))
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.RdmDisk,
                $"{ConcernText.Disk(disk)} is a raw device mapping ({disk.RawDevice})",
                "an RDM cannot be copied from the datastore; convert it to a virtual disk (Storage vMotion) or drop it from the plan");
        }
    }
}
