namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>network-missing</c>: a NIC mapped to "network:X" that the target does not define, or to "bridge:X" that the
/// target host does not have (a blocker; nothing is said when the target's networks or bridges are unknown).
/// </summary>
public sealed class NetworkMissingRule : IConcernRule
{
    public const string NetworkPrefix = "network:";
    public const string BridgePrefix = "bridge:";

    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(target);
        for (var i = 0; i < choices.NicTargets.Count; i++)
        {
            var choice = choices.NicTargets[i];
            var nic = i < vm.Nics.Count ? ConcernText.Nic(vm.Nics[i]) : $"NIC {i}";
            if (choice.StartsWith(NetworkPrefix, StringComparison.Ordinal) && target.Networks is { } networks)
            {
                var name = choice[NetworkPrefix.Length..];
                if (!networks.Contains(name))
                {
                    yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.NetworkMissing,
                        $"{nic} goes to libvirt network '{name}', which the target does not define (it has {ConcernText.List(networks)})",
                        $"define network '{name}' on the target (virsh net-define), or map the NIC to one it has");
                }
            }
            else if (choice.StartsWith(BridgePrefix, StringComparison.Ordinal) && target.Bridges is { } bridges)
            {
                var name = choice[BridgePrefix.Length..];
                if (!bridges.Contains(name))
                {
                    yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.NetworkMissing,
                        $"{nic} goes to bridge '{name}', which the target host does not have (it has {ConcernText.List(bridges)})",
                        $"create bridge '{name}' on the target host, or map the NIC to one it has");
                }
            }
        }
    }
}
