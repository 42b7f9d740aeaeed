using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// The masking policy: every secret the tool reads (a password from a file, the environment or
/// ~/.netrc) is registered here the moment it is read, and every sink, report and error message
/// passes its text through <see cref="Mask"/>. Nothing depends on a caller remembering not to log it.
/// A secret is also masked in the forms it takes when a server echoes it or a sink encodes it: XML-escaped
/// (a SOAP fault that quotes the Login request), URL-encoded, and JSON-escaped (the log file), and the
/// JSON forms of those.
/// </summary>
public static class Secrets
{
    public const string Replacement = "********";

    private static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);

    /// <summary>Registers a secret. Very short values (under 4 characters) are masked too, but only as whole words would be too weak a rule, so they are masked everywhere.</summary>
    public static void Register(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        foreach (var form in FormsOf(secret))
        {
            Known.TryAdd(form, 0);
        }
    }

    /// <summary>The secret as it reads raw, XML-escaped, URL-encoded, and each of those JSON-escaped.</summary>
    public static IReadOnlySet<string> FormsOf(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var xmlText = secret.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
        var url = Uri.EscapeDataString(secret);
        var form = System.Net.WebUtility.UrlEncode(secret);
        string[] bases =
        [
            secret,
            xmlText,
            xmlText.Replace(">", "&gt;", StringComparison.Ordinal),
            xmlText.Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal),
            System.Security.SecurityElement.Escape(secret),
            url,
            LowerHex(url),
            form,
            LowerHex(form),
        ];
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in bases)
        {
            forms.Add(b);
            forms.Add(JsonMinimal(b));
            forms.Add(JsonEncodedText.Encode(b).ToString());
            forms.Add(JsonEncodedText.Encode(b, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString());
        }

        return forms;
    }

    /// <summary>The text with every registered secret replaced by <see cref="Replacement"/> (longest first).</summary>
    public static string Mask(string text)
    {
        if (string.IsNullOrEmpty(text) || Known.IsEmpty)
        {
            return text;
        }

        foreach (var s in Known.Keys.OrderByDescending(k => k.Length))
        {
            if (text.Contains(s, StringComparison.Ordinal))
            {
                text = text.Replace(s, Replacement, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>JSON string escaping as Serilog's formatters write it: quote, backslash and control characters only.</summary>
    private static string JsonMinimal(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            _ = c switch
            {
                '"' => sb.Append("\\\""),
                '\\' => sb.Append("\\\\"),
                '\n' => sb.Append("\\n"),
                '\r' => sb.Append("\\r"),
                '\t' => sb.Append("\\t"),
                < ' ' => sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }

    private static string LowerHex(string url)
    {
        var chars = url.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] == '%')
            {
                chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
                chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
            }
        }

        return new string(chars);
    }
}
