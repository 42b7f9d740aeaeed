using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.Pipeline.Batch.Plan;

namespace V2VConverter.Pipeline.Tests.Batch.Plan;

/// <summary>The plan file: written for people, read back exactly, every mistake of an edit reported with its line.</summary>
public sealed class BatchPlanFileTests
{
    private static BatchPlanDocument Sample() => new()
    {
        Created = "2026-12-01T00:00:00Z",
        Source = new PlanSource { Kind = "folder", Location = "/srv/vms" },
        Output = new PlanOutput { Mode = "local", Storage = "/srv/out", Format = "qcow2" },
        Mappings = new PlanMappings { Bridges = ["VM Network:br0"] },
        Vms =
        [
            new PlanVm
            {
                Id = "web01", Name = "web01", Source = "/srv/vms/web01/web01.vmx", Host = "local", Target = "web01", Firmware = "efi",
                Nics = [new PlanNic { Index = 0, Network = "VM Network", Mac = "00:50:56:01:02:03", Model = "virtio", Target = "bridge:br0", Rule = "cli-bridge-1" }],
                Disks = [new PlanDisk { Key = "scsi0:0", File = "web01.vmdk", CapacityBytes = 1L << 30, DataBytes = 1L << 28, Storage = "/srv/out", Rule = "option -os" }],
                Concerns = [new PlanConcern { Severity = "info", Code = "cbt", Message = "changed block tracking is on", Fix = "nothing to do" }],
            },
            new PlanVm
            {
                Id = "db01", Name = "db01", Source = "/srv/vms/db01/db01.vmx", Host = "local", Target = "db01",
                Disks = [new PlanDisk { Key = "scsi0:0", File = "db01.vmdk", Storage = "/srv/out" }],
            },
        ],
    };

    private static string Write(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"plan-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_plan_round_trips_through_its_yaml_with_the_header_first()
    {
        var yaml = BatchPlanFile.Serialize(Sample());
        Assert.StartsWith(BatchPlanFile.Header, yaml, StringComparison.Ordinal);
        Assert.Contains("# 2 VMs; concerns: 0 blockers, 0 warnings, 1 info", yaml, StringComparison.Ordinal);
        var path = Write(yaml);
        var back = BatchPlanFile.Load(path).Document;
        Assert.Equal(BatchPlanFile.Serialize(Sample()), BatchPlanFile.Serialize(back));
        Assert.Equal("bridge:br0", back.Vms[0].Nics[0].Target);
        Assert.Equal(1L << 28, back.Vms[0].Disks[0].DataBytes);
        Assert.Equal("cbt", back.Vms[0].Concerns[0].Code);
    }

    [Fact]
    public void An_unknown_key_is_refused_with_its_line()
    {
        var yaml = BatchPlanFile.Serialize(Sample()).Replace("  skip: false\n", "  skipp: true\n", StringComparison.Ordinal);
        var line = yaml.Split('\n').ToList().FindIndex(l => l.Contains("skipp", StringComparison.Ordinal)) + 1;
        var path = Write(yaml);
        var ex = Assert.Throws<PlanValidationException>(() => BatchPlanFile.Load(path));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(line, error.Line);
        Assert.Contains("skipp", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{path}:{line}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_edit_is_listed_with_the_line_of_its_value()
    {
        var lines = BatchPlanFile.Serialize(Sample()).Split('\n').ToList();
        int Replace(string from, string to, int after = 0)
        {
            var i = lines.FindIndex(after, l => l == from);
            Assert.True(i >= 0, from);
            lines[i] = to;
            return i + 1;
        }

        var nicLine = Replace("    target: bridge:br0", "    target: br0");
        var diskLine = Replace("    storage: /srv/out", "    storage: relative/out");
        var idLine = Replace("- id: db01", "- id: web01");
        var severityLine = Replace("  - severity: info", "  - severity: fatal");
        var formatLine = Replace("  format: qcow2", "  format: vmdk");
        var path = Write(string.Join('\n', lines));
        var ex = Assert.Throws<PlanValidationException>(() => BatchPlanFile.Load(path));
        var byLine = ex.Errors.ToDictionary(e => e.Line, e => e.Message);
        Assert.True(ex.Errors.Count == 5, string.Join("\n", ex.Errors) + $" nic {nicLine} disk {diskLine} id {idLine} sev {severityLine} format {formatLine}");
        Assert.Contains("expected bridge:NAME or network:NAME", byLine[nicLine], StringComparison.Ordinal);
        Assert.Contains("absolute folder", byLine[diskLine], StringComparison.Ordinal);
        Assert.Contains("used twice", byLine[idLine], StringComparison.Ordinal);
        Assert.Contains("expected info, warning, blocker or accepted", byLine[severityLine], StringComparison.Ordinal);
        Assert.Contains("expected qcow2 or raw", byLine[formatLine], StringComparison.Ordinal);
        Assert.Equal(5, ex.Errors.Count);
    }

    [Fact]
    public void Broken_yaml_names_its_line()
    {
        var path = Write("schemaVersion: 1\nvms:\n- id: a\n  name: [unclosed\n");
        var ex = Assert.Throws<PlanValidationException>(() => BatchPlanFile.Load(path));
        Assert.True(ex.Errors[0].Line >= 4, ex.Message);
    }

    [Fact]
    public void Edits_are_seen_by_the_concerns_that_depend_on_them()
    {
        var plan = Sample();
        plan.Vms[1].Target = "WEB01"; // a duplicate of web01 (libvirt names are compared without case by the rule)
        var target = new BatchTargetFacts { OutputMode = "local", Storage = "/srv/out" };
        var concerns = PlanConcerns.Effective(plan, target, shutdownSource: false, allowRunning: false);
        Assert.All(concerns, c => Assert.Contains(c, x => x.Code == "duplicate-target" && x.Severity == "blocker"));
        Assert.Contains(concerns[0], c => c.Code == "cbt"); // a concern only the source could tell is kept

        // Renamed: the blocker goes away. Accepted in the file: it stays accepted.
        plan.Vms[1].Target = "db01";
        Assert.All(PlanConcerns.Effective(plan, target, false, false), c => Assert.DoesNotContain(c, x => x.Code == "duplicate-target"));
        plan.Vms[1].Target = "web01";
        plan.Vms[1].Concerns = [new PlanConcern { Severity = "accepted", Code = "duplicate-target", Message = "m" }];
        var accepted = PlanConcerns.Effective(plan, target, false, false);
        Assert.Contains(accepted[1], c => c.Code == "duplicate-target" && c.Severity == "accepted");
        Assert.Contains(accepted[0], c => c.Code == "duplicate-target" && c.Severity == "blocker");

        // A skipped VM counts for nothing.
        plan.Vms[1].Skip = true;
        var skipped = PlanConcerns.Effective(plan, target, false, false);
        Assert.Empty(skipped[1]);
        Assert.DoesNotContain(skipped[0], c => c.Code == "duplicate-target");
    }
}
