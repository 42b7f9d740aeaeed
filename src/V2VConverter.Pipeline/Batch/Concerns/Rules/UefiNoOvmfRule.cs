using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>uefi-no-ovmf</c>: a UEFI guest needs OVMF on the target, a Secure Boot guest its Secure Boot build (blockers;
/// nothing is said when the target's firmware is unknown).
/// </summary>
public sealed class UefiNoOvmfRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(target);
        if (vm.Firmware != Firmware.Efi)
        {
            yield break;
        }

        if (target.Ovmf == false)
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.UefiNoOvmf,
                $"VM '{vm.Name}' boots with UEFI, but OVMF (the UEFI firmware) is not installed on the target",
                "apt-get install ovmf");
        }
        else if (vm.SecureBoot && target.OvmfSecureBoot == false)
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.UefiNoOvmf,
                $"VM '{vm.Name}' boots with UEFI Secure Boot, but the Secure Boot build of OVMF is not installed on the target",
                "apt-get install ovmf (a version with OVMF_CODE_4M.ms.fd), or turn Secure Boot off in the VM");
        }
    }
}
