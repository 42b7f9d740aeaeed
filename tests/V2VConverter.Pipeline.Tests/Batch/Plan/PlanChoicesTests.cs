using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Batch.Plan;

/// <summary>A batch plan's per-VM choices reach the planner over every rule: the target name, a NIC's target, a disk's folder.</summary>
public sealed class PlanChoicesTests
{
    [Fact]
    public void The_plans_choices_win_over_the_rules_and_say_so()
    {
        var vmx = Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmx");
        var vm = VmxSource.Load(vmx, LogExtensions.None);
        var rules = MappingConfiguration.Load(new MappingSources { Environment = new Dictionary<string, string?>() }, out var files);
        var baseline = ConversionPlanner.Plan(vm, rules, files, new PlanOptions { OutputDirectory = "/srv/out" }, LogExtensions.None);
        var nic = baseline.Nics[0].Source.Index;
        var disk = baseline.Disks[0].Source.Key;
        var plan = ConversionPlanner.Plan(vm, rules, files, new PlanOptions
        {
            OutputDirectory = "/srv/out",
            TargetName = "renamed",
            NicTargets = new Dictionary<int, string> { [nic] = "bridge:br-edit" },
            DiskStorage = new Dictionary<string, string> { [disk] = "/srv/other" },
        }, LogExtensions.None);

        Assert.Equal("renamed", plan.Name);
        Assert.Equal("renamed-sda.qcow2", plan.Disks[0].OutputFileName);
        Assert.Equal("/srv/other", plan.Disks[0].StorageTarget);
        Assert.Equal((NetworkTargetKind.Bridge, "br-edit"), (plan.Nics[0].TargetKind, plan.Nics[0].TargetName));
        Assert.Contains(plan.Decisions, d => d.Subject == "name" && d.To == "renamed" && d.Rule == "batch plan");
        Assert.Contains(plan.Decisions, d => d.Subject == $"ethernet{nic} network" && d.Rule == "batch plan");
        Assert.Contains(plan.Decisions, d => d.Subject == $"{disk} storage" && d.Rule == "batch plan");

        // Other disks and NICs keep the rules' choices.
        Assert.Equal(baseline.Nics.Skip(1).Select(n => n.TargetName), plan.Nics.Skip(1).Select(n => n.TargetName));
    }
}
