using System.Diagnostics;
using Microsoft.Data.Sqlite;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Batch;

/// <summary>The SQLite batch journal: what is recorded comes back, in order, after a reopen, a kill, from many threads.</summary>
public sealed class JournalTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-journal");

    private string JournalPath => new BatchPaths(Path.Combine(_dir, "plan.yaml")).Journal;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void Entries_come_back_as_recorded_and_the_status_is_the_last_one()
    {
        var clock = new StepClock(new DateTimeOffset(2026, 12, 1, 3, 0, 0, TimeSpan.Zero));
        using var journal = SqliteBatchJournal.Open(JournalPath, clock);
        Assert.Equal(JournalPath, journal.Location);
        Assert.Null(journal.Status("web01"));

        Assert.Equal(1, journal.BeginAttempt("web01"));
        journal.Record("web01", BatchVmState.Preparing);
        journal.Record("web01", BatchVmState.Copying, disk: 1, offset: 1L << 30);
        journal.Record("web01", BatchVmState.Failed, "source dropped: connection reset", disk: 1, offset: 3L << 30);

        var history = journal.History("web01");
        Assert.Equal([BatchVmState.Preparing, BatchVmState.Copying, BatchVmState.Failed], history.Select(e => e.State));
        Assert.Equal(history.Select(e => e.Sequence).Order(), history.Select(e => e.Sequence));
        Assert.All(history, e => Assert.Equal(1, e.Attempt));
        Assert.Equal((1, 1L << 30), (history[1].Disk!.Value, history[1].Offset!.Value));
        Assert.Null(history[0].Detail);
        Assert.Equal(clock.Start.AddSeconds(2), history[0].Time); // the attempt took the first tick

        var status = journal.Status("web01")!;
        Assert.Equal(new JournalVmStatus("web01", 1, BatchVmState.Failed, "source dropped: connection reset", 1, 3L << 30, clock.Start.AddSeconds(4), clock.Start.AddSeconds(1)), status);
    }

    [Fact]
    public void Each_attempt_counts_up_and_its_entries_carry_it()
    {
        using var journal = SqliteBatchJournal.Open(JournalPath);
        journal.Record("db01", BatchVmState.Planned); // before any attempt: attempt 0
        Assert.Equal(1, journal.BeginAttempt("db01"));
        journal.Record("db01", BatchVmState.Failed, "killed");
        Assert.Equal(2, journal.BeginAttempt("db01"));
        journal.Record("db01", BatchVmState.Done);
        Assert.Equal(1, journal.BeginAttempt("other")); // per VM

        Assert.Equal([(0, BatchVmState.Planned), (1, BatchVmState.Failed), (2, BatchVmState.Done)], journal.History("db01").Select(e => (e.Attempt, e.State)));
        var status = journal.Status("db01")!;
        Assert.Equal((2, BatchVmState.Done), (status.Attempt, status.State));
        Assert.Null(status.Detail); // a new state clears the last one's detail
        Assert.Equal(BatchVmState.Planned, journal.Status("other")!.State); // begun, nothing recorded yet
    }

    [Fact]
    public void Statuses_keep_the_order_the_vms_first_appeared_and_history_keeps_the_newest()
    {
        using var journal = SqliteBatchJournal.Open(JournalPath);
        foreach (var vm in new[] { "c", "a", "b" })
        {
            journal.Record(vm, BatchVmState.Planned);
        }

        journal.Record("a", BatchVmState.Copying, disk: 0, offset: 10);
        journal.Record("c", BatchVmState.Done);
        Assert.Equal(["c", "a", "b"], journal.Statuses().Select(s => s.Vm));
        Assert.Equal([BatchVmState.Done, BatchVmState.Copying, BatchVmState.Planned], journal.Statuses().Select(s => s.State));

        var all = journal.History();
        Assert.Equal(5, all.Count);
        var newest = journal.History(limit: 2);
        Assert.Equal([("a", BatchVmState.Copying), ("c", BatchVmState.Done)], newest.Select(e => (e.Vm, e.State)));
        Assert.Equal(all.Skip(3), newest);
        Assert.Empty(journal.History("nobody"));
    }

    [Fact]
    public void Outputs_are_replaced_as_a_whole()
    {
        using var journal = SqliteBatchJournal.Open(JournalPath);
        journal.SetOutputs("web01", [new("web01", "disk", "/out/web01-sda.qcow2"), new("web01", "xml", "/out/web01.xml")]);
        journal.SetOutputs("web02", [new("web02", "domain", "web02")]);
        JournalOutput[] done = [new("web01", "disk", "/out/web01-sda.qcow2", 1L << 30, "sha256:" + new string('a', 64)), new("web01", "xml", "/out/web01.xml", 2048, null)];
        journal.SetOutputs("web01", done);

        Assert.Equal(done, journal.Outputs("web01"));
        Assert.Equal([new JournalOutput("web02", "domain", "web02")], journal.Outputs("web02"));
        journal.SetOutputs("web02", []);
        Assert.Empty(journal.Outputs("web02"));
        Assert.Throws<ArgumentException>(() => journal.SetOutputs("web01", [new("web02", "disk", "/x")]));
    }

    [Fact]
    public void What_was_committed_is_seen_by_a_second_journal_while_the_first_is_still_open()
    {
        var writer = SqliteBatchJournal.Open(JournalPath); // never disposed before the reads: as if the process died
        try
        {
            writer.BeginAttempt("web01");
            writer.Record("web01", BatchVmState.Copying, disk: 0, offset: 4096);
            writer.SetOutputs("web01", [new("web01", "disk", "/out/web01-sda.qcow2")]);

            Assert.True(File.Exists(JournalPath + "-wal"), "WAL mode keeps a -wal file beside the journal while it is open");
            using (var reader = SqliteBatchJournal.OpenReadOnly(JournalPath))
            {
                Assert.Equal((BatchVmState.Copying, 4096L), (reader.Status("web01")!.State, reader.Status("web01")!.Offset!.Value));
                Assert.Single(reader.Outputs("web01"));
                Assert.Throws<InvalidOperationException>(() => reader.Record("web01", BatchVmState.Done));
            }

            using var second = SqliteBatchJournal.Open(JournalPath);
            Assert.Equal(writer.History(), second.History());
            second.Record("web01", BatchVmState.Done); // two writers take turns (busy timeout)
            Assert.Equal(BatchVmState.Done, writer.Status("web01")!.State);
        }
        finally
        {
            writer.Dispose();
        }

        using var connection = new SqliteConnection($"Data Source={JournalPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_invalid_data_naming_it()
    {
        var bytes = new byte[8192];
        new Random(15).NextBytes(bytes);
        File.WriteAllBytes(JournalPath, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => SqliteBatchJournal.Open(JournalPath));
        Assert.Contains(JournalPath, ex.Message);
        Assert.Contains(JournalPath, Assert.Throws<InvalidDataException>(() => SqliteBatchJournal.OpenReadOnly(JournalPath)).Message);

        File.WriteAllBytes(JournalPath, []);
        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => SqliteBatchJournal.OpenReadOnly(JournalPath)).Message);
    }

    [Fact]
    public void Another_sqlite_database_or_a_newer_schema_is_refused()
    {
        Sql(JournalPath, "CREATE TABLE notes(x)");
        Assert.Contains("not a batch journal", Assert.Throws<InvalidDataException>(() => SqliteBatchJournal.Open(JournalPath)).Message);

        var newer = Path.Combine(_dir, "newer.journal.db");
        SqliteBatchJournal.Open(newer).Dispose();
        Sql(newer, "PRAGMA user_version = 2");
        var ex = Assert.Throws<InvalidDataException>(() => SqliteBatchJournal.OpenReadOnly(newer));
        Assert.Contains(newer, ex.Message);
        Assert.Contains("version 2", ex.Message);

        var badState = Path.Combine(_dir, "bad.journal.db");
        using (var journal = SqliteBatchJournal.Open(badState))
        {
            journal.Record("web01", BatchVmState.Done);
        }

        Sql(badState, "UPDATE vms SET state = 'Exploded'");
        using var reopened = SqliteBatchJournal.OpenReadOnly(badState);
        Assert.Contains("\"Exploded\"", Assert.Throws<InvalidDataException>(() => reopened.Statuses()).Message);
    }

    [Fact]
    public void A_missing_journal_is_file_not_found_naming_it()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SqliteBatchJournal.OpenReadOnly(JournalPath));
        Assert.Equal(JournalPath, ex.FileName);
        Assert.Contains(JournalPath, ex.Message);
        Assert.False(File.Exists(JournalPath), "a read-only open creates nothing");
    }

    [Fact]
    public void Records_from_eight_threads_are_all_kept()
    {
        using var journal = SqliteBatchJournal.Open(JournalPath);
        const int perThread = 40;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var vm = $"vm{t}";
            journal.BeginAttempt(vm);
            for (var i = 1; i <= perThread; i++)
            {
                journal.Record(vm, BatchVmState.Copying, disk: 0, offset: i);
                _ = journal.Status(vm);
            }
        });

        var all = journal.History();
        Assert.Equal(8 * perThread, all.Count);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence)); // no gaps
        for (var t = 0; t < 8; t++)
        {
            Assert.Equal(Enumerable.Range(1, perThread).Select(i => (long?)i), journal.History($"vm{t}").Select(e => e.Offset));
            Assert.Equal(perThread, journal.Status($"vm{t}")!.Offset);
        }
    }

    [Fact]
    public void A_thousand_progress_points_take_no_seconds_each_state_change_is_synced()
    {
        using var journal = SqliteBatchJournal.Open(JournalPath);
        journal.BeginAttempt("web01");
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= 1000; i++)
        {
            journal.Record("web01", BatchVmState.Copying, disk: 0, offset: i * 4096L);
        }

        var progress = watch.Elapsed;
        watch.Restart();
        for (var i = 0; i < 50; i++)
        {
            journal.Record("web01", i % 2 == 0 ? BatchVmState.Preparing : BatchVmState.Failed, "state change");
        }

        var changes = watch.Elapsed;
        TestContext.Current.SendDiagnosticMessage($"1000 progress points: {progress.TotalMilliseconds:F0} ms; 50 synced state changes: {changes.TotalMilliseconds:F0} ms");
        Assert.Equal(1050, journal.History("web01").Count);
        Assert.True(progress < TimeSpan.FromSeconds(5), $"1000 progress points took {progress.TotalMilliseconds:F0} ms");
        Assert.True(changes < TimeSpan.FromSeconds(5), $"50 synced state changes took {changes.TotalMilliseconds:F0} ms");
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A clock that moves one second on each reading.</summary>
    private sealed class StepClock(DateTimeOffset start) : TimeProvider
    {
        private int _ticks;

        public DateTimeOffset Start { get; } = start;

        public override DateTimeOffset GetUtcNow() => Start.AddSeconds(Interlocked.Increment(ref _ticks));
    }
}
