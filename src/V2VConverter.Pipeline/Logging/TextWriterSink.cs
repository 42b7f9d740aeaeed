using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace V2VConverter.Pipeline.Logging;

/// <summary>
/// Serilog's sink for the CLI's injected writer (stderr in the tool, a StringWriter in tests): the console
/// sink package writes only to the process console, which the CLI tests could not capture.
/// </summary>
public sealed class TextWriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
