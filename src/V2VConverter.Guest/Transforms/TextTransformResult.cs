namespace V2VConverter.Guest.Transforms;

/// <summary>One changed line of a guest file: its 1-based number, and the text before and after.</summary>
public sealed record LineChange(int Line, string Before, string After)
{
    public override string ToString() => $"line {Line}: - {Before}\n         + {After}";
}

/// <summary>What a pure text transform produced: the new text, the lines it changed and its warnings.</summary>
public sealed record TextTransformResult(string Text, IReadOnlyList<LineChange> Changes, IReadOnlyList<string> Warnings)
{
    public bool Changed => Changes.Count > 0;

    public static TextTransformResult Unchanged(string text, IReadOnlyList<string>? warnings = null) => new(text, [], warnings ?? []);
}

/// <summary>Splits guest text files into lines and joins them again without touching the line endings.</summary>
internal static class GuestText
{
    /// <summary>Lines without their terminators; the terminator of every line is kept separately.</summary>
    public static (List<string> Lines, List<string> Endings) Split(string text)
    {
        var lines = new List<string>();
        var endings = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                var end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                lines.Add(text[start..end]);
                endings.Add(text[end..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
            endings.Add("");
        }

        return (lines, endings);
    }

    public static string Join(List<string> lines, List<string> endings)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            sb.Append(lines[i]).Append(endings[i]);
        }

        return sb.ToString();
    }

    /// <summary>The newline style of a file ("\n" unless the file uses CRLF).</summary>
    public static string NewLine(string text) => text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

    /// <summary>Appends lines at the end, adding a missing final newline first.</summary>
    public static string Append(string text, IEnumerable<string> newLines)
    {
        var nl = NewLine(text);
        var sb = new System.Text.StringBuilder(text);
        if (sb.Length > 0 && sb[^1] != '\n')
        {
            sb.Append(nl);
        }

        foreach (var l in newLines)
        {
            sb.Append(l).Append(nl);
        }

        return sb.ToString();
    }
}
