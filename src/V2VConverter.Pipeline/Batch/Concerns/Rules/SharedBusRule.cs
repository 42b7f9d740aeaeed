namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>shared-bus</c>: a disk on a controller with SCSI bus sharing, a clustered disk (a blocker).</summary>
public sealed class SharedBusRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        foreach (var disk in vm.Disks)
        {
            if (disk.SharedBus is { Length: > 0 } sharing && !sharing.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.SharedBus,
                    $"{ConcernText.Disk(disk)} is on a controller with {sharing} bus sharing: a clustered disk other VMs write too",
                    "detach the shared disk, or convert the cluster node alone without it");
            }
        }
    }
}
