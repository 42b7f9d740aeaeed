namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>pool-missing</c> (-o libvirt): a disk goes to a storage pool the target does not have (a blocker; nothing is said
/// when the pools are unknown).
/// </summary>
public sealed class PoolMissingRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(target);
        if (target.OutputMode != BatchTargetProbe.Libvirt || target.Pools is not { } pools)
        {
            yield break;
        }

        for (var i = 0; i < choices.DiskStorage.Count; i++)
        {
            var pool = choices.DiskStorage[i];
            if (!pools.Contains(pool))
            {
                var disk = i < vm.Disks.Count ? ConcernText.Disk(vm.Disks[i]) : $"disk {i}";
                yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.PoolMissing,
                    $"{disk} goes to storage pool '{pool}', which the target does not have (it has {ConcernText.List(pools)})",
                    $"define pool '{pool}' on the target (virsh pool-define-as, pool-start), or choose one it has in the plan");
            }
        }
    }
}
