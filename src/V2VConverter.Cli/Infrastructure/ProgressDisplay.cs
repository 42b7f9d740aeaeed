using System.Diagnostics;
using System.Globalization;
using V2VConverter.Model;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// Shows copy progress: a bar redrawn on stderr when it is a terminal, and/or JSON lines on stdout
/// (<c>{"type":"progress","done":N,"total":N}</c>) for <c>--machine-readable</c>. Updates are throttled; the final
/// 100% is always written. Thread-safe (the engine reports from its writer thread).
/// </summary>
public sealed class ProgressDisplay
{
    private const int BarWidth = 30;
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan JsonInterval = TimeSpan.FromMilliseconds(500);

    private readonly TextWriter? _bar;
    private readonly TextWriter? _json;
    private readonly string _label;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private TimeSpan _lastBar = -TimeSpan.FromDays(1);
    private TimeSpan _lastJson = -TimeSpan.FromDays(1);
    private bool _barDrawn;
    private long _lastDone = -1;

    public ProgressDisplay(CliContext context, bool machineReadable, string label)
    {
        _bar = context.IsTerminal ? context.Error : null;
        _json = machineReadable ? context.Out : null;
        _label = label;
    }

    public void Report(long done, long total)
    {
        lock (_gate)
        {
            var now = _watch.Elapsed;
            var final = done >= total;
            if (done == _lastDone)
            {
                return;
            }

            _lastDone = done;
            if (_json is not null && (final || now - _lastJson >= JsonInterval))
            {
                _lastJson = now;
                _json.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"type\":\"progress\",\"done\":{done},\"total\":{total}}}"));
                _json.Flush();
            }

            if (_bar is not null && (final || now - _lastBar >= BarInterval))
            {
                _lastBar = now;
                var fraction = total == 0 ? 1.0 : Math.Clamp((double)done / total, 0, 1);
                var filled = (int)(fraction * BarWidth);
                var rate = now.TotalSeconds > 0 ? done / now.TotalSeconds : 0;
                _bar.Write(string.Create(
                    CultureInfo.InvariantCulture,
                    $"\r{_label} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {fraction * 100,5:0.0}% {ByteSize.Format(done)}/{ByteSize.Format(total)} {ByteSize.Format((long)rate)}/s "));
                _bar.Flush();
                _barDrawn = true;
            }
        }
    }

    /// <summary>Ends the bar line (if one was drawn).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            if (_barDrawn)
            {
                _bar!.WriteLine();
                _barDrawn = false;
            }
        }
    }
}
