using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>independent-disk</c>: an independent disk is not in snapshots, so it is copied as it is at the moment of the copy
/// (a warning). RDM disks are left to <see cref="RdmDiskRule"/>.
/// </summary>
public sealed class IndependentDiskRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        foreach (var disk in vm.Disks)
        {
            if (disk.RawDevice is null && disk.Mode is DiskMode.IndependentPersistent or DiskMode.IndependentNonpersistent)
            {
                var mode = disk.Mode == DiskMode.IndependentPersistent ? "independent-persistent" : "independent-nonpersistent";
                yield return new BatchConcern(ConcernSeverity.Warning, ConcernCodes.IndependentDisk,
                    $"{ConcernText.Disk(disk)} is {mode}: it is not in snapshots and is copied as it is",
                    "shut the VM down before the copy, so this disk does not change while it is read");
            }
        }
    }
}
