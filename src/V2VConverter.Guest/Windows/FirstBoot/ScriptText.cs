using System.Text;
using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// Builds a script as CRLF-terminated ASCII lines (no BOM), the form cmd.exe, PowerShell 2.0 and cscript all read.
/// </summary>
internal sealed partial class ScriptText
{
    private readonly StringBuilder _text = new();

    public ScriptText Line(string line = "")
    {
        if (line.Contains('\r', StringComparison.Ordinal) || line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a script line holds a line break: {line}", nameof(line));
        }

        _text.Append(line).Append("\r\n");
        return this;
    }

    public ScriptText Lines(IEnumerable<string> lines)
    {
        foreach (var l in lines)
        {
            Line(l);
        }

        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>The script's bytes; throws when a character is not ASCII (a bug here, not bad input: inputs are checked first).</summary>
    public byte[] ToAscii()
    {
        var s = _text.ToString();
        var bad = s.AsSpan().IndexOfAnyExceptInRange('\0', '\x7f');
        if (bad >= 0)
        {
            throw new InvalidOperationException($"script text holds the non-ASCII character U+{(int)s[bad]:X4} at {bad}");
        }

        return Encoding.ASCII.GetBytes(s);
    }

    /// <summary>
    /// Checks an absolute Windows path from the request (<c>C:\Windows\Drivers\VirtIO</c>): printable ASCII, no quote, no '%' (which cmd.exe
    /// expands even inside quotes) and no '^', so it can be written into a script between double quotes.
    /// </summary>
    public static string CheckPath(string? path, string what)
    {
        if (path is null || !WindowsPathPattern().IsMatch(path))
        {
            throw new ArgumentException($"{what} \"{path}\" is not an absolute Windows path of printable ASCII without quotes, '%' or '^'", what);
        }

        return path.TrimEnd('\\');
    }

    /// <summary>A PowerShell or VBScript single/double-quoted literal body: only printable ASCII, others become '?'.</summary>
    public static string Printable(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"^[A-Za-z]:\\(?:[ -!#-$&-\[\]_-~]+(?:\\[ -!#-$&-\[\]_-~]+)*)?\\?$", RegexOptions.CultureInvariant)]
    private static partial Regex WindowsPathPattern();
}
