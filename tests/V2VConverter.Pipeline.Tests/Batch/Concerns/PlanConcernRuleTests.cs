using V2VConverter.Pipeline.Batch.Concerns;
using static V2VConverter.Pipeline.Tests.Batch.Concerns.ConcernFixtures;

namespace V2VConverter.Pipeline.Tests.Batch.Concerns;

/// <summary>The whole-plan rules (duplicate targets, the space of each storage) and the order of <see cref="ConcernRules.Evaluate"/>.</summary>
public sealed class PlanConcernRuleTests
{
    [Fact]
    public void Duplicate_targets_are_a_blocker_on_each_naming_the_others_case_insensitively()
    {
        var plan = new List<(BatchVmFacts, BatchVmChoices)>
        {
            (Vm("web") with { Folder = "/dc/vm/a" }, Choices("web")),
            (Vm("db"), Choices("db")),
            (Vm("web") with { Folder = "/dc/vm/b" }, Choices("WEB")),
        };
        var result = ConcernRules.Evaluate(plan, Target());

        Assert.Equal(3, result.Count);
        Assert.Empty(result[1]);
        var first = Single(result[0], ConcernCodes.DuplicateTarget);
        var second = Single(result[2], ConcernCodes.DuplicateTarget);
        Assert.Equal(ConcernSeverity.Blocker, first.Severity);
        Assert.Equal("target name 'web' is also the target of VM 'web' in /dc/vm/b (target 'WEB')", first.Message);
        Assert.Equal("target name 'WEB' is also the target of VM 'web' in /dc/vm/a (target 'web')", second.Message);
        Assert.NotEqual(first.Fix, second.Fix); // each gets its own suggested name
    }

    [Fact]
    public void Space_is_summed_per_storage_and_only_the_storage_that_overflows_blocks()
    {
        var target = Target() with
        {
            Pools = new HashSet<string> { "default", "big" },
            FreeBytes = 50 * GiB,
            FreeBytesByStorage = new Dictionary<string, long> { ["default"] = 50 * GiB, ["big"] = 1000 * GiB },
        };
        var plan = new List<(BatchVmFacts, BatchVmChoices)>
        {
            (Vm("a"), Choices("a", 30 * GiB)),
            (Vm("b"), Choices("b", 30 * GiB)),
            (Vm("c"), Choices("c", 30 * GiB, pool: "big")),
        };
        var result = ConcernRules.Evaluate(plan, target);

        foreach (var (i, mine) in new[] { (0, "30 GiB"), (1, "30 GiB") })
        {
            var c = Single(result[i], ConcernCodes.Space);
            Assert.Equal(ConcernSeverity.Blocker, c.Severity);
            Assert.Equal($"storage 'default' has 50 GiB free, but the plan writes 60 GiB there (2 VMs; 10 GiB too much; this VM {mine})", c.Message);
        }

        Assert.Empty(result[2]);
    }

    [Fact]
    public void A_vm_split_over_two_pools_counts_against_each_in_proportion_to_its_disks()
    {
        var vm = Vm() with { Disks = [Disk("scsi0:0", 30 * GiB) with { AllocatedBytes = 30 * GiB }, Disk("scsi0:1", 10 * GiB) with { AllocatedBytes = 10 * GiB }] };
        var target = Target() with
        {
            Pools = new HashSet<string> { "default", "small" },
            FreeBytesByStorage = new Dictionary<string, long> { ["default"] = 100 * GiB, ["small"] = 5 * GiB },
        };
        var result = ConcernRules.Evaluate([(vm, Choices(outputBytes: 40 * GiB) with { DiskStorage = ["default", "small"] })], target);

        var c = Single(result[0], ConcernCodes.Space);
        Assert.Equal("storage 'small' has 5 GiB free, but the plan writes 10 GiB there (1 VM; 5 GiB too much; this VM 10 GiB)", c.Message);
    }

    [Fact]
    public void Space_that_fits_with_less_than_ten_percent_to_spare_is_a_warning_and_unknown_space_says_nothing()
    {
        var plan = new List<(BatchVmFacts, BatchVmChoices)> { (Vm("a"), Choices("a", 46 * GiB)), (Vm("b"), Choices("b", 46 * GiB)) };
        var result = ConcernRules.Evaluate(plan, Target());
        Assert.All(result, list => Assert.Equal(ConcernSeverity.Warning, Single(list, ConcernCodes.Space).Severity));
        Assert.Contains("92 GiB of 100 GiB free", result[0][0].Message, StringComparison.Ordinal);

        Assert.All(ConcernRules.Evaluate(plan, Target() with { FreeBytes = null }), Assert.Empty);
        Assert.All(ConcernRules.Evaluate(plan, Target() with { FreeBytes = 1000 * GiB }), Assert.Empty);
    }

    [Fact]
    public void Local_folders_are_compared_as_paths()
    {
        var dir = Path.Combine(Path.GetTempPath(), "v2v-out");
        var target = Target("local") with { Storage = dir, FreeBytes = 10 * GiB };
        var result = ConcernRules.Evaluate([(Vm(), Choices(outputBytes: 20 * GiB, pool: dir + "/"))], target);
        Assert.Equal(ConcernSeverity.Blocker, Single(result[0], ConcernCodes.Space).Severity);
    }

    [Fact]
    public void Evaluate_lists_blockers_first_and_keeps_the_input_order()
    {
        var vm = Vm() with { ChangeTracking = true, Vtpm = true, Encrypted = true };
        var result = ConcernRules.Evaluate([(Vm("ok"), Choices("ok")), (vm, Choices())], Target());
        Assert.Empty(result[0]);
        Assert.Equal(
            [ConcernCodes.Encrypted, ConcernCodes.Vtpm, ConcernCodes.Cbt],
            result[1].Select(c => c.Code));
        Assert.Equal([ConcernSeverity.Blocker, ConcernSeverity.Info, ConcernSeverity.Info], result[1].Select(c => c.Severity));
        Assert.True(ConcernRules.Rank(ConcernSeverity.Blocker) < ConcernRules.Rank(ConcernSeverity.Accepted));
        Assert.True(ConcernRules.Rank(ConcernSeverity.Accepted) < ConcernRules.Rank(ConcernSeverity.Warning));
    }
}
