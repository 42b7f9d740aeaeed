namespace V2VConverter.Pipeline.Batch.Concerns.Rules;

/// <summary>
/// <c>powered-on</c>: a running (or suspended) source VM, or a local .vmx whose VM seems to run. A blocker, unless the
/// run shuts it down (<c>--shutdown-source</c>: info) or copies it running (<c>--allow-running</c>: a warning, the copy
/// is not consistent).
/// </summary>
public sealed class PoweredOnRule : IConcernRule
{
    public IEnumerable<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices choices, BatchTargetFacts target)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(choices);
        var state = State(vm);
        if (state is null)
        {
            yield break;
        }

        if (choices.ShutdownSource)
        {
            yield return new BatchConcern(ConcernSeverity.Info, ConcernCodes.PoweredOn,
                $"VM '{vm.Name}' is {state}: it will be shut down before the copy (--shutdown-source)",
                "nothing to do; it is not powered back on afterwards");
        }
        else if (choices.AllowRunning)
        {
            yield return new BatchConcern(ConcernSeverity.Warning, ConcernCodes.PoweredOn,
                $"VM '{vm.Name}' is {state} and is copied running (--allow-running): the copy is not consistent",
                "shut it down, or run with --shutdown-source, for a consistent copy");
        }
        else
        {
            yield return new BatchConcern(ConcernSeverity.Blocker, ConcernCodes.PoweredOn,
                $"VM '{vm.Name}' is {state}: its disks change while they are copied",
                "shut it down, or run with --shutdown-source");
        }
    }

    private static string? State(BatchVmFacts vm)
    {
        if (string.Equals(vm.PowerState, "poweredOn", StringComparison.OrdinalIgnoreCase))
        {
            return "powered on";
        }

        if (string.Equals(vm.PowerState, "suspended", StringComparison.OrdinalIgnoreCase))
        {
            return "suspended";
        }

        return vm.LockedByHypervisor ? "running (a .vmx.lck or .vmem beside its .vmx)" : null;
    }
}
