using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// Copy progress of one or more disks, each reporting from its own writer thread (thread-safe), in up to two places:
/// <list type="bullet">
/// <item>stderr: when it is a terminal, a Spectre.Console bar per disk plus a total bar (with more than one disk), each
/// with rate and time left, drawn on <see cref="CliContext.ErrorConsole"/> until every disk is done; otherwise plain
/// lines <c>NAME: 25% 1.0 GiB/4.0 GiB</c>, at most one per disk every <see cref="PlainInterval"/>, and the 100% line;</item>
/// <item>stdout, with <c>--machine-readable</c>: JSON lines <c>{"type":"progress","done":N,"total":N}</c>, one stream per disk
/// when disks are copied one after another, one stream of the sums when they are copied in parallel.</item>
/// </list>
/// Dispose ends the bars (on success and on failure).
/// </summary>
public sealed class CopyProgress : IDisposable
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly TextWriter? _plain;
    private readonly string[] _names;
    private readonly long[] _done;
    private readonly long[] _total;
    private readonly TimeSpan[] _lastPlain;
    private readonly bool[] _finished;
    private readonly JsonProgress[] _json;
    private readonly bool _parallel;
    private readonly IAnsiConsole? _console;
    private LiveBars? _bars;
    private TimeSpan _lastPlainTotal;
    private bool _totalFinished;

    /// <param name="context">Where to draw.</param>
    /// <param name="machineReadable">Also write JSON lines on stdout.</param>
    /// <param name="disks">Each disk's display name (its output file name) and expected size in bytes.</param>
    /// <param name="parallel">True when the disks copy at the same time: the JSON lines then carry the sums.</param>
    public CopyProgress(CliContext context, bool machineReadable, IReadOnlyList<(string Name, long Total)> disks, bool parallel = false)
    {
        _names = disks.Select(d => d.Name).ToArray();
        _total = disks.Select(d => d.Total).ToArray();
        _done = new long[disks.Count];
        _lastPlain = new TimeSpan[disks.Count];
        _finished = new bool[disks.Count];
        _parallel = parallel;
        _json = !machineReadable ? [] : parallel ? [new JsonProgress(context.Out)] : disks.Select(_ => new JsonProgress(context.Out)).ToArray();
        if (context.IsTerminal)
        {
            _console = context.ErrorConsole; // the bars start with the first report, after the checks that come before the copy
        }
        else
        {
            _plain = context.Error;
        }
    }

    public void Report(int disk, long done, long total)
    {
        lock (_gate)
        {
            _done[disk] = done;
            _total[disk] = total;
            var now = _watch.Elapsed;
            if (_json.Length > 0)
            {
                if (_parallel)
                {
                    _json[0].Report(_done.Sum(), _total.Sum(), now);
                }
                else
                {
                    _json[disk].Report(done, total, now);
                }
            }

            var diskFinished = done >= total;
            var justFinished = diskFinished && !_finished[disk];
            _finished[disk] = diskFinished;
            if (_console is not null)
            {
                _bars ??= new LiveBars(_console, _names, _total);
            }

            _bars?.Report(disk, done, total, _done.Sum(), _total.Sum(), _finished.All(f => f));
            if (_plain is not null)
            {
                if (justFinished || (!diskFinished && now - _lastPlain[disk] >= PlainInterval))
                {
                    _lastPlain[disk] = now;
                    _plain.WriteLine(PlainLine(_names[disk], done, total));
                }

                if (_names.Length > 1)
                {
                    var allFinished = _finished.All(f => f);
                    if ((allFinished && !_totalFinished) || (!allFinished && now - _lastPlainTotal >= PlainInterval))
                    {
                        _lastPlainTotal = now;
                        _plain.WriteLine(PlainLine("total", _done.Sum(), _total.Sum()));
                    }

                    _totalFinished = allFinished;
                }
            }
        }
    }

    /// <summary>Ends the bars: they stay on screen as they last were.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _bars?.Dispose();
        }
    }

    public static string PlainLine(string name, long done, long total)
    {
        var percent = total <= 0 ? 100 : (int)Math.Clamp(done * 100 / total, 0, 100);
        return string.Create(CultureInfo.InvariantCulture, $"{name}: {percent}% {FormatSize(done)}/{FormatSize(total)}");
    }

    public static string FormatSize(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {units[u]}");
    }

    /// <summary><c>{"type":"progress","done":N,"total":N}</c> every 500 ms at most; the final line (done = total) always.</summary>
    private sealed class JsonProgress(TextWriter output)
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
        private TimeSpan _last = -TimeSpan.FromDays(1);
        private long _lastDone = -1;

        public void Report(long done, long total, TimeSpan now)
        {
            if (done == _lastDone)
            {
                return;
            }

            _lastDone = done;
            if (done >= total || now - _last >= Interval)
            {
                _last = now;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"type\":\"progress\",\"done\":{done},\"total\":{total}}}"));
                output.Flush();
            }
        }
    }

    /// <summary>
    /// A Spectre.Console <see cref="Progress"/> drawn by a thread of its own until every disk is done (or Dispose),
    /// so that what the command prints after the copy comes below the bars.
    /// </summary>
    private sealed class LiveBars : IDisposable
    {
        private readonly ManualResetEventSlim _ready = new();
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread _thread;
        private ProgressTask[] _tasks = [];
        private ProgressTask? _totalTask;
        private readonly Lock _stopGate = new();
        private bool _stopped;

        public LiveBars(IAnsiConsole console, IReadOnlyList<string> names, IReadOnlyList<long> totals)
        {
            var progress = new Progress(console)
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn());
            _thread = new Thread(() =>
            {
                try
                {
                    progress.Start(ctx =>
                    {
                        _tasks = names.Select((n, i) => ctx.AddTask(Markup.Escape(n), maxValue: Math.Max(1, totals[i]))).ToArray();
                        _totalTask = names.Count > 1 ? ctx.AddTask("total", maxValue: Math.Max(1, totals.Sum())) : null;
                        _ready.Set();
                        _stop.Wait();
                    });
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    // A console that cannot draw: no bars, the copy goes on.
                }
                finally
                {
                    _ready.Set();
                }
            })
            {
                IsBackground = true,
                Name = "v2v progress",
            };
            _thread.Start();
            _ready.Wait();
        }

        public void Report(int disk, long done, long total, long allDone, long allTotal, bool allFinished)
        {
            if (_tasks.Length == 0)
            {
                return;
            }

            var task = _tasks[disk];
            task.MaxValue = Math.Max(1, total);
            task.Value = total <= 0 ? 1 : done;
            if (_totalTask is not null)
            {
                _totalTask.MaxValue = Math.Max(1, allTotal);
                _totalTask.Value = allTotal <= 0 ? 1 : allDone;
            }

            if (allFinished)
            {
                // The last frame is drawn before this returns, so what the command prints next comes below the bars.
                Stop();
            }
        }

        public void Dispose() => Stop();

        private void Stop()
        {
            lock (_stopGate)
            {
                if (!_stopped)
                {
                    _stopped = true;
                    _stop.Set();
                    _thread.Join();
                    _ready.Dispose();
                    _stop.Dispose();
                }
            }
        }
    }
}
