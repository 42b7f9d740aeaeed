using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>guest-os</c>: a guest the converter cannot convert (not Linux or Windows, unknown, or a legacy Windows such as
/// XP or 2003 that has no virtio drivers): it is copied and given compatibility devices, a warning.
/// </summary>
public sealed class GuestOsRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var guest = vm.Guest;
        var why = guest.Family switch
        {
            GuestFamily.Linux => null,
            GuestFamily.Windows when guest.Legacy => "a legacy Windows without virtio drivers",
            GuestFamily.Windows => null,
            GuestFamily.Unknown => "a guest OS the catalog does not know",
            _ => $"a {guest.Family} guest, which the converter does not convert",
        };
        if (why is not null)
        {
            yield return new BatchConcern(ConcernSeverity.Warning, ConcernCodes.GuestOs,
                $"guest OS {guest.Description} (guestOS \"{guest.VmxId}\") is {why}: compatibility mode: SATA disks, e1000 NICs, no changes inside the guest",
                "nothing to do for a plain copy; install virtio drivers in the guest afterwards for speed");
        }
    }
}
