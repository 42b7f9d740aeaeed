using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// Where a format reader's warnings go: each one is logged as a warning on the run's logger the moment it is found
/// (so it reaches the console, the log file and the report's "warnings"), and kept for <c>disk info</c>. There is no
/// other way for a reader to record a warning, so none can be lost.
/// </summary>
public sealed class FormatWarnings(ILogger? log)
{
    private readonly List<string> _items = [];
    private readonly ILogger _log = log ?? LogExtensions.None;
    private readonly Lock _gate = new();

    /// <summary>Every warning so far, in order.</summary>
    public IReadOnlyList<string> Items
    {
        get { lock (_gate) { return [.. _items]; } }
    }

    public void Add(string text)
    {
        lock (_gate)
        {
            _items.Add(text);
        }

        _log.Warn(text);
    }
}
