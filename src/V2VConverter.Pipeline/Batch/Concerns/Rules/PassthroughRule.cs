namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>passthrough</c>: a PCI passthrough device or vGPU is not carried to the target (a warning per device).</summary>
public sealed class PassthroughRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        foreach (var device in vm.Passthrough)
        {
            yield return new BatchConcern(ConcernSeverity.Warning, ConcernCodes.Passthrough,
                $"passthrough device {device} is dropped: the device is not carried",
                "attach an equivalent host device (<hostdev>) to the new domain after the conversion");
        }
    }
}
