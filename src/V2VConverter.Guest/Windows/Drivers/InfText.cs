using System.Text;

namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>One line of an INF section: its key (null for a line without '='), its comma-separated fields with quotes
/// removed (not yet %substituted%), the whole value unquoted (for [Strings]) and its line number.</summary>
internal sealed record InfLine(string? Key, IReadOnlyList<string> Fields, string Value, int Number);

/// <summary>
/// The text level of an INF file: decoding (UTF-16LE or BE with BOM, UTF-16LE without BOM, UTF-8 with or without
/// BOM, else Latin-1 for ANSI files), ';' comments outside quotes, '\' line continuation, [section] headers (merged
/// when repeated, names case-insensitive), key = value lines split on commas outside "quotes" ("" is a quote).
/// </summary>
internal static class InfText
{
    /// <summary>The largest INF accepted (real virtio-win INFs are a few KiB to ~100 KiB).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    public static string Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new InvalidDataException($"INF '{name}' is {bytes.Length} bytes, more than the {MaxBytes} bytes (4 MiB) an INF may have");
        }

        string text;
        try
        {
            text = bytes switch
            {
                [0xFF, 0xFE, ..] => new UnicodeEncoding(false, false, true).GetString(bytes[2..]),
                [0xFE, 0xFF, ..] => new UnicodeEncoding(true, false, true).GetString(bytes[2..]),
                [0xEF, 0xBB, 0xBF, ..] => new UTF8Encoding(false, true).GetString(bytes[3..]),
                [not 0, 0, ..] => new UnicodeEncoding(false, false, true).GetString(bytes),
                _ => DecodeUtf8OrLatin1(bytes),
            };
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"INF '{name}' is not valid UTF-16 text: {e.Message}", e);
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x20 && c is not ('\t' or '\r' or '\n' or '\f' or '\x1A'))
            {
                throw new InvalidDataException($"INF '{name}' is not a text file: control character 0x{(int)c:X2} at character {i}");
            }
        }

        return text;
    }

    /// <summary>The sections in file order (repeated ones merged), each with its lines.</summary>
    public static List<(string Name, List<InfLine> Lines)> Parse(string text, string name)
    {
        var sections = new List<(string Name, List<InfLine> Lines)>();
        var byName = new Dictionary<string, List<InfLine>>(StringComparer.OrdinalIgnoreCase);
        List<InfLine>? current = null;
        var physical = text.Split('\n');
        for (var i = 0; i < physical.Length; i++)
        {
            var number = i + 1;
            var line = StripComment(physical[i]).Trim();
            while (line.EndsWith('\\') && i + 1 < physical.Length)
            {
                line = line[..^1] + StripComment(physical[++i]).Trim();
            }

            line = line.Trim(' ', '\t', '\r', '\f', '\x1A');
            if (line.Length == 0)
            {
                continue;
            }

            if (line[0] == '[')
            {
                var close = line.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw new InvalidDataException($"INF '{name}' line {number}: section header '{line}' has no ']'");
                }

                var section = line[1..close].Trim();
                if (!byName.TryGetValue(section, out current))
                {
                    current = [];
                    byName[section] = current;
                    sections.Add((section, current));
                }

                continue;
            }

            current?.Add(ParseLine(line, number));
        }

        return sections;
    }

    private static InfLine ParseLine(string line, int number)
    {
        var eq = IndexOutsideQuotes(line, '=', 0);
        var key = eq < 0 ? null : Unquote(line[..eq].Trim());
        var value = eq < 0 ? line : line[(eq + 1)..].Trim();
        var fields = new List<string>();
        for (var start = 0; ;)
        {
            var comma = IndexOutsideQuotes(value, ',', start);
            fields.Add(Unquote(value[start..(comma < 0 ? value.Length : comma)].Trim()));
            if (comma < 0)
            {
                break;
            }

            start = comma + 1;
        }

        return new InfLine(key, fields, Unquote(value), number);
    }

    private static string StripComment(string line)
    {
        var semicolon = IndexOutsideQuotes(line, ';', 0);
        return semicolon < 0 ? line : line[..semicolon];
    }

    private static int IndexOutsideQuotes(string s, char wanted, int start)
    {
        var quoted = false;
        for (var i = start; i < s.Length; i++)
        {
            if (s[i] == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && s[i] == wanted)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Removes quotes; inside a quoted run "" stands for one quote.</summary>
    private static string Unquote(string s)
    {
        if (!s.Contains('"', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        var quoted = false;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '"')
            {
                sb.Append(s[i]);
            }
            else if (quoted && i + 1 < s.Length && s[i + 1] == '"')
            {
                sb.Append('"');
                i++;
            }
            else
            {
                quoted = !quoted;
            }
        }

        return sb.ToString();
    }

    private static string DecodeUtf8OrLatin1(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }
}
