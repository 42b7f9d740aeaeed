using System.Globalization;
using System.Text;

namespace V2VConverter.Formats.Vmx;

/// <summary>One <c>key = "value"</c> line of a .vmx file, after unescaping.</summary>
public sealed record VmxEntry(string Key, string Value, int Line);

/// <summary>
/// A parsed .vmx file: case-insensitive keys, quoted values with <c>|XX</c> hex escapes,
/// <c>.encoding</c> honoured, comments and blank lines skipped, last duplicate wins (with a warning).
/// </summary>
public sealed partial class VmxDocument
{
    /// <summary>A .vmx larger than this is refused before it is read.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private readonly Dictionary<string, VmxEntry> _entries;

    private VmxDocument(string origin, Dictionary<string, VmxEntry> entries, Encoding encoding, IReadOnlyList<string> warnings)
    {
        Origin = origin;
        _entries = entries;
        Encoding = encoding;
        Warnings = warnings;
    }

    /// <summary>The file name (or URI) the text came from, used in every message.</summary>
    public string Origin { get; }

    /// <summary>The text encoding the file was decoded with.</summary>
    public Encoding Encoding { get; }

    /// <summary>Parser warnings such as duplicate keys, with line numbers.</summary>
    public IReadOnlyList<string> Warnings { get; }

    public IEnumerable<VmxEntry> Entries => _entries.Values.OrderBy(e => e.Line);

    public int Count => _entries.Count;

    public bool Contains(string key) => _entries.ContainsKey(key);

    public VmxEntry? GetEntry(string key) => _entries.TryGetValue(key, out var e) ? e : null;

    /// <summary>The value, or null when the key is absent.</summary>
    public string? Get(string key) => _entries.TryGetValue(key, out var e) ? e.Value : null;

    /// <summary>A non-empty trimmed value, or null.</summary>
    public string? GetNonEmpty(string key)
    {
        var v = Get(key)?.Trim();
        return string.IsNullOrEmpty(v) ? null : v;
    }

    /// <summary>VMware booleans: TRUE/FALSE, yes/no, 1/0, on/off (any case). Unknown text is an error naming the key.</summary>
    public bool GetBool(string key, bool defaultValue)
    {
        var e = GetEntry(key);
        if (e is null || e.Value.Trim().Length == 0)
        {
            return defaultValue;
        }

        return e.Value.Trim().ToLowerInvariant() switch
        {
            "true" or "yes" or "1" or "on" => true,
            "false" or "no" or "0" or "off" => false,
            _ => throw Invalid(e, "a boolean (TRUE or FALSE)"),
        };
    }

    /// <summary>An integer value; absent gives the default, malformed is an error naming the key and line.</summary>
    public long GetInt64(string key, long defaultValue, long min = long.MinValue, long max = long.MaxValue)
    {
        var e = GetEntry(key);
        if (e is null || e.Value.Trim().Length == 0)
        {
            return defaultValue;
        }

        if (!long.TryParse(e.Value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            throw Invalid(e, "a whole number");
        }

        if (n < min || n > max)
        {
            throw new InvalidDataException($"{Origin}:{e.Line}: {e.Key} = \"{e.Value}\" is out of range ({min}..{max})");
        }

        return n;
    }

    public int GetInt32(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        (int)GetInt64(key, defaultValue, min, max);

    public InvalidDataException Invalid(VmxEntry e, string expected) =>
        new($"{Origin}:{e.Line}: {e.Key} = \"{e.Value}\" is not {expected}");

    /// <summary>Where a key is, for messages: "file.vmx:12".</summary>
    public string Where(string key) => _entries.TryGetValue(key, out var e) ? $"{Origin}:{e.Line}" : Origin;
}
