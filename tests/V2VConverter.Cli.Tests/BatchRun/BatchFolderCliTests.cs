using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.BatchRun;

/// <summary><c>plan</c> over a folder of .vmx files (a copied datastore): each VM's concerns from its .vmx and the files beside it; <c>plan --check</c> with line numbers.</summary>
public sealed class BatchFolderCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-batch-folder");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Vm(string folder, string name, string extra = "", string disk = "disk.vmdk")
    {
        var dir = Path.Combine(_dir, "ds", folder);
        Directory.CreateDirectory(dir);
        if (!File.Exists(Path.Combine(dir, disk)))
        {
            Tool.Check("qemu-img", "create", "-q", "-f", "vmdk", Path.Combine(dir, disk), "4M");
        }

        var vmx = Path.Combine(dir, folder + ".vmx");
        File.WriteAllText(vmx, SmallVmx.Text(name, disk, scsi: "pvscsi", extra: extra));
        return vmx;
    }

    [Fact]
    public void A_folder_plan_finds_every_vmx_with_its_concerns_and_check_reports_bad_edits_by_line()
    {
        Tool.Require("qemu-img");
        Vm("plain", "plain");
        Vm("gpu", "gpu", "pciPassthru0.present = \"TRUE\"\npciPassthru0.vgpu = \"grid_t4-2q\"");
        Vm("locked", "locked", "ctkEnabled = \"TRUE\"\nencryption.keySafe = \"vmware:key/list/(pair/(null/...))\"");
        Directory.CreateDirectory(Path.Combine(_dir, "ds", "locked", "locked.vmx.lck"));
        Vm("shared", "shared", "scsi0.sharedBus = \"virtual\"\nscsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"indep.vmdk\"\nscsi0:1.mode = \"independent-persistent\"");
        Tool.Check("qemu-img", "create", "-q", "-f", "vmdk", Path.Combine(_dir, "ds", "shared", "indep.vmdk"), "4M");
        Vm("snap", "snap", "", "disk-000002.vmdk");
        File.WriteAllText(Path.Combine(_dir, "ds", "snap", "snap.vmsd"), ".encoding = \"UTF-8\"\nsnapshot.numSnapshots = \"2\"\n");
        Vm("twin-a", "twin");
        Vm("twin-b", "twin");
        Directory.CreateDirectory(Path.Combine(_dir, "ds", "broken"));
        File.WriteAllText(Path.Combine(_dir, "ds", "broken", "broken.vmx"), "this is = not \"a vmx\n\0\0\0");

        var r = CliRunner.Run(_dir, ["plan", Path.Combine(_dir, "ds"), "-o", "local", "-os", Path.Combine(_dir, "out"), "--json"]);
        Assert.True(r.ExitCode == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        var vms = doc.RootElement.GetProperty("vms").EnumerateArray().ToList();
        Assert.Equal(8, vms.Count);
        string[] Codes(string id) => vms.Single(v => v.GetProperty("id").GetString() == id).GetProperty("concerns").EnumerateArray()
            .Select(c => c.GetProperty("severity").GetString() + ":" + c.GetProperty("code").GetString()).ToArray();

        Assert.Empty(Codes("plain"));
        Assert.Contains("warning:passthrough", Codes("gpu"));
        Assert.Contains("blocker:powered-on", Codes("locked"));
        Assert.Contains("blocker:encrypted", Codes("locked"));
        Assert.Contains("info:cbt", Codes("locked"));
        Assert.Contains("blocker:shared-bus", Codes("shared"));
        Assert.Contains(Codes("shared"), c => c.EndsWith(":independent-disk", StringComparison.Ordinal));
        Assert.Contains(Codes("snap"), c => c.EndsWith(":snapshots", StringComparison.Ordinal));
        Assert.Contains("blocker:duplicate-target", Codes("twin"));
        Assert.Contains("blocker:duplicate-target", Codes("twin-2"));
        Assert.Contains("blocker:source-unreadable", Codes("broken"));

        // The YAML, then an edit with two mistakes: each reported with its line, exit 1.
        var plan = Path.Combine(_dir, "plan.yaml");
        var saved = CliRunner.Run(_dir, ["plan", Path.Combine(_dir, "ds"), "-o", "local", "-os", Path.Combine(_dir, "out"), "--save", plan]);
        Assert.True(saved.ExitCode == 0, saved.Err);
        var lines = File.ReadAllLines(plan).ToList();
        var nic = lines.FindIndex(l => l == "    target: network:default");
        lines[nic] = "    target: vlan42";
        var skip = lines.FindIndex(l => l == "  skip: false");
        lines[skip] = "  skip: maybe";
        File.WriteAllLines(plan, lines);
        var check = CliRunner.Run(_dir, ["plan", "--check", plan]);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"{plan}:{skip + 1}:", check.Err, StringComparison.Ordinal);

        lines[skip] = "  skip: false";
        File.WriteAllLines(plan, lines);
        check = CliRunner.Run(_dir, ["plan", "--check", plan]);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"v2v: error: {plan}:{nic + 1}: ", check.Err, StringComparison.Ordinal);
        Assert.Contains("expected bridge:NAME or network:NAME", check.Err, StringComparison.Ordinal);

        // Fixed, with the blockers skipped or renamed: valid, exit 0.
        lines[nic] = "    target: network:default";
        var text = string.Join('\n', lines) + "\n";
        foreach (var name in new[] { "locked", "shared", "broken" })
        {
            text = PlanEdit.SetById(text, name, "skip", "true");
        }

        text = PlanEdit.SetById(text, "twin-2", "target", "twin-b");
        File.WriteAllText(plan, text);
        check = CliRunner.Run(_dir, ["plan", "--check", plan]);
        Assert.True(check.ExitCode == 0, check.Err);
        Assert.Contains("valid; 5 VMs to run, 3 skipped, 0 blocked", check.Err, StringComparison.Ordinal);
    }
}
