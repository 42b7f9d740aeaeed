using System.Text.Json;
using Microsoft.Data.Sqlite;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Batch;

/// <summary><c>v2v status PLAN.yaml [--json]</c>: the journal next to the plan, read while a run may hold it open.</summary>
public sealed class StatusCliTests : IDisposable
{
    private const string Time = @"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ";
    private readonly string _dir = RepoPaths.NewTempDir("v2v-status");

    public StatusCliTests() => File.WriteAllText(Path.Combine(_dir, "plan.yaml"), "# the plan is not read by status\n");

    private string JournalPath => new BatchPaths(Path.Combine(_dir, "plan.yaml")).Journal;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void The_table_has_a_row_per_vm_and_a_summary_while_the_run_still_holds_the_journal()
    {
        using var journal = Fill(); // left open, as by a run going on

        var result = CliRunner.Run(_dir, "status", "plan.yaml");
        Assert.True(result.ExitCode == ExitCodes.Success, result.Err);
        var lines = result.Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^VM\s+STATE\s+ATTEMPT\s+DETAIL\s+UPDATED$", lines[0]);
        Assert.Matches(@"^web01\s+done\s+1\s+-\s+" + Time + "$", lines[2]);
        Assert.Matches(@"^db01\s+failed\s+2\s+source dropped: connection reset\s+" + Time + "$", lines[3]);
        Assert.Matches(@"^app01\s+copying\s+1\s+disk 1 at 1.5 GiB\s+" + Time + "$", lines[4]);
        Assert.Matches(@"^new01\s+planned\s+0\s+-\s+" + Time + "$", lines[5]);
        Assert.Equal("4 VM(s): 1 planned, 1 copying, 1 done, 1 failed", lines[^1]);
        Assert.Equal(7, lines.Length);
    }

    [Fact]
    public void Json_has_every_vm_with_its_outputs()
    {
        using (Fill())
        {
        }

        var result = CliRunner.Run(_dir, "status", Path.Combine(_dir, "plan.yaml"), "--json");
        Assert.True(result.ExitCode == ExitCodes.Success, result.Err);
        using var doc = JsonDocument.Parse(result.Out);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(JournalPath, root.GetProperty("journal").GetString());
        var vms = root.GetProperty("vms").EnumerateArray().ToList();
        Assert.Equal(["web01", "db01", "app01", "new01"], vms.Select(v => v.GetProperty("vm").GetString()));
        Assert.Equal(["done", "failed", "copying", "planned"], vms.Select(v => v.GetProperty("state").GetString()));
        Assert.Equal("source dropped:\nconnection reset", vms[1].GetProperty("detail").GetString()); // as recorded; the table puts it on one line
        Assert.Equal(2, vms[1].GetProperty("attempt").GetInt32());
        Assert.Equal((1, 3L << 29), (vms[2].GetProperty("disk").GetInt32(), vms[2].GetProperty("offset").GetInt64()));
        Assert.Equal(JsonValueKind.Null, vms[0].GetProperty("disk").ValueKind); // every key is written
        Assert.InRange(vms[0].GetProperty("updated").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var outputs = vms[0].GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(2, outputs.Count);
        Assert.Equal("disk", outputs[0].GetProperty("kind").GetString());
        Assert.Equal("/out/web01-sda.qcow2", outputs[0].GetProperty("location").GetString());
        Assert.Equal(1L << 30, outputs[0].GetProperty("size").GetInt64());
        Assert.Equal("sha256:" + new string('0', 64), outputs[0].GetProperty("digest").GetString());
        Assert.Equal(JsonValueKind.Null, outputs[1].GetProperty("digest").ValueKind);
        Assert.Empty(vms[3].GetProperty("outputs").EnumerateArray());
    }

    [Fact]
    public void Without_a_journal_status_says_to_run_the_plan_first()
    {
        var result = CliRunner.Run(_dir, "status", "plan.yaml");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal($"v2v: error: plan.yaml: no journal yet ({JournalPath}); run './v2v run plan.yaml' first", result.Err.Trim());
        Assert.Equal("", result.Out);
        Assert.False(File.Exists(JournalPath), "status creates no journal");
    }

    [Fact]
    public void A_corrupt_journal_is_one_error_line_naming_it()
    {
        File.WriteAllBytes(JournalPath, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        var result = CliRunner.Run(_dir, "status", "plan.yaml", "--json");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.StartsWith($"v2v: error: {JournalPath}: not a batch journal", result.Err);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    /// <summary>web01 done with its outputs, db01 failed in its second attempt, app01 copying, new01 planned.</summary>
    private SqliteBatchJournal Fill()
    {
        var journal = SqliteBatchJournal.Open(JournalPath);
        foreach (var vm in new[] { "web01", "db01", "app01", "new01" })
        {
            journal.Record(vm, BatchVmState.Planned);
        }

        journal.BeginAttempt("web01");
        journal.Record("web01", BatchVmState.Copying, disk: 0, offset: 0);
        journal.SetOutputs("web01", [new("web01", "disk", "/out/web01-sda.qcow2", 1L << 30, "sha256:" + new string('0', 64)), new("web01", "xml", "/out/web01.xml", 900)]);
        journal.Record("web01", BatchVmState.Done);
        journal.BeginAttempt("db01");
        journal.Record("db01", BatchVmState.Failed, "killed");
        journal.BeginAttempt("db01");
        journal.Record("db01", BatchVmState.Failed, "source dropped:\nconnection reset");
        journal.BeginAttempt("app01");
        journal.Record("app01", BatchVmState.Copying, disk: 1, offset: 3L << 29);
        return journal;
    }
}
