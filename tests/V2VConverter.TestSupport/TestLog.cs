using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace V2VConverter.TestSupport;

/// <summary>One event as a test sees it: level, rendered text, and the source place when one was given.</summary>
public sealed record LoggedEvent(LogEventLevel Level, string Message, string? File);

/// <summary>A Serilog logger whose events a test can read back (the stages log only through ILogger).</summary>
public sealed class TestLog : ILogEventSink
{
    private readonly List<LoggedEvent> _events = [];
    private readonly Lock _gate = new();
    private readonly Action<string>? _onLine;

    /// <param name="onLine">Also called with each event's rendered text, as it is logged.</param>
    public TestLog(Action<string>? onLine = null)
    {
        _onLine = onLine;
        Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();
    }

    public ILogger Logger { get; }

    public IReadOnlyList<LoggedEvent> Events
    {
        get { lock (_gate) { return _events.ToArray(); } }
    }

    public IReadOnlyList<LoggedEvent> Warnings => Events.Where(e => e.Level >= LogEventLevel.Warning).ToArray();

    public IReadOnlyList<LoggedEvent> Infos => Events.Where(e => e.Level == LogEventLevel.Information).ToArray();

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var file = logEvent.Properties.TryGetValue("File", out var f) && f is ScalarValue { Value: string s } ? s : null;
        lock (_gate)
        {
            _events.Add(new LoggedEvent(logEvent.Level, logEvent.RenderMessage(), file));
        }

        _onLine?.Invoke(logEvent.RenderMessage());
    }
}
