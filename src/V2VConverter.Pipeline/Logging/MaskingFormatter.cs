using Serilog.Events;
using Serilog.Formatting;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline.Logging;

/// <summary>Formats with the inner formatter, then masks every registered secret: the policy sits in front of every sink.</summary>
public sealed class MaskingFormatter(ITextFormatter inner) : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var buffer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        inner.Format(logEvent, buffer);
        output.Write(Secrets.Mask(buffer.ToString()));
    }
}
