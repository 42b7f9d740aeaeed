using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Rendering;
using V2VConverter.Model;
using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// The live table of <see cref="BatchProgressView"/>: a Spectre.Console <see cref="LiveDisplay"/> redrawn every
/// <see cref="RefreshInterval"/> by a thread of its own from a snapshot of the rows, until Dispose (which draws the
/// last frame first). With more VMs than the terminal has lines, the busy and failed VMs come first and the rest are
/// counted in the caption.
/// </summary>
internal sealed class BatchLiveTable : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly IAnsiConsole _console;
    private readonly Func<IReadOnlyList<BatchVmProgress>> _rows;
    private readonly Lock _stopGate = new();
    private bool _stopped;

    public BatchLiveTable(IAnsiConsole console, Func<IReadOnlyList<BatchVmProgress>> rows)
    {
        _console = console;
        _rows = rows;
        _thread = new Thread(Draw) { IsBackground = true, Name = "v2v batch table" };
        _thread.Start();
    }

    public void Dispose()
    {
        lock (_stopGate)
        {
            if (!_stopped)
            {
                _stopped = true;
                _stop.Set();
                _thread.Join();
                _stop.Dispose();
            }
        }
    }

    /// <summary>The table of <paramref name="rows"/> at <paramref name="now"/> (Stopwatch ticks), at most <paramref name="maxRows"/> VMs.</summary>
    internal static Table Build(IReadOnlyList<BatchVmProgress> rows, long now, int maxRows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in (string[])["VM", "TARGET", "HOST", "STATE", "PROGRESS", "RATE", "LEFT"])
        {
            table.AddColumn(header);
        }

        var shown = rows.Count <= maxRows ? rows : rows.OrderBy(Rank).Take(maxRows).ToList();
        foreach (var row in shown)
        {
            table.AddRow(Cells(row, now));
        }

        table.Caption = new TableTitle(Markup.Escape(BatchText.Counts(rows.Select(r => r.State))
            + (shown.Count < rows.Count ? $" ({rows.Count - shown.Count} not shown)" : "")));
        return table;
    }

    private static IRenderable[] Cells(BatchVmProgress row, long now)
    {
        var state = row.State;
        var (done, total) = (row.Done, row.Total);
        var copying = state == BatchVmState.Copying;
        var rate = copying ? row.Rate(now) : 0;
        var progress = total <= 0 || (done == 0 && state != BatchVmState.Done)
            ? ByteSize.Format(Math.Max(total, 0))
            : CopyProgress.PlainLine("", state == BatchVmState.Done ? total : done, total).TrimStart(':', ' ');
        var left = rate > 0 && total > done ? BatchText.Duration(TimeSpan.FromSeconds((total - done) / rate)) : "-";
        var stateText = BatchText.Name(state) + (state == BatchVmState.Failed && row.Detail is { } d ? ": " + BatchText.OneLine(d) : "");
        return
        [
            new Text(row.Vm),
            new Text(row.Target),
            new Text(row.Host),
            new Text(stateText, StateStyle(state)),
            new Text(progress),
            new Text(rate > 0 ? ByteSize.Format((long)rate) + "/s" : "-"),
            new Text(left),
        ];
    }

    private static Style StateStyle(BatchVmState state) => state switch
    {
        BatchVmState.Done => new Style(Color.Green),
        BatchVmState.Failed or BatchVmState.Blocked => new Style(Color.Red),
        BatchVmState.Planned or BatchVmState.Skipped => new Style(Color.Grey),
        _ => new Style(Color.Yellow),
    };

    /// <summary>Busy VMs first, then failures, then the ones waiting, then the finished.</summary>
    private static int Rank(BatchVmProgress row) => row.State switch
    {
        BatchVmState.Planned => 2,
        BatchVmState.Failed or BatchVmState.Blocked => 1,
        BatchVmState.Done or BatchVmState.Skipped => 3,
        _ => 0,
    };

    private void Draw()
    {
        try
        {
            var maxRows = Math.Max(5, _console.Profile.Height - 6);
            _console.Live(Build(_rows(), Stopwatch.GetTimestamp(), maxRows))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Ellipsis)
                .Start(ctx =>
                {
                    while (!_stop.Wait(RefreshInterval))
                    {
                        ctx.UpdateTarget(Build(_rows(), Stopwatch.GetTimestamp(), maxRows));
                    }

                    ctx.UpdateTarget(Build(_rows(), Stopwatch.GetTimestamp(), maxRows));
                });
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // A console that cannot draw (or another live display on it): no table, the run goes on.
        }
    }
}
