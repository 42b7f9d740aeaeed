using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// What <c>v2v run</c> shows as the VMs of a plan convert:
/// <list type="bullet">
/// <item>on a terminal, a live table on <see cref="CliContext.ErrorConsole"/> (VM, TARGET, HOST, STATE, PROGRESS, RATE,
/// LEFT), redrawn a few times a second by a thread of its own (<see cref="BatchLiveTable"/>);</item>
/// <item>otherwise, plain lines on stderr: one per state change (<c>v2v: web01: copying</c>,
/// <c>v2v: web01: failed: REASON</c>) and one per tenth of a copy;</item>
/// <item>with <c>--machine-readable</c>, also JSON lines on stdout (<see cref="BatchEventJson"/>), progress at most once a second per VM;</item>
/// <item>at the end, a summary table on stderr (VM, TARGET, STATE, TIME, REASON) and a count line.</item>
/// </list>
/// Every method may be called from several threads; <see cref="Progress"/> takes no lock unless it writes a line.
/// </summary>
public sealed class BatchProgressView : IBatchObserver, IDisposable
{
    private static readonly long JsonInterval = Stopwatch.Frequency;

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, BatchVmProgress> _rows = new(StringComparer.Ordinal);
    private readonly List<BatchVmProgress> _order = [];
    private readonly TextWriter _error;
    private readonly TextWriter? _json;
    private readonly bool _plain;
    private readonly Spectre.Console.IAnsiConsole? _console;
    private BatchLiveTable? _live;
    private bool _ended;

    /// <param name="context">Where to draw and write.</param>
    /// <param name="machineReadable">Also write JSON lines on stdout.</param>
    public BatchProgressView(CliContext context, bool machineReadable)
    {
        ArgumentNullException.ThrowIfNull(context);
        _error = context.Error;
        _json = machineReadable ? context.Out : null;
        _plain = !context.IsTerminal;
        _console = context.IsTerminal ? context.ErrorConsole : null;
    }

    /// <inheritdoc/>
    public void Started(IReadOnlyList<BatchVmRow> rows, int parallel, int perHost)
    {
        ArgumentNullException.ThrowIfNull(rows);
        lock (_gate)
        {
            foreach (var row in rows)
            {
                Add(row);
            }

            if (_plain)
            {
                _error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"v2v: {rows.Count} VM(s), {parallel} at once, {perHost} per source host"));
            }

            WriteJson(BatchEventJson.Started(rows.Count, parallel, perHost));
            if (_console is not null && !_ended)
            {
                _live ??= new BatchLiveTable(_console, Snapshot);
            }
        }
    }

    /// <inheritdoc/>
    public void StateChanged(string vm, BatchVmState state, string? detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        var row = Row(vm);
        row.SetState(state, detail, Stopwatch.GetTimestamp());
        lock (_gate)
        {
            if (_plain)
            {
                _error.WriteLine($"v2v: {vm}: {BatchText.Name(state)}" + (detail is null ? "" : $": {BatchText.OneLine(detail)}"));
            }

            WriteJson(BatchEventJson.State(vm, state, detail));
        }
    }

    /// <inheritdoc/>
    public void Progress(string vm, long doneBytes, long totalBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        var row = Row(vm);
        row.SetProgress(doneBytes, totalBytes);
        var plainDue = _plain && row.TakeDecile(doneBytes, totalBytes);
        var jsonDue = _json is not null && row.TakeJson(doneBytes, totalBytes, Stopwatch.GetTimestamp(), JsonInterval);
        if (plainDue || jsonDue)
        {
            lock (_gate)
            {
                if (plainDue)
                {
                    _error.WriteLine(CopyProgress.PlainLine("v2v: " + vm, doneBytes, totalBytes));
                }

                if (jsonDue)
                {
                    WriteJson(BatchEventJson.Progress(vm, doneBytes, totalBytes));
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Finished(BatchRunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        StopLive();
        lock (_gate)
        {
            TablePrinter.Print(_error, ["VM", "TARGET", "STATE", "TIME", "REASON"], summary.Vms.Select(v => (IReadOnlyList<string>)
            [
                v.Vm,
                v.Target,
                BatchText.Name(v.State) + (v.Resumed ? " (resumed)" : ""),
                BatchText.Duration(v.Elapsed),
                v.Reason is null ? "-" : BatchText.OneLine(v.Reason),
            ]));
            _error.WriteLine($"v2v: {BatchText.Counts(summary.Vms.Select(v => v.State).ToList())} in {BatchText.Duration(summary.Elapsed)}");
            WriteJson(BatchEventJson.Finished(summary));
        }
    }

    /// <summary>Ends the live table (it stays on screen as last drawn); no summary.</summary>
    public void Dispose() => StopLive();

    private BatchVmProgress Row(string vm)
    {
        if (_rows.TryGetValue(vm, out var row))
        {
            return row;
        }

        lock (_gate)
        {
            return _rows.TryGetValue(vm, out row) ? row : Add(new BatchVmRow(vm, vm, "-", 0, BatchVmState.Planned));
        }
    }

    /// <summary>Adds a row (under <see cref="_gate"/>); a VM already shown keeps its row.</summary>
    private BatchVmProgress Add(BatchVmRow row)
    {
        if (_rows.TryGetValue(row.Vm, out var existing))
        {
            return existing;
        }

        var progress = new BatchVmProgress(row, Stopwatch.GetTimestamp());
        _rows[row.Vm] = progress;
        _order.Add(progress);
        return progress;
    }

    private IReadOnlyList<BatchVmProgress> Snapshot()
    {
        lock (_gate)
        {
            return _order.ToArray();
        }
    }

    private void WriteJson(string line)
    {
        if (_json is not null)
        {
            _json.WriteLine(line);
            _json.Flush();
        }
    }

    private void StopLive()
    {
        BatchLiveTable? live;
        lock (_gate)
        {
            _ended = true;
            live = _live;
            _live = null;
        }

        live?.Dispose(); // outside the lock: its last refresh takes a snapshot
    }
}
