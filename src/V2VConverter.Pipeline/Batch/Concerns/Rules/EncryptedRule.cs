namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary><c>encrypted</c>: vSphere VM encryption; the disks cannot be read without the key server (a blocker).</summary>
public sealed class EncryptedRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.Encrypted)
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.Encrypted,
                $"VM '{vm.Name}' is encrypted (vSphere VM encryption): its disks cannot be read",
                "decrypt the VM in vSphere first");
        }
    }
}
