namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>snapshots</c>: the copy reads each disk through its snapshot chain and writes the flattened current state; the
/// snapshot tree itself is not carried. Info, or a warning when the deltas reach <see cref="WarningShare"/> of the
/// disks' capacity (a long chain makes the copy read much more than the disks hold).
/// </summary>
public sealed class SnapshotsRule : IConcernRule
{
    /// <summary>Deltas at least this share of the disks' total capacity make the concern a warning.</summary>
    public const double WarningShare = 0.25;

    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.SnapshotCount <= 0)
        {
            yield break;
        }

        var withDeltas = vm.Disks.Where(d => d.SnapshotBytes > 0).ToList();
        var deltas = withDeltas.Sum(d => d.SnapshotBytes);
        var capacity = vm.Disks.Sum(d => d.CapacityBytes ?? 0);
        var perDisk = withDeltas.Count == 0 ? "" : " (" + string.Join(", ", withDeltas.Select(d => $"{d.Key} {ConcernText.Size(d.SnapshotBytes)}")) + ")";
        var heavy = capacity > 0 && deltas >= capacity * WarningShare;
        yield return new BatchConcern(heavy ? ConcernSeverity.Warning : ConcernSeverity.Info, ConcernCodes.Snapshots,
            $"{ConcernText.Plural(vm.SnapshotCount, "snapshot is", "snapshots are")} flattened into the copy: {ConcernText.Size(deltas)} of deltas read{perDisk}; the snapshot tree is not carried",
            "delete or consolidate the snapshots in vSphere first to copy less, or accept the flattening");
    }
}
