using System.Globalization;
using System.Text;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Tests.Windows;

/// <summary>
/// Reads <c>hivexregedit --export</c> text back into keys and <see cref="RegValue"/>s, so tests compare typed values
/// (a REG_MULTI_SZ's strings, a DWORD) rather than hex lines. Keys and value names are case-insensitive.
/// </summary>
internal static class RegExport
{
    public static Dictionary<string, Dictionary<string, RegValue>> Parse(string text)
    {
        var keys = new Dictionary<string, Dictionary<string, RegValue>>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, RegValue>? current = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = new Dictionary<string, RegValue>(StringComparer.OrdinalIgnoreCase);
                keys[line[1..^1]] = current;
            }
            else if (current is not null && (line.StartsWith('"') || line.StartsWith("@=", StringComparison.Ordinal)))
            {
                var (name, rest) = line[0] == '@' ? ("", line[2..]) : SplitName(line);
                current[name] = ParseValue(rest, line);
            }
        }

        return keys;
    }

    /// <summary>The value, or an assertion failure naming what is missing.</summary>
    public static RegValue Get(this Dictionary<string, Dictionary<string, RegValue>> reg, string key, string name)
    {
        Assert.True(reg.TryGetValue(key, out var values), $"key {key} is not in the export");
        Assert.True(values!.TryGetValue(name, out var v), $"value {name} is not under {key}; it has: {string.Join(", ", values.Keys)}");
        return v;
    }

    private static (string Name, string Tail) SplitName(string line)
    {
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

        if (i + 1 >= line.Length || line[i + 1] != '=')
        {
            throw new InvalidDataException($"export line without '\"name\"=': {line}");
        }

        return (sb.ToString(), line[(i + 2)..]);
    }

    private static RegValue ParseValue(string v, string line)
    {
        if (v.StartsWith("dword:", StringComparison.Ordinal))
        {
            return RegValue.Dword(uint.Parse(v[6..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        if (v.StartsWith("hex", StringComparison.Ordinal))
        {
            var colon = v.IndexOf(':', StringComparison.Ordinal);
            var kind = v[3] == '(' ? int.Parse(v[4..v.IndexOf(')', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 3;
            var hex = v[(colon + 1)..].Replace(",", "", StringComparison.Ordinal).Trim();
            return new RegValue((RegKind)kind, Convert.FromHexString(hex));
        }

        if (v.StartsWith("str(", StringComparison.Ordinal) || v.StartsWith('"'))
        {
            var kind = v[0] == '"' ? 1 : int.Parse(v[4..v.IndexOf(')', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var (s, _) = SplitName(v[v.IndexOf('"', StringComparison.Ordinal)..] + "=");
            return new RegValue((RegKind)kind, Encoding.Unicode.GetBytes(s + "\0"));
        }

        throw new InvalidDataException($"export value of an unknown form: {line}");
    }
}
