using System.Runtime.Versioning;
using System.Text.Json;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;

namespace V2VConverter.Cli.Tests.BatchRun;

/// <summary>22 ESXi VMs in vcsim, each with a real flat disk of its own content, and one of each concern.</summary>
public sealed class BatchVcsimFixture : IDisposable
{
    public BatchVcsimFixture()
    {
        Inventory = VcsimBatchInventory.Start(new VcsimBatchOptions
        {
            VmCount = 22,
            PoweredOn = ["ha-host_VM1", "ha-host_VM2"],
            Snapshots = new Dictionary<string, string> { ["ha-host_VM3"] = "before-upgrade" },
            Rdm = ["ha-host_VM4"],
            Dup = "dupname=ha-host_VM5,ha-host_VM6",
            Cbt = ["ha-host_VM7"],
            Efi = ["ha-host_VM8"],
            Encrypted = ["ha-host_VM9"],
            SharedBus = ["ha-host_VM10"],
            Vgpu = ["ha-host_VM11"],
            Vtpm = ["ha-host_VM12"],
        });
    }

    public VcsimBatchInventory Inventory { get; }

    public void Dispose() => Inventory.Dispose();
}

/// <summary>
/// <c>plan</c>, <c>plan --check</c>, <c>run</c> and <c>status</c> against vcsim through the real command line: the plan
/// lists every VM with its concerns, an edited plan is honoured, the run converts every VM once within the per-host
/// bound (counted by the simulator), a VM with a broken disk fails alone.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class BatchVcsimCliTests(BatchVcsimFixture sim) : IClassFixture<BatchVcsimFixture>
{
    private VcsimBatchInventory Inv => sim.Inventory;

    private static Dictionary<string, JsonElement> ById(JsonDocument doc) =>
        doc.RootElement.GetProperty("vms").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString() + "|" + v.GetProperty("id").GetString(), v => v);

    private static IEnumerable<(string Severity, string Code)> Concerns(JsonElement vm) =>
        vm.GetProperty("concerns").EnumerateArray().Select(c => (c.GetProperty("severity").GetString()!, c.GetProperty("code").GetString()!));

    private static JsonElement Single(Dictionary<string, JsonElement> vms, string name) => vms.Single(kv => kv.Key.StartsWith(name + "|", StringComparison.Ordinal)).Value;

    [Fact]
    public void The_plan_lists_every_vm_with_its_concerns()
    {
        var dir = RepoPaths.NewTempDir("v2v-batch");
        var r = CliRunner.Run(dir, Inv.Env(), ["plan", Inv.Uri, .. Inv.Pin, "-o", "local", "-os", Path.Combine(dir, "out"), "--no-guest-fixups", "--json"]);
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        var vms = ById(doc);
        Assert.Equal(22, vms.Count);
        Assert.Equal(Inv.Vms.Select(v => v.Name).Order(StringComparer.Ordinal), vms.Values.Select(v => v.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));

        Assert.Contains(("blocker", "powered-on"), Concerns(Single(vms, "ha-host_VM1")));
        Assert.Contains(Concerns(Single(vms, "ha-host_VM3")), c => c.Code == "snapshots");
        Assert.Contains(("blocker", "rdm-disk"), Concerns(Single(vms, "ha-host_VM4")));
        Assert.Contains(Concerns(Single(vms, "ha-host_VM7")), c => c.Code == "cbt");
        Assert.Contains(("blocker", "encrypted"), Concerns(Single(vms, "ha-host_VM9")));
        Assert.Contains(("blocker", "shared-bus"), Concerns(Single(vms, "ha-host_VM10")));
        Assert.Contains(Concerns(Single(vms, "ha-host_VM11")), c => c.Code == "passthrough");
        Assert.Contains(Concerns(Single(vms, "ha-host_VM12")), c => c.Code == "vtpm");

        // Two VMs named "dupname" in two folders: both listed, each blocked by the other's target name, ids kept apart.
        var dups = vms.Where(kv => kv.Key.StartsWith("dupname|", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        Assert.Equal(2, dups.Count);
        Assert.All(dups, d => Assert.Contains(("blocker", "duplicate-target"), Concerns(d)));
        Assert.NotEqual(dups[0].GetProperty("id").GetString(), dups[1].GetProperty("id").GetString());

        // A plain VM (vcsim's guest is "other": not converted, a warning) has no other concern; each NIC and disk carries the rule that chose its target.
        var plain = Single(vms, "ha-host_VM0");
        Assert.Equal([("warning", "guest-os")], Concerns(plain));
        Assert.All(plain.GetProperty("nics").EnumerateArray(), n => Assert.False(string.IsNullOrEmpty(n.GetProperty("rule").GetString())));
        Assert.All(plain.GetProperty("disks").EnumerateArray(), d => Assert.Equal("option -os", d.GetProperty("rule").GetString()));

        // Without --json: the YAML on stdout, the table of concerns on stderr.
        var yaml = CliRunner.Run(dir, Inv.Env(), ["plan", Inv.Uri, .. Inv.Pin, "-o", "local", "-os", Path.Combine(dir, "out"), "--no-guest-fixups"]);
        Assert.True(yaml.ExitCode == 0, yaml.Err);
        Assert.StartsWith("# v2v batch plan", yaml.Out, StringComparison.Ordinal);
        Assert.Contains("SEVERITY", yaml.Err, StringComparison.Ordinal);
        Assert.Contains(yaml.Err.Split('\n'), l => l.Contains("ha-host_VM4", StringComparison.Ordinal) && l.Contains("rdm-disk", StringComparison.Ordinal));
        Assert.DoesNotContain(VcsimBatchOptions.DefaultPassword, yaml.Out + yaml.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edited_plan_is_honoured_and_the_run_converts_every_vm_once_within_the_per_host_bound()
    {
        var dir = RepoPaths.NewTempDir("v2v-batch");
        var outDir = Path.Combine(dir, "out");
        var moved = Path.Combine(dir, "moved");
        Directory.CreateDirectory(moved);
        var planFile = Path.Combine(dir, "plan.yaml");
        var made = CliRunner.Run(dir, Inv.Env(), ["plan", Inv.Uri, .. Inv.Pin, "-o", "local", "-os", outDir, "--no-guest-fixups", "--exclude", "ha-host_VM1[3-5]", "--exclude", "ha-host_VM1[7-9]", "--save", planFile]);
        Assert.True(made.ExitCode == 0, made.Err);

        // The edit a sysadmin makes: skip what cannot move, rename one of the duplicates, move a NIC and a disk.
        var text = File.ReadAllText(planFile);
        foreach (var blocked in new[] { "ha-host_VM1", "ha-host_VM4", "ha-host_VM9", "ha-host_VM10" })
        {
            text = PlanEdit.Set(text, blocked, "skip", "true");
        }

        text = PlanEdit.SetById(text, "dupname-2", "target", "dupname-b");
        text = PlanEdit.SetNested(text, "ha-host_VM0", "nics", "target", "network:edited-net");
        text = PlanEdit.SetNested(text, "ha-host_VM0", "disks", "storage", moved);
        File.WriteAllText(planFile, text);

        // VM2 is running: a blocker for a run without --shutdown-source, none with it.
        var check = CliRunner.Run(dir, Inv.Env(), ["plan", "--check", planFile]);
        Assert.Equal(3, check.ExitCode);
        Assert.Contains(check.Err.Split('\n'), l => l.Contains("ha-host_VM2", StringComparison.Ordinal) && l.Contains("powered-on", StringComparison.Ordinal));
        var checkShutdown = CliRunner.Run(dir, Inv.Env(), ["plan", "--check", planFile, "--shutdown-source"]);
        Assert.True(checkShutdown.ExitCode == 0, checkShutdown.Err);

        Inv.Server.ResetStats();
        var run = CliRunner.Run(dir, Inv.Env(), ["run", planFile, "--parallel", "4", "--per-host", "2", "--shutdown-source"]);
        Assert.True(run.ExitCode == 0, run.Out + run.Err);

        // The per-host bound, counted by the simulator: never more than 2 VMs' downloads in flight on its one host.
        var stats = Inv.Server.Stats();
        Assert.True(stats.MaxConcurrentVmsPerHost.Count >= 1, "the simulator counted no download");
        Assert.All(stats.MaxConcurrentVmsPerHost, kv => Assert.True(kv.Value <= 2, $"host {kv.Key}: {kv.Value} VMs at once"));

        // Every VM that runs converted once, with its source disk's exact content.
        var converted = Inv.Vms.Where(v => v.Name is not ("ha-host_VM1" or "ha-host_VM4" or "ha-host_VM9" or "ha-host_VM10")
            && !System.Text.RegularExpressions.Regex.IsMatch(v.Name, "^ha-host_VM1[3-57-9]$")).ToList();
        Assert.Equal(12, converted.Count);
        var outputs = Directory.GetFiles(outDir, "*.qcow2").Concat(Directory.GetFiles(moved, "*.qcow2")).ToList();
        Assert.Equal(converted.Count, outputs.Count);
        foreach (var vm in converted)
        {
            var target = vm.Name == "dupname" && vm.Ref == Inv.Vms.Where(v => v.Name == "dupname").OrderBy(v => v.Ref, StringComparer.Ordinal).Last().Ref ? "dupname-b" : vm.Name;
            var qcow2 = outputs.SingleOrDefault(o => Path.GetFileName(o) == target + "-sda.qcow2");
            Assert.True(qcow2 is not null, $"{vm.Name} ({vm.Ref}) has no single output {target}-sda.qcow2 among {string.Join(", ", outputs.Select(Path.GetFileName))}");
            var cmp = Tool.Run("qemu-img", ["compare", "-q", "-f", "vmdk", "-F", "qcow2", Inv.DiskPath(vm.Ref!), qcow2]);
            Assert.True(cmp.ExitCode == 0, $"{vm.Name}: {cmp.All}");
        }

        Assert.True(File.Exists(Path.Combine(moved, "ha-host_VM0-sda.qcow2")));
        Assert.Contains("<source network=\"edited-net\" />", File.ReadAllText(Path.Combine(moved, "ha-host_VM0.xml")), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(outDir, "*v2v-tmp*"));

        // --shutdown-source shut VM2 down (and nothing was powered on).
        var inventory = CliRunner.Run(dir, Inv.Env(), ["inventory", Inv.Uri, .. Inv.Pin, "--json"]);
        using (var doc = JsonDocument.Parse(inventory.Out))
        {
            var power = doc.RootElement.GetProperty("vms").EnumerateArray().Where(v => v.GetProperty("name").GetString() != "dupname")
                .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("powerState").GetString(), StringComparer.Ordinal);
            Assert.Equal("poweredOff", power["ha-host_VM2"]);
            Assert.Equal("poweredOn", power["ha-host_VM1"]);
        }

        // status: the journal's view; a second run finds every VM done and verified, and copies nothing.
        var status = CliRunner.Run(dir, Inv.Env(), ["status", planFile, "--json"]);
        Assert.True(status.ExitCode == 0, status.Err);
        using (var doc = JsonDocument.Parse(status.Out))
        {
            var states = doc.RootElement.GetProperty("vms").EnumerateArray().GroupBy(v => v.GetProperty("state").GetString()).ToDictionary(g => g.Key!, g => g.Count());
            Assert.Equal(12, states["done"]);
            Assert.Equal(4, states["skipped"]);
        }

        Inv.Server.ResetStats();
        var again = CliRunner.Run(dir, Inv.Env(), ["run", planFile, "--parallel", "4"]);
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(0, Inv.Server.Stats().Downloads);
        Assert.Equal(converted.Count, Directory.GetFiles(outDir, "*.qcow2").Length + Directory.GetFiles(moved, "*.qcow2").Length);
        using var journal = SqliteBatchJournal.OpenReadOnly(Path.Combine(dir, "plan.journal.db"));
        Assert.All(journal.Statuses().Where(s => s.State == BatchVmState.Done), s => Assert.Equal(1, s.Attempt));
        Assert.All(journal.Statuses().Where(s => s.State == BatchVmState.Done), s => Assert.True(File.Exists(Path.Combine(dir, "plan.logs", s.Vm + ".log.json")), $"no log file for {s.Vm}"));
    }

    [Fact]
    public void A_vm_whose_disk_is_broken_fails_alone_and_the_others_finish()
    {
        var dir = RepoPaths.NewTempDir("v2v-batch");
        var planFile = Path.Combine(dir, "plan.yaml");
        var made = CliRunner.Run(dir, Inv.Env(), ["plan", Inv.Uri, .. Inv.Pin, "-o", "local", "-os", Path.Combine(dir, "out"), "--no-guest-fixups", "--vm", "ha-host_VM1[3-5]", "--save", planFile]);
        Assert.True(made.ExitCode == 0, made.Err);
        Inv.Corrupt("ha-host_VM14");
        var run = CliRunner.Run(dir, Inv.Env(), ["run", planFile, "--parallel", "2"]);
        Assert.Equal(1, run.ExitCode);
        var failed = run.Err.Split('\n').Single(l => l.StartsWith("ha-host_VM14 ", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
        Assert.Contains("disk1-flat.vmdk", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Err, StringComparison.Ordinal);
        foreach (var ok in new[] { "ha-host_VM13", "ha-host_VM15" })
        {
            var qcow2 = Path.Combine(dir, "out", ok + "-sda.qcow2");
            Assert.True(File.Exists(qcow2), run.Err);
            Assert.Equal(0, Tool.Run("qemu-img", ["compare", "-q", "-f", "vmdk", "-F", "qcow2", Inv.DiskPath(ok), qcow2]).ExitCode);
        }

        Assert.False(File.Exists(Path.Combine(dir, "out", "ha-host_VM14-sda.qcow2")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "out"), "ha-host_VM14*"));
        var status = CliRunner.Run(dir, Inv.Env(), ["status", planFile]);
        Assert.Contains(status.Out.Split('\n'), l => l.StartsWith("ha-host_VM14", StringComparison.Ordinal) && l.Contains("failed", StringComparison.Ordinal));
    }
}
