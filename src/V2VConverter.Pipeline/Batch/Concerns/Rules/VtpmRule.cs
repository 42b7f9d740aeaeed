using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>vtpm</c>: the target emulates a new, empty TPM, so secrets sealed to the old one do not move. A warning for
/// Windows (BitLocker asks for its recovery key), info for other guests.
/// </summary>
public sealed class VtpmRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (!vm.Vtpm)
        {
            yield break;
        }

        var windows = vm.Guest.Family == GuestFamily.Windows;
        yield return new BatchConcern(windows ? ConcernSeverity.Warning : ConcernSeverity.Info, ConcernCodes.Vtpm,
            "the VM has a virtual TPM: a new TPM is emulated on the target, and secrets sealed to the old one (BitLocker keys) do not move",
            windows ? "suspend BitLocker first (manage-bde -protectors -disable C:), or have the recovery key at hand"
                    : "unseal or re-enrol TPM-bound secrets (LUKS with a TPM token) after the conversion");
    }
}
