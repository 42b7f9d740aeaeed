using Serilog.Core;
using Serilog.Events;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline.Logging;

/// <summary>Keeps the run's warnings for the report and for <c>inspect</c>'s summary (masked like every sink).</summary>
public sealed class WarningCollector : ILogEventSink
{
    private readonly List<(string Line, string Text)> _items = [];
    private readonly Lock _gate = new();

    /// <summary>Each warning as the report lists it: <c>warning: FILE:LINE: text</c>.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) { return _items.Select(i => i.Line).ToArray(); } }
    }

    /// <summary>Each warning's text alone.</summary>
    public IReadOnlyList<string> Texts
    {
        get { lock (_gate) { return _items.Select(i => i.Text).ToArray(); } }
    }

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        if (logEvent.Level < LogEventLevel.Warning)
        {
            return;
        }

        var line = Secrets.Mask(ConsoleLineFormatter.Describe(logEvent));
        var text = Secrets.Mask(logEvent.RenderMessage());
        lock (_gate)
        {
            _items.Add((line, text));
        }
    }
}
