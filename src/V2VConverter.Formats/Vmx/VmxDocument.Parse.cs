using System.Text;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Vmx;

public sealed partial class VmxDocument
{
    static VmxDocument() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>
    /// Reads and parses a .vmx file, at most <see cref="MaxFileBytes"/> bytes (checked before and while it is read).
    /// A FIFO, a folder or a device is refused (see <see cref="InputFile"/>).
    /// </summary>
    public static VmxDocument Load(string path) => Parse(InputFile.ReadAllBytes(path, MaxFileBytes), path);

    /// <summary>Parses .vmx bytes. <paramref name="origin"/> names the source in every message.</summary>
    public static VmxDocument Parse(ReadOnlySpan<byte> content, string origin)
    {
        if (content.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{origin}: content is {content.Length} bytes; a .vmx file is at most {MaxFileBytes} bytes");
        }

        var nul = content.IndexOf((byte)0);
        if (nul >= 0)
        {
            var line = LineOf(content, nul);
            throw new InvalidDataException($"{origin}:{line}: not a .vmx text file (binary data: NUL byte at offset {nul})");
        }

        // Skip a UTF-8 byte order mark.
        if (content.StartsWith("\xEF\xBB\xBF"u8))
        {
            content = content[3..];
        }

        var encoding = DetectEncoding(content, origin);
        string text;
        try
        {
            text = encoding.GetString(content);
        }
        catch (DecoderFallbackException ex)
        {
            var offset = ex.Index >= 0 ? ex.Index : 0;
            var line = FirstInvalidUtf8Line(content) ?? LineOf(content, offset);
            throw new InvalidDataException(
                $"{origin}:{line}: text is not valid {encoding.WebName} and the file has no .encoding key; add a line such as .encoding = \"windows-1252\"");
        }

        return ParseText(text, origin, encoding);
    }

    private static VmxDocument ParseText(string text, string origin, Encoding encoding)
    {
        var entries = new Dictionary<string, VmxEntry>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        var lineNo = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNo++;
            var line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new InvalidDataException($"{origin}:{lineNo}: expected key = \"value\", found \"{Shorten(line)}\"");
            }

            var key = line[..eq].Trim();
            if (key.Length == 0 || key.Any(char.IsWhiteSpace) || key.Contains('"'))
            {
                throw new InvalidDataException($"{origin}:{lineNo}: invalid key \"{Shorten(key)}\"");
            }

            var value = ParseValue(line[(eq + 1)..].Trim(), origin, lineNo, key, encoding);
            if (entries.TryGetValue(key, out var previous))
            {
                warnings.Add($"{origin}:{lineNo}: duplicate key {key} (first at line {previous.Line}); the last value \"{Shorten(value)}\" wins");
            }

            entries[key] = new VmxEntry(key, value, lineNo);
        }

        return new VmxDocument(origin, entries, encoding, warnings);
    }

    /// <summary>Quoted values may contain <c>|XX</c> hex escapes; unquoted values are taken as they are.</summary>
    private static string ParseValue(string raw, string origin, int lineNo, string key, Encoding encoding)
    {
        if (raw.Length == 0 || raw[0] != '"')
        {
            // Unquoted (VMware always quotes, hand-edited files sometimes do not). A trailing comment is dropped.
            var hash = raw.IndexOf(" #", StringComparison.Ordinal);
            return (hash >= 0 ? raw[..hash] : raw).Trim();
        }

        var close = raw.IndexOf('"', 1);
        if (close < 0)
        {
            throw new InvalidDataException($"{origin}:{lineNo}: {key}: unterminated quoted value");
        }

        var rest = raw[(close + 1)..].Trim();
        if (rest.Length > 0 && rest[0] != '#')
        {
            throw new InvalidDataException($"{origin}:{lineNo}: {key}: unexpected text after the closing quote: \"{Shorten(rest)}\"");
        }

        return Unescape(raw[1..close], encoding);
    }

    /// <summary>
    /// <c>|XX</c> is a byte in the file's encoding (VMware escapes quotes, pipes and control characters,
    /// and some writers escape every non-ASCII byte), so escapes are decoded as bytes, then as text.
    /// </summary>
    private static string Unescape(string s, Encoding encoding)
    {
        if (!s.Contains('|'))
        {
            return s;
        }

        var bytes = new List<byte>(s.Length);
        var run = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '|' && i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]))
            {
                if (run.Length > 0)
                {
                    bytes.AddRange(encoding.GetBytes(run.ToString()));
                    run.Clear();
                }

                bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                run.Append(s[i]);
            }
        }

        bytes.AddRange(encoding.GetBytes(run.ToString()));
        var lenient = (Encoding)encoding.Clone();
        lenient.DecoderFallback = DecoderFallback.ReplacementFallback;
        return lenient.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static Encoding DetectEncoding(ReadOnlySpan<byte> content, string origin)
    {
        // The .encoding key is ASCII, so it can be found before the text is decoded.
        var lineNo = 0;
        var start = 0;
        while (start <= content.Length)
        {
            lineNo++;
            var nl = content[start..].IndexOf((byte)'\n');
            var line = nl < 0 ? content[start..] : content.Slice(start, nl);
            var ascii = Encoding.Latin1.GetString(line).Trim();
            if (ascii.StartsWith(".encoding", StringComparison.OrdinalIgnoreCase))
            {
                var eq = ascii.IndexOf('=');
                if (eq > 0 && ascii[..eq].Trim().Equals(".encoding", StringComparison.OrdinalIgnoreCase))
                {
                    var name = ascii[(eq + 1)..].Trim().Trim('"').Trim();
                    return ResolveEncoding(name, origin, lineNo);
                }
            }

            if (nl < 0)
            {
                break;
            }

            start += nl + 1;
        }

        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    }

    private static Encoding ResolveEncoding(string name, string origin, int lineNo)
    {
        // VMware writes names such as "UTF-8", "windows-1252", "GBK", "Big5", "Shift_JIS", "EUC-KR".
        var normalized = name.ToLowerInvariant() switch
        {
            "utf8" => "utf-8",
            "sjis" or "shift-jis" or "shiftjis" or "cp932" => "shift_jis",
            "cp936" or "gb2312" => "gbk",
            "cp950" => "big5",
            "cp1252" => "windows-1252",
            var other => other,
        };
        try
        {
            var enc = Encoding.GetEncoding(normalized, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return enc.CodePage == 65001 ? new UTF8Encoding(false, true) : enc;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) // UTF-7 throws NotSupportedException (with a web link)
        {
            throw new InvalidDataException($"{origin}:{lineNo}: .encoding = \"{name}\" is not an encoding this tool reads (VMware writes UTF-8, windows-1252, GBK, Big5, Shift_JIS, EUC-KR)");
        }
    }

    private static int LineOf(ReadOnlySpan<byte> content, int offset) =>
        content[..Math.Min(offset, content.Length)].Count((byte)'\n') + 1;

    private static int? FirstInvalidUtf8Line(ReadOnlySpan<byte> content)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(content, new char[content.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.InvalidData ? LineOf(content, read) : null;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
