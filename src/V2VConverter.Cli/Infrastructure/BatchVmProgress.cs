using System.Diagnostics;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// One VM's row in <see cref="BatchProgressView"/>: its state and copy progress, written by the runner's threads and read
/// by the refresh thread without a lock (each field is read and written whole; a row is at worst one refresh late).
/// </summary>
internal sealed class BatchVmProgress(BatchVmRow row, long now)
{
    private long _done;
    private long _total = row.TotalBytes;
    private int _state = (int)row.State;
    private string? _detail;
    private long _copyStartTicks = now;
    private long _copyStartDone;
    private int _plainDecile;
    private long _lastJsonTicks;
    private long _lastJsonDone = -1;

    public string Vm { get; } = row.Vm;

    public string Target { get; } = row.Target;

    public string Host { get; } = row.Host;

    public long Done => Volatile.Read(ref _done);

    public long Total => Volatile.Read(ref _total);

    public BatchVmState State => (BatchVmState)Volatile.Read(ref _state);

    public string? Detail => Volatile.Read(ref _detail);

    /// <summary>Records a state; a new copy restarts the rate and the plain-line steps.</summary>
    public void SetState(BatchVmState state, string? detail, long now)
    {
        if (state == BatchVmState.Copying && State != BatchVmState.Copying)
        {
            Volatile.Write(ref _copyStartTicks, now);
            Volatile.Write(ref _copyStartDone, Done);
            Volatile.Write(ref _plainDecile, 0);
        }

        Volatile.Write(ref _detail, detail);
        Volatile.Write(ref _state, (int)state);
    }

    public void SetProgress(long done, long total)
    {
        Volatile.Write(ref _total, total);
        Volatile.Write(ref _done, done);
    }

    /// <summary>True for the one caller that moves the VM past a new tenth of its copy (a plain line is due).</summary>
    public bool TakeDecile(long done, long total)
    {
        var decile = total <= 0 ? 10 : (int)Math.Clamp(done * 10 / total, 0, 10);
        var last = Volatile.Read(ref _plainDecile);
        return decile > last && Interlocked.CompareExchange(ref _plainDecile, decile, last) == last;
    }

    /// <summary>True for the one caller whose report is due as a JSON line: <paramref name="interval"/> after the last, or the last byte.</summary>
    public bool TakeJson(long done, long total, long now, long interval)
    {
        var last = Volatile.Read(ref _lastJsonTicks);
        var lastDone = Volatile.Read(ref _lastJsonDone);
        var due = lastDone < 0 || (done >= total && lastDone != done) || now - last >= interval;
        if (!due || Interlocked.CompareExchange(ref _lastJsonTicks, now, last) != last)
        {
            return false;
        }

        Volatile.Write(ref _lastJsonDone, done);
        return true;
    }

    /// <summary>Bytes per second since the copy started (0 before a second has passed).</summary>
    public double Rate(long now)
    {
        var seconds = (double)(now - Volatile.Read(ref _copyStartTicks)) / Stopwatch.Frequency;
        return seconds < 1 ? 0 : Math.Max(0, Done - Volatile.Read(ref _copyStartDone)) / seconds;
    }
}
