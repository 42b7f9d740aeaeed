using System.Diagnostics;
using Microsoft.Data.Sqlite;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Batch;

/// <summary>
/// A process that records into the journal and is killed with SIGKILL leaves a journal that opens and holds a consistent
/// prefix: every entry the killer saw committed, numbered without a gap, the latest-state table agreeing with the last entry.
/// The writer is this test assembly run again (xunit v3 test projects are programs) with only <see cref="Child_records_until_killed"/>.
/// </summary>
public sealed class JournalKillTests : IDisposable
{
    private const string ChildVariable = "V2V_JOURNAL_KILL_CHILD";
    private readonly string _dir = RepoPaths.NewTempDir("v2v-journal-kill");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void A_writer_killed_with_sigkill_leaves_a_consistent_prefix()
    {
        var path = Path.Combine(_dir, "plan.journal.db");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(typeof(JournalKillTests).Assembly.Location);
        psi.ArgumentList.Add("-method");
        psi.ArgumentList.Add($"{typeof(JournalKillTests).FullName}.{nameof(Child_records_until_killed)}");
        psi.Environment[ChildVariable] = path;
        using var child = Process.Start(psi)!;
        child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        var seen = 0;
        var watch = Stopwatch.StartNew();
        while (seen < 300 && !child.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(50);
            seen = CountEntries(path);
        }

        Assert.False(child.HasExited, $"the child stopped before it was killed (exit code {(child.HasExited ? child.ExitCode : 0)})");
        child.Kill(entireProcessTree: true); // SIGKILL: no handler, no dispose, no checkpoint
        child.WaitForExit();
        Assert.True(seen >= 300, $"the child recorded only {seen} entries in 60 s");

        using var journal = SqliteBatchJournal.Open(path);
        var history = journal.History("web01", SqliteBatchJournal.MaxHistory);
        Assert.True(history.Count >= seen, $"{seen} entries were committed before the kill, {history.Count} are left");
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long?)i), history.Select(e => e.Offset));
        var status = journal.Status("web01")!;
        Assert.Equal((history[^1].Offset, history[^1].Time), (status.Offset, status.Updated));
    }

    /// <summary>The child: records one entry after another until it is killed (skipped in a normal run).</summary>
    [Fact]
    public void Child_records_until_killed()
    {
        var path = Environment.GetEnvironmentVariable(ChildVariable);
        Assert.SkipWhen(string.IsNullOrEmpty(path), $"runs only as the child process of {nameof(A_writer_killed_with_sigkill_leaves_a_consistent_prefix)}");
        var journal = SqliteBatchJournal.Open(path);
        journal.BeginAttempt("web01");
        var watch = Stopwatch.StartNew();
        for (var i = 1L; watch.Elapsed < TimeSpan.FromSeconds(90); i++)
        {
            journal.Record("web01", BatchVmState.Copying, disk: 0, offset: i);
        }
    }

    private static int CountEntries(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        try
        {
            using var journal = SqliteBatchJournal.OpenReadOnly(path);
            return journal.History("web01", SqliteBatchJournal.MaxHistory).Count;
        }
        catch (Exception ex) when (ex is InvalidDataException or SqliteException)
        {
            return 0; // the child is still creating it
        }
    }
}
