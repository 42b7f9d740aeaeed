namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>duplicate-target</c>: two VMs of the plan with the same target name, compared case-insensitively (case-only
/// differences collide in file names on some file systems and confuse people): a blocker on each, naming the others.
/// </summary>
public sealed class DuplicateTargetRule : IPlanConcernRule
{
    public IEnumerable<(int Vm, BatchConcern Concern)> Check(IReadOnlyList<(BatchVmFacts Facts, BatchVmChoices Choices)> vms, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vms);
        var groups = Enumerable.Range(0, vms.Count)
            .Where(i => vms[i].Choices.Target.Length > 0)
            .GroupBy(i => vms[i].Choices.Target, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1);
        foreach (var group in groups)
        {
            var members = group.ToList();
            for (var p = 0; p < members.Count; p++)
            {
                var i = members[p];
                var name = vms[i].Choices.Target;
                var others = members.Where(j => j != i).Select(j => Describe(vms[j])).ToList();
                yield return (i, new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.DuplicateTarget,
                    $"target name '{name}' is also the target of {string.Join(", ", others)}",
                    $"give each VM its own target name in the plan (e.g. '{name}-{p + 1}' for this one)"));
            }
        }
    }

    private static string Describe((BatchVmFacts Facts, BatchVmChoices Choices) vm)
    {
        var where = vm.Facts.Folder is { Length: > 0 } f ? $" in {f}" : $" on {vm.Facts.Host}";
        return $"VM '{vm.Facts.Name}'{where} (target '{vm.Choices.Target}')";
    }
}
