using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;

namespace V2VConverter.Pipeline.Batch.Plan;

/// <summary>
/// The concerns of an edited plan. Those that depend on the plan's choices or the run's options (names, networks,
/// pools, space, firmware on the target, a running source) are evaluated again from the file as it is now; those
/// that only the source could tell (snapshots, RDM, passthrough...) are kept as the planner wrote them, with the
/// severity the user gave them. A fresh concern keeps "accepted" when the file accepted the same code.
/// </summary>
public static class PlanConcerns
{
    /// <summary>The codes evaluated again at <c>plan --check</c> and <c>run</c>.</summary>
    public static readonly IReadOnlySet<string> Recomputed = new HashSet<string>(StringComparer.Ordinal)
    {
        "duplicate-target", "target-exists", "network-missing", "pool-missing", "space", "invalid-name", "uefi-no-ovmf", "powered-on",
    };

    /// <summary>Probes the plan's target (<see cref="BatchTargetProbe"/>) and returns <see cref="Effective"/> for it: what <c>plan --check</c> and <c>run</c> ask.</summary>
    public static IReadOnlyList<IReadOnlyList<PlanConcern>> Now(BatchPlanDocument plan, bool shutdownSource, bool allowRunning, Serilog.ILogger log)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var target = BatchTargetProbe.Probe(plan.Output.Mode, plan.Output.Storage, plan.Output.Connection, log);
        return Effective(plan, target, shutdownSource, allowRunning);
    }

    /// <summary>Per VM of the plan (skipped ones get an empty list), the concerns that hold now.</summary>
    public static IReadOnlyList<IReadOnlyList<PlanConcern>> Effective(BatchPlanDocument plan, BatchTargetFacts target, bool shutdownSource, bool allowRunning)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(target);
        var active = plan.Vms.Select((v, i) => (Vm: v, Index: i)).Where(x => !x.Vm.Skip).ToList();
        var fresh = ConcernRules.Evaluate(active.Select(x => (Facts(x.Vm), BatchPlanner.Choices(x.Vm, shutdownSource, allowRunning))).ToList(), target);
        var result = plan.Vms.Select(_ => (IReadOnlyList<PlanConcern>)[]).ToArray();
        for (var k = 0; k < active.Count; k++)
        {
            var vm = active[k].Vm;
            var accepted = vm.Concerns.Where(c => c.Severity == "accepted").Select(c => c.Code).ToHashSet(StringComparer.Ordinal);
            var kept = vm.Concerns.Where(c => !Recomputed.Contains(c.Code));
            var again = fresh[k].Where(c => Recomputed.Contains(c.Code)).Select(BatchPlanner.ToPlan)
                .Select(c => c.Severity == "blocker" && accepted.Contains(c.Code) ? new PlanConcern { Severity = "accepted", Code = c.Code, Message = c.Message, Fix = c.Fix } : c);
            result[active[k].Index] = [.. again.Concat(kept).OrderBy(c => Rank(c.Severity))];
        }

        return result;
    }

    /// <summary>The facts a plan entry still carries (the source-only facts are in its kept concerns).</summary>
    private static BatchVmFacts Facts(PlanVm vm) => new()
    {
        Name = vm.Name,
        Folder = vm.Folder,
        Host = vm.Host,
        PowerState = vm.PowerState is { } p && p.StartsWith("locked", StringComparison.Ordinal) ? null : vm.PowerState,
        LockedByHypervisor = vm.PowerState?.StartsWith("locked", StringComparison.Ordinal) == true,
        Firmware = vm.Firmware.StartsWith("efi", StringComparison.Ordinal) ? Firmware.Efi : Firmware.Bios,
        SecureBoot = vm.Firmware.Contains("secureboot", StringComparison.Ordinal),
        Nics = vm.Nics.Select(n => new BatchNicFacts(n.Index, n.Network, n.Mac, n.Model ?? "")).ToList(),
        Guest = GuestOs.Unknown("", GuestArchitecture.X86_64),
    };

    private static int Rank(string severity) => severity switch
    {
        "blocker" => 0,
        "accepted" => 1,
        "warning" => 2,
        _ => 3,
    };
}
