using System.Text.Json;
using Spectre.Console.Testing;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Batch;

/// <summary>The progress of <c>v2v run</c>: plain lines, JSON events, a live table on a terminal, a summary at the end.</summary>
public sealed class BatchProgressViewTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-batch-view");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Without_a_terminal_a_line_per_state_change_and_per_tenth_then_the_summary()
    {
        var (output, err) = (new StringWriter(), new StringWriter());
        using (var view = new BatchProgressView(new CliContext(output, err, _dir), machineReadable: false))
        {
            Play(view);
        }

        Assert.Equal(
        [
            "v2v: 2 VM(s), 2 at once, 1 per source host",
            "v2v: web01: preparing",
            "v2v: web01: copying",
            "v2v: web01: 15% 15 B/100 B",
            "v2v: web01: 55% 55 B/100 B",
            "v2v: web01: 100% 100 B/100 B",
            "v2v: web01: done",
            "v2v: db01: failed: disk 0 is corrupt: grain table 7",
            "VM     TARGET     STATE   TIME  REASON",
            "-----  ---------  ------  ----  " + new string('-', 32),
            "web01  web01-kvm  done    0:42  -",
            "db01   db01       failed  0:03  disk 0 is corrupt: grain table 7",
            "v2v: 2 VM(s): 1 done, 1 failed in 1:01:05",
        ], Lines(err));
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Machine_readable_json_events_on_stdout_with_throttled_progress()
    {
        var output = new StringWriter();
        using (var view = new BatchProgressView(new CliContext(output, new StringWriter(), _dir), machineReadable: true))
        {
            Play(view);
        }

        var events = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(
            ["started", "state", "state", "progress", "progress", "state", "state", "finished"],
            events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal((2, 2, 1), (events[0].GetProperty("vms").GetInt32(), events[0].GetProperty("parallel").GetInt32(), events[0].GetProperty("perHost").GetInt32()));
        Assert.Equal(("web01", "copying"), (events[2].GetProperty("vm").GetString(), events[2].GetProperty("state").GetString()));
        Assert.Equal(JsonValueKind.Null, events[2].GetProperty("detail").ValueKind);

        // The first report, then nothing within a second but the last byte.
        Assert.Equal([(5L, 100L), (100L, 100L)], events.Where(e => e.GetProperty("event").GetString() == "progress").Select(e => (e.GetProperty("done").GetInt64(), e.GetProperty("total").GetInt64())));
        Assert.Equal("disk 0 is corrupt:\ngrain table 7", events[6].GetProperty("detail").GetString());
        var finished = events[^1];
        Assert.Equal((2, 1, 1, 0, 0), (finished.GetProperty("vms").GetInt32(), finished.GetProperty("done").GetInt32(), finished.GetProperty("failed").GetInt32(), finished.GetProperty("blocked").GetInt32(), finished.GetProperty("skipped").GetInt32()));
        Assert.Equal(3665, finished.GetProperty("elapsedSeconds").GetDouble());
    }

    [Fact]
    public void A_terminal_gets_a_live_table_with_every_vm_and_its_state()
    {
        var console = new TestConsole().Interactive();
        console.Profile.Width = 160;
        console.Profile.Height = 40;
        var err = new StringWriter();
        var context = new CliContext(new StringWriter(), err, _dir) { IsTerminal = true, ErrorConsole = console };
        using (var view = new BatchProgressView(context, machineReadable: false))
        {
            view.Started(
            [
                new BatchVmRow("web01", "web01-kvm", "esx1.lab", 4L << 30, BatchVmState.Planned),
                new BatchVmRow("db01", "db01", "esx2.lab", 1L << 30, BatchVmState.Planned),
                new BatchVmRow("old01", "old01", "esx1.lab", 1L << 30, BatchVmState.Done),
            ], parallel: 2, perHost: 1);
            view.StateChanged("web01", BatchVmState.Copying, null);
            view.Progress("web01", 1L << 30, 4L << 30);
            view.StateChanged("db01", BatchVmState.Failed, "no space left on pool default");
            Thread.Sleep(600); // a few refreshes
            view.Finished(new BatchRunSummary(
                [
                    new("web01", "web01-kvm", BatchVmState.Failed, "interrupted", TimeSpan.FromSeconds(9), 1L << 30, false),
                    new("db01", "db01", BatchVmState.Failed, "no space left on pool default", TimeSpan.FromSeconds(1), 0, false),
                    new("old01", "old01", BatchVmState.Done, null, TimeSpan.Zero, 0, true),
                ], TimeSpan.FromSeconds(10)));
        }

        var screen = console.Output;
        foreach (var text in new[] { "VM", "TARGET", "HOST", "STATE", "PROGRESS", "RATE", "LEFT" })
        {
            Assert.Contains(text, screen);
        }

        Assert.Contains("web01-kvm", screen);
        Assert.Contains("esx2.lab", screen);
        Assert.Matches(@"web01\s+.*web01-kvm\s+.*esx1\.lab\s+.*copying\s+.*25% 1 GiB/4 GiB", screen);
        Assert.Contains("failed: no space left on pool default", screen);
        Assert.Matches(@"old01\s+.*done\s+.*1 GiB", screen);
        Assert.Contains("3 VM(s): 1 copying, 1 done, 1 failed", screen); // the caption
        Assert.DoesNotContain("VM     TARGET", screen); // the summary goes to stderr as plain text, not to the live console

        var summary = Lines(err);
        Assert.Matches(@"^VM\s+TARGET\s+STATE\s+TIME\s+REASON$", summary[0]);
        Assert.Matches(@"^old01\s+old01\s+done \(resumed\)\s+0:00\s+-$", summary[4]);
        Assert.Equal("v2v: 3 VM(s): 1 done, 2 failed in 0:10", summary[^1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Progress_from_eight_threads_while_states_change_keeps_every_line_whole(bool terminal)
    {
        var (output, err) = (new StringWriter(), new StringWriter());
        var console = new TestConsole().Interactive();
        var context = new CliContext(output, err, _dir) { IsTerminal = terminal, ErrorConsole = console };
        var rows = Enumerable.Range(0, 8).Select(i => new BatchVmRow($"vm{i}", $"vm{i}", "esx", 1000, BatchVmState.Planned)).ToList();
        using (var view = new BatchProgressView(context, machineReadable: true))
        {
            view.Started(rows, parallel: 8, perHost: 8);
            using var stop = new CancellationTokenSource();
            var states = Task.Run(() =>
            {
                var s = 0;
                while (!stop.IsCancellationRequested)
                {
                    view.StateChanged($"vm{s % 8}", s % 2 == 0 ? BatchVmState.Copying : BatchVmState.Preparing, null);
                    s++;
                }
            }, TestContext.Current.CancellationToken);
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
            {
                for (var done = 0L; done <= 1000; done++)
                {
                    view.Progress($"vm{t}", done, 1000);
                    view.Progress("shared", done, 1000); // one VM reported from every thread, not in Started
                }
            });
            stop.Cancel();
            await states;
            view.Finished(new BatchRunSummary(rows.Select(r => new BatchVmOutcome(r.Vm, r.Target, BatchVmState.Done, null, TimeSpan.FromSeconds(1), 1000, false)).ToList(), TimeSpan.FromSeconds(2)));
        }

        var events = Lines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList(); // every line is whole JSON
        Assert.Equal("finished", events[^1].GetProperty("event").GetString());
        for (var t = 0; t < 8; t++)
        {
            var vm = $"vm{t}";
            var done = events.Where(e => e.GetProperty("event").GetString() == "progress" && e.GetProperty("vm").GetString() == vm).Select(e => e.GetProperty("done").GetInt64()).ToList();
            Assert.Contains(1000L, done); // the last byte is always reported
            Assert.True(done.Count <= 10, $"{vm}: {done.Count} progress events for a copy of well under 10 s");
        }

        var plain = Lines(err);
        Assert.All(plain, l => Assert.Matches(@"^(v2v: |VM |-|vm\d )", l));
        if (!terminal)
        {
            for (var t = 0; t < 8; t++)
            {
                // one line per tenth at most; a state change back to copying starts the tenths again
                Assert.Contains($"v2v: vm{t}: 100% 1000 B/1000 B", plain);
            }

            Assert.Contains("v2v: shared: 100% 1000 B/1000 B", plain);
        }
    }

    /// <summary>web01 prepares, copies 100 bytes in reports of 5, 15, 16, 55 and 100, and is done; db01 fails.</summary>
    private static void Play(BatchProgressView view)
    {
        view.Started(
        [
            new BatchVmRow("web01", "web01-kvm", "esx1.lab", 100, BatchVmState.Planned),
            new BatchVmRow("db01", "db01", "esx1.lab", 50, BatchVmState.Planned),
        ], parallel: 2, perHost: 1);
        view.StateChanged("web01", BatchVmState.Preparing, null);
        view.StateChanged("web01", BatchVmState.Copying, null);
        foreach (var done in new long[] { 5, 15, 16, 55, 100 })
        {
            view.Progress("web01", done, 100);
        }

        view.StateChanged("web01", BatchVmState.Done, null);
        view.StateChanged("db01", BatchVmState.Failed, "disk 0 is corrupt:\ngrain table 7");
        view.Finished(new BatchRunSummary(
            [
                new("web01", "web01-kvm", BatchVmState.Done, null, TimeSpan.FromSeconds(42), 100, false),
                new("db01", "db01", BatchVmState.Failed, "disk 0 is corrupt:\ngrain table 7", TimeSpan.FromSeconds(3), 0, false),
            ], new TimeSpan(1, 1, 5)));
    }

    private static List<string> Lines(StringWriter w) => w.ToString().ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
}
