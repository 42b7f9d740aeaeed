using System.Globalization;
using System.Text;

namespace V2VConverter.Formats.Vmdk;

public sealed partial class VmdkDescriptor
{
    private static readonly Lazy<bool> CodePagesRegistered = new(() =>
    {
        System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return true;
    });

    /// <summary>
    /// Parses descriptor bytes: stops at the first NUL, honours <c>encoding=</c>, accepts LF or CRLF,
    /// quoted or unquoted values and comments. More than <see cref="VmdkLimits.MaxDescriptorBytes"/> is refused.
    /// </summary>
    public static VmdkDescriptor Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length > VmdkLimits.MaxDescriptorBytes)
        {
            throw new InvalidDataException($"{source}: descriptor size {bytes.Length} bytes exceeds the {VmdkLimits.MaxDescriptorBytes}-byte bound");
        }

        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            bytes = bytes[..nul];
        }

        // UTF-8 BOM.
        if (bytes.StartsWith("\xEF\xBB\xBF"u8))
        {
            bytes = bytes[3..];
        }

        // The encoding line is ASCII: find it in a Latin-1 view, then decode the whole text with it.
        var latin1 = System.Text.Encoding.Latin1.GetString(bytes);
        var declared = FindEncoding(latin1);
        var encoding = ResolveEncoding(declared, out var encodingWarning);
        var text = encoding.GetString(bytes);
        var result = ParseText(text, source, declared ?? "UTF-8");
        if (encodingWarning is not null)
        {
            return result.With(warning: encodingWarning);
        }

        return result;
    }

    /// <summary>Parses descriptor text (already decoded).</summary>
    public static VmdkDescriptor Parse(string text, string source)
    {
        if (text.Length > VmdkLimits.MaxDescriptorBytes)
        {
            throw new InvalidDataException($"{source}: descriptor size {text.Length} characters exceeds the {VmdkLimits.MaxDescriptorBytes}-byte bound");
        }

        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        return ParseText(nul >= 0 ? text[..nul] : text, source, FindEncoding(text) ?? "UTF-8");
    }

    private VmdkDescriptor With(string warning) => new()
    {
        Source = Source,
        Version = Version,
        Cid = Cid,
        ParentCid = ParentCid,
        CreateType = CreateType,
        HasCreateType = HasCreateType,
        ParentFileNameHint = ParentFileNameHint,
        Encoding = Encoding,
        Extents = Extents,
        Header = Header,
        Ddb = Ddb,
        Warnings = [.. Warnings, warning],
    };

    private static string? FindEncoding(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("encoding", StringComparison.OrdinalIgnoreCase)
                && TrySplitKeyValue(line, out var key, out var value)
                && key.Equals("encoding", StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static Encoding ResolveEncoding(string? name, out string? warning)
    {
        warning = null;
        if (name is null || name.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || name.Equals("UTF8", StringComparison.OrdinalIgnoreCase))
        {
            return new UTF8Encoding(false, false);
        }

        _ = CodePagesRegistered.Value;
        try
        {
            return System.Text.Encoding.GetEncoding(name);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException) // UTF-7 throws NotSupportedException
        {
            warning = $"unknown descriptor encoding \"{name}\"; read as UTF-8";
            return new UTF8Encoding(false, false);
        }
    }

    private static VmdkDescriptor ParseText(string text, string source, string encodingName)
    {
        var header = new List<KeyValuePair<string, string>>();
        var ddb = new List<KeyValuePair<string, string>>();
        var extents = new List<VmdkExtentLine>();
        var warnings = new List<string>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var first = FirstToken(line);
            if (first is "RW" or "RDONLY" or "NOACCESS")
            {
                if (extents.Count >= VmdkLimits.MaxExtents)
                {
                    throw new InvalidDataException($"{source}: more than {VmdkLimits.MaxExtents} extent lines");
                }

                extents.Add(ParseExtentLine(line, lineNo, source));
                continue;
            }

            if (TrySplitKeyValue(line, out var key, out var value))
            {
                (key.StartsWith("ddb.", StringComparison.OrdinalIgnoreCase) ? ddb : header).Add(new(key, value));
                continue;
            }

            warnings.Add($"{source} line {lineNo}: ignored \"{Shorten(line)}\"");
        }

        string? Get(string k) => header.LastOrDefault(kv => kv.Key.Equals(k, StringComparison.OrdinalIgnoreCase)).Value;

        var versionText = Get("version");
        var version = 1;
        if (versionText is not null && !int.TryParse(versionText, NumberStyles.Integer, CultureInfo.InvariantCulture, out version))
        {
            throw new InvalidDataException($"{source}: field \"version\" has the bad value \"{Shorten(versionText)}\"");
        }

        var cidText = Get("CID");
        uint? cid = cidText is null ? null : ParseCid(cidText, "CID", source);
        var parentCidText = Get("parentCID");
        var parentCid = parentCidText is null ? NoParentCid : ParseCid(parentCidText, "parentCID", source);
        var createType = Get("createType");
        var hint = Get("parentFileNameHint");
        return new VmdkDescriptor
        {
            Source = source,
            Version = version,
            Cid = cid,
            ParentCid = parentCid,
            CreateType = string.IsNullOrEmpty(createType) ? "custom" : createType,
            HasCreateType = !string.IsNullOrEmpty(createType),
            ParentFileNameHint = string.IsNullOrEmpty(hint) ? null : hint,
            Encoding = encodingName,
            Extents = extents,
            Header = header,
            Ddb = ddb,
            Warnings = warnings,
        };
    }

    private static uint ParseCid(string text, string field, string source) =>
        uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"{source}: field \"{field}\" has the bad value \"{Shorten(text)}\" (expected 8 hex digits)");

    private static string FirstToken(string line)
    {
        var end = 0;
        while (end < line.Length && !char.IsWhiteSpace(line[end]))
        {
            end++;
        }

        return line[..end];
    }

    /// <summary>Splits <c>key = value</c> and strips one pair of quotes (a missing closing quote keeps the rest).</summary>
    internal static bool TrySplitKeyValue(string line, out string key, out string value)
    {
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            key = value = "";
            return false;
        }

        key = line[..eq].Trim();
        if (key.Length == 0 || key.Any(char.IsWhiteSpace))
        {
            value = "";
            return false;
        }

        var v = line[(eq + 1)..].Trim();
        if (v.Length > 0 && v[0] == '"')
        {
            var close = v.IndexOf('"', 1);
            v = close > 0 ? v[1..close] : v[1..];
        }

        value = v;
        return true;
    }

    private static VmdkExtentLine ParseExtentLine(string line, int lineNo, string source)
    {
        var tokens = Tokenize(line);
        string Where() => $"{source} line {lineNo}";
        if (tokens.Count < 3)
        {
            throw new InvalidDataException($"{Where()}: extent line \"{Shorten(line)}\" needs ACCESS SIZE TYPE");
        }

        var access = tokens[0] switch
        {
            "RW" => VmdkAccess.ReadWrite,
            "RDONLY" => VmdkAccess.ReadOnly,
            _ => VmdkAccess.NoAccess,
        };
        if (!long.TryParse(tokens[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size > VmdkLimits.MaxCapacityBytes / VmdkLimits.SectorSize)
        {
            throw new InvalidDataException($"{Where()}: field \"extent size\" has the bad value \"{Shorten(tokens[1])}\"");
        }

        var type = tokens[2].ToUpperInvariant();
        var file = tokens.Count > 3 ? tokens[3] : null;
        long offset = 0;
        if (tokens.Count > 4 && !long.TryParse(tokens[4], NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw new InvalidDataException($"{Where()}: field \"extent offset\" has the bad value \"{Shorten(tokens[4])}\"");
        }

        if (offset > VmdkLimits.MaxCapacityBytes / VmdkLimits.SectorSize)
        {
            throw new InvalidDataException($"{Where()}: field \"extent offset\" has the bad value {offset}");
        }

        return new VmdkExtentLine(access, size, type, file, offset, lineNo);
    }

    /// <summary>Whitespace-separated tokens; a double-quoted token may contain spaces.</summary>
    private static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length)
            {
                break;
            }

            if (line[i] == '"')
            {
                var close = line.IndexOf('"', i + 1);
                var end = close < 0 ? line.Length : close;
                tokens.Add(line[(i + 1)..end]);
                i = end + 1;
            }
            else
            {
                var start = i;
                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    i++;
                }

                tokens.Add(line[start..i]);
            }
        }

        return tokens;
    }

    internal static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
