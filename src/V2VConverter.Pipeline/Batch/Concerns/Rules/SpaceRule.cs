namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>space</c>: per storage (a folder for -o local, a pool for -o libvirt), the output bytes of every VM of the plan
/// that writes there, against the free bytes the target reported for it. A blocker on each of those VMs when the sum
/// does not fit; a warning when it fits with less than <see cref="MarginShare"/> of the free space to spare. A VM whose
/// disks go to several storages is split across them in proportion to its disks' sizes. Storages whose free space is
/// unknown raise nothing.
/// </summary>
public sealed class SpaceRule : IPlanConcernRule
{
    /// <summary>Less than this share of the free space left after the plan is a warning.</summary>
    public const double MarginShare = 0.10;

    public IEnumerable<(int Vm, BatchConcern Concern)> Check(IReadOnlyList<(BatchVmFacts Facts, BatchVmChoices Choices)> vms, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vms);
        ArgumentNullException.ThrowIfNull(target);
        var comparer = StorageComparer(target.OutputMode);
        var use = new Dictionary<string, List<(int Vm, long Bytes)>>(comparer);
        for (var i = 0; i < vms.Count; i++)
        {
            foreach (var (storage, bytes) in Split(vms[i].Facts, vms[i].Choices, target.Storage))
            {
                if (!use.TryGetValue(storage, out var list))
                {
                    use[storage] = list = [];
                }

                list.Add((i, bytes));
            }
        }

        foreach (var (storage, users) in use)
        {
            if (FreeBytes(storage, target, comparer) is not { } free)
            {
                continue;
            }

            var need = users.Sum(u => u.Bytes);
            var count = ConcernText.Plural(users.Count, "VM", "VMs");
            foreach (var (vm, bytes) in users)
            {
                if (need > free)
                {
                    yield return (vm, new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.Space,
                        $"storage '{storage}' has {ConcernText.Size(free)} free, but the plan writes {ConcernText.Size(need)} there ({count}; {ConcernText.Size(need - free)} too much; this VM {ConcernText.Size(bytes)})",
                        "free space there, move some VMs to another storage in the plan, or skip some of them"));
                }
                else if (free - need < free * MarginShare)
                {
                    yield return (vm, new BatchConcern(ConcernSeverity.Warning, ConcernCodes.Space,
                        $"storage '{storage}' fits what the plan writes there ({ConcernText.Size(need)} of {ConcernText.Size(free)} free; {count}; this VM {ConcernText.Size(bytes)}), with less than {(int)(MarginShare * 100)}% to spare",
                        "free some space there, or move a VM to another storage in the plan"));
                }
            }
        }
    }

    /// <summary>Folders compare as full paths without a trailing separator; pools by their exact name.</summary>
    internal static StringComparer StorageComparer(string outputMode) =>
        outputMode == BatchTargetProbe.Local ? FolderComparer.Instance : StringComparer.Ordinal;

    /// <summary>The VM's output bytes per storage: every disk's share, in proportion to its size, to its storage.</summary>
    internal static IEnumerable<(string Storage, long Bytes)> Split(BatchVmFacts vm, BatchVmChoices choices, string? defaultStorage)
    {
        var count = Math.Max(vm.Disks.Count, choices.DiskStorage.Count);
        if (count == 0)
        {
            return defaultStorage is null ? [] : [(defaultStorage, choices.OutputBytes)];
        }

        var weights = Enumerable.Range(0, count)
            .Select(j => j < vm.Disks.Count ? Math.Max(0, vm.Disks[j].AllocatedBytes ?? vm.Disks[j].CapacityBytes ?? 0) : 0)
            .ToArray();
        var total = weights.Sum(w => (decimal)w);
        var shares = new Dictionary<string, decimal>(StringComparer.Ordinal);
        for (var j = 0; j < count; j++)
        {
            var storage = j < choices.DiskStorage.Count ? choices.DiskStorage[j] : defaultStorage;
            if (storage is not null)
            {
                var share = total > 0 ? weights[j] / total : 1m / count;
                shares[storage] = shares.GetValueOrDefault(storage) + (share * choices.OutputBytes);
            }
        }

        return shares.Select(s => (s.Key, (long)Math.Round(s.Value)));
    }

    private static long? FreeBytes(string storage, BatchTargetFacts target, StringComparer comparer)
    {
        if (target.FreeBytesByStorage is { } byStorage)
        {
            foreach (var (name, free) in byStorage)
            {
                if (comparer.Equals(name, storage))
                {
                    return free;
                }
            }
        }

        return target.Storage is not null && comparer.Equals(target.Storage, storage) ? target.FreeBytes : null;
    }

    private sealed class FolderComparer : StringComparer
    {
        internal static readonly FolderComparer Instance = new();

        public override int Compare(string? x, string? y) => string.CompareOrdinal(Normalize(x), Normalize(y));

        public override bool Equals(string? x, string? y) => string.Equals(Normalize(x), Normalize(y), StringComparison.Ordinal);

        public override int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(Normalize(obj)!);

        private static string? Normalize(string? path) =>
            path is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
    }
}
