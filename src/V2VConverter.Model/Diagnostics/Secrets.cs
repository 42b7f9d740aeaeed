using System.Collections.Concurrent;

namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// The masking policy: every secret the tool reads (a password from a file, the environment or
/// ~/.netrc) is registered here the moment it is read, and every sink, report and error message
/// passes its text through <see cref="Mask"/>. Nothing depends on a caller remembering not to log it.
/// </summary>
public static class Secrets
{
    public const string Replacement = "********";

    private static readonly ConcurrentDictionary<string, byte> Known = new(StringComparer.Ordinal);

    /// <summary>Registers a secret. Very short values (under 4 characters) are masked too, but only as whole words would be too weak a rule, so they are masked everywhere.</summary>
    public static void Register(string? secret)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            Known.TryAdd(secret, 0);
        }
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
}
