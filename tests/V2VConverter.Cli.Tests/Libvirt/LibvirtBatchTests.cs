using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// <c>plan -o libvirt</c> and <c>run</c> against the test libvirtd: the VM becomes volumes and a defined domain; a run
/// resumed after an attempt that died between defining the domain and recording it done removes that attempt's domain
/// and volumes first, so the host never holds a duplicate or a half-defined VM; a VM that verifies is skipped.
/// </summary>
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtBatchTests
{
    private static LibvirtHost Host => LibvirtHost.Require();

    [Fact]
    public void A_resumed_run_replaces_what_a_dead_attempt_left_on_the_host_and_skips_what_verifies()
    {
        using var vm = new LibvirtVm(Host, "batch");
        var plan = Path.Combine(vm.Dir, "plan.yaml");
        var made = CliRunner.Run(vm.Dir, ["plan", vm.Dir, "-o", "libvirt", "-oc", Host.LocalUri, "-os", Host.DirPool, "--network", Host.NetworkName,
            "--set", "devices:domain:rules:default:type=qemu", "--no-guest-fixups", "--save", plan]);
        Assert.True(made.ExitCode == 0, made.Err);
        Assert.Contains($"    storage: {Host.DirPool}", File.ReadAllText(plan), StringComparison.Ordinal);

        var run = CliRunner.Run(vm.Dir, ["run", plan]);
        Assert.True(run.ExitCode == 0, run.Err);
        Assert.True(vm.DomainExists());
        Assert.Equal([vm.Volume()], vm.VolumesIn(Host.DirPool));
        var id = vm.Name;

        // An attempt that died after defining the domain: the journal says it was still finalizing.
        using (var journal = SqliteBatchJournal.Open(Path.Combine(vm.Dir, "plan.journal.db")))
        {
            Assert.Contains(journal.Outputs(id), o => o.Kind == "domain" && o.Location == vm.Name);
            Assert.Contains(journal.Outputs(id), o => o.Kind == "volume" && o.Location == $"{Host.DirPool}/{vm.Volume()}" && o.Size > 0);
            journal.BeginAttempt(id);
            journal.Record(id, BatchVmState.Finalizing);
        }

        var resumed = CliRunner.Run(vm.Dir, ["run", plan]);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.True(vm.DomainExists());
        Assert.Equal([vm.Volume()], vm.VolumesIn(Host.DirPool));
        var log = File.ReadAllText(Path.Combine(vm.Dir, "plan.logs", id + ".3.log.json"));
        Assert.Contains("undefined domain", log, StringComparison.Ordinal);
        Assert.Contains("removed volume", log, StringComparison.Ordinal);

        // Done and verified: the third run leaves it alone.
        var again = CliRunner.Run(vm.Dir, ["run", plan]);
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Contains("done (resumed)", again.Err, StringComparison.Ordinal);
        using var j = SqliteBatchJournal.OpenReadOnly(Path.Combine(vm.Dir, "plan.journal.db"));
        Assert.Equal(3, j.Status(id)!.Attempt);
    }
}
