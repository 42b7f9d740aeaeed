using System.Globalization;
using System.Text;
using V2VConverter.Guest.Windows.Registry;
using Xunit;

namespace V2VConverter.TestSupport;

/// <summary>
/// A <c>hivexregedit --export</c> text read back into keys and typed <see cref="RegValue"/>s (the export writes strings as
/// hex(1)), so tests compare values, not notations. Keys and value names are case-insensitive; keys below
/// <c>prefix</c> lose it (an empty prefix keeps full paths).
/// </summary>
public sealed class RegExport
{
    private readonly Dictionary<string, Dictionary<string, RegValue>> _keys = new(StringComparer.OrdinalIgnoreCase);

    private RegExport()
    {
    }

    /// <summary>Key paths below the prefix ("ControlSet001\Services\viostor").</summary>
    public IReadOnlyCollection<string> Keys => _keys.Keys;

    public static RegExport Parse(string text, string prefix)
    {
        var r = new RegExport();
        Dictionary<string, RegValue>? current = null;
        foreach (var raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                var key = line[1..^1];
                key = prefix.Length > 0 && key.Length > prefix.Length && key.StartsWith(prefix + "\\", StringComparison.OrdinalIgnoreCase) ? key[(prefix.Length + 1)..] : prefix.Length > 0 && key.Equals(prefix, StringComparison.OrdinalIgnoreCase) ? "" : key;
                current = r._keys[key] = new Dictionary<string, RegValue>(StringComparer.OrdinalIgnoreCase);
                continue;
            }

            if (current is null || line.Length == 0 || line.StartsWith(';'))
            {
                continue;
            }

            var (name, rest) = Name(line);
            current[name] = Value(rest);
        }

        return r;
    }

    public bool HasKey(string key) => _keys.ContainsKey(key);

    public RegValue? Get(string key, string name) => _keys.TryGetValue(key, out var values) && values.TryGetValue(name, out var v) ? v : null;

    /// <summary>The value, or an assertion failure naming what is missing.</summary>
    public RegValue Require(string key, string name)
    {
        Assert.True(_keys.TryGetValue(key, out var values), $"key {key} is not in the export");
        Assert.True(values!.TryGetValue(name, out var v), $"value {name} is not under {key}; it has: {string.Join(", ", values.Keys)}");
        return v;
    }

    public IReadOnlyList<string> SubkeysOf(string key) =>
        _keys.Keys.Where(k => k.StartsWith(key + "\\", StringComparison.OrdinalIgnoreCase) && !k[(key.Length + 1)..].Contains('\\', StringComparison.Ordinal))
            .Select(k => k[(key.Length + 1)..]).Order(StringComparer.OrdinalIgnoreCase).ToList();

    private static (string Name, string Data) Name(string line)
    {
        if (line.StartsWith('@'))
        {
            return ("", line[2..]);
        }

        var sb = new StringBuilder();
        var i = 1;
        for (; i < line.Length && line[i] != '"'; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                i++;
            }

            sb.Append(line[i]);
        }

        return (sb.ToString(), line[(i + 2)..]);
    }

    private static RegValue Value(string data)
    {
        if (data.StartsWith("dword:", StringComparison.Ordinal))
        {
            return RegValue.Dword(uint.Parse(data[6..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        if (data.StartsWith("str(", StringComparison.Ordinal))
        {
            var kind = (RegKind)int.Parse(data[4..data.IndexOf(')', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            var body = data[(data.IndexOf('"', StringComparison.Ordinal) + 1)..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            return new RegValue(kind, Encoding.Unicode.GetBytes(body + "\0"));
        }

        if (data.StartsWith("hex", StringComparison.Ordinal))
        {
            var kind = data[3] == '(' ? (RegKind)int.Parse(data[4..data.IndexOf(')', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : RegKind.Binary;
            var hex = data[(data.IndexOf(':', StringComparison.Ordinal) + 1)..];
            var bytes = hex.Length == 0 ? [] : hex.Split(',').Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            return new RegValue(kind, bytes);
        }

        if (data.StartsWith('"'))
        {
            return RegValue.Sz(data[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal));
        }

        throw new FormatException($"unknown .reg value notation: {data}");
    }
}
