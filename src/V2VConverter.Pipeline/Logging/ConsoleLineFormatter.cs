using Serilog.Events;
using Serilog.Formatting;

namespace V2VConverter.Pipeline.Logging;

/// <summary>One line per event for people: <c>v2v: warning: FILE:LINE: text</c>, <c>v2v: info: text</c>, <c>v2v: debug: text</c>.</summary>
public sealed class ConsoleLineFormatter : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        output.Write("v2v: ");
        output.Write(Describe(logEvent));
        output.WriteLine();
    }

    /// <summary>The event without the "v2v: " prefix, as the report lists warnings: <c>warning: FILE:LINE: text</c>.</summary>
    public static string Describe(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var level = logEvent.Level switch
        {
            LogEventLevel.Fatal or LogEventLevel.Error => "error",
            LogEventLevel.Warning => "warning",
            LogEventLevel.Information => "info",
            _ => "debug",
        };
        return $"{level}: {Where(logEvent)}{logEvent.RenderMessage()}";
    }

    /// <summary>"FILE:LINE: " from the File and Line properties, or "".</summary>
    public static string Where(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        if (!logEvent.Properties.TryGetValue("File", out var file) || file is not ScalarValue { Value: string f })
        {
            return "";
        }

        return logEvent.Properties.TryGetValue("Line", out var line) && line is ScalarValue { Value: int l } ? $"{f}:{l}: " : $"{f}: ";
    }
}
