namespace V2VConverter.Model.Diagnostics;

/// <summary>Severity of a diagnostic raised while reading or planning a conversion.</summary>
public enum Severity
{
    Info,
    Warning,
}

/// <summary>One message with the place it came from (file and line where known).</summary>
public sealed record Diagnostic(Severity Severity, string Message, string? Source = null, int? Line = null)
{
    public override string ToString()
    {
        var where = Source is null ? "" : Line is null ? $"{Source}: " : $"{Source}:{Line}: ";
        var level = Severity == Severity.Warning ? "warning" : "info";
        return $"{level}: {where}{Message}";
    }
}

/// <summary>
/// Collects warnings and decisions. Stages add to it; the CLI prints it. Thread-safe so that
/// parallel stages (disk copies) can report into one bag.
/// </summary>
public sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    private readonly Lock _gate = new();

    public event Action<Diagnostic>? Added;

    public IReadOnlyList<Diagnostic> Items
    {
        get { lock (_gate) { return _items.ToArray(); } }
    }

    public IEnumerable<Diagnostic> Warnings => Items.Where(d => d.Severity == Severity.Warning);

    public void Add(Diagnostic d)
    {
        lock (_gate) { _items.Add(d); }
        Added?.Invoke(d);
    }

    public void Warn(string message, string? source = null, int? line = null) =>
        Add(new Diagnostic(Severity.Warning, message, source, line));

    public void Info(string message, string? source = null, int? line = null) =>
        Add(new Diagnostic(Severity.Info, message, source, line));
}
