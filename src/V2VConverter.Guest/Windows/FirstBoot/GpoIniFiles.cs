using System.Globalization;
using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// The two text files of the local Group Policy object that register a machine startup script:
/// <c>GroupPolicy\Machine\Scripts\scripts.ini</c> (<c>[Startup]</c> <c>NCmdLine=</c>/<c>NParameters=</c>, [MS-GPSCR] 2.2.2)
/// and <c>GroupPolicy\gpt.ini</c> (<c>[General]</c> <c>gPCMachineExtensionNames</c> and <c>Version</c>, whose low 16 bits
/// count machine changes and high 16 bits user changes). Existing entries are kept; ours are appended.
/// </summary>
internal static partial class GpoIniFiles
{
    /// <summary>The Scripts client-side extension.</summary>
    public const string ScriptsCse = "{42B5FAAE-6536-11D2-AE5A-0000F87571E3}";

    /// <summary>The Scripts (Startup/Shutdown) editor extension paired with it for machine scripts.</summary>
    public const string ScriptsTool = "{40B6664F-4972-11D1-A7CA-0000F87571E3}";

    /// <summary>Bound on the ini text we accept from the guest (Windows' own files are a few hundred bytes).</summary>
    public const int MaxIniChars = 1 << 20;

    /// <summary>Bound on a script index read from scripts.ini.</summary>
    public const int MaxScriptIndex = 9999;

    /// <summary>Appends a startup script after the existing ones; returns the new text and the index it got.</summary>
    public static (string Text, int Index) AddStartupScript(string? existing, string cmdLine, string parameters)
    {
        var lines = SplitLines(existing, "scripts.ini");
        var (start, end) = FindSection(lines, "Startup");
        var index = 0;
        if (start < 0)
        {
            if (lines.Count == 0 || lines[^1].Trim().Length != 0)
            {
                lines.Add(string.Empty);
            }

            lines.Add("[Startup]");
            end = lines.Count;
        }
        else
        {
            for (var i = start + 1; i < end; i++)
            {
                var m = ScriptKey().Match(lines[i]);
                if (!m.Success)
                {
                    continue;
                }

                if (!int.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxScriptIndex)
                {
                    throw new InvalidDataException($"scripts.ini [Startup] key \"{m.Groups["n"].Value}CmdLine\" has an index above {MaxScriptIndex}");
                }

                index = Math.Max(index, n + 1);
            }

            // After the section's last non-blank line.
            while (end > start + 1 && lines[end - 1].Trim().Length == 0)
            {
                end--;
            }
        }

        var i2 = index.ToString(CultureInfo.InvariantCulture);
        lines.InsertRange(end, [$"{i2}CmdLine={cmdLine}", $"{i2}Parameters={parameters}"]);
        return (Join(lines), index);
    }

    /// <summary>Adds the Scripts extension pair to <c>gPCMachineExtensionNames</c> and bumps the machine half of <c>Version</c>.</summary>
    public static string RegisterScripts(string? existing)
    {
        var lines = SplitLines(existing, "gpt.ini");
        var (start, end) = FindSection(lines, "General");
        if (start < 0)
        {
            lines.Insert(0, "[General]");
            start = 0;
            end = 1;
        }

        var versionLine = -1;
        var extLine = -1;
        for (var i = start + 1; i < end; i++)
        {
            var name = KeyName(lines[i]);
            if (name.Equals("Version", StringComparison.OrdinalIgnoreCase))
            {
                versionLine = i;
            }
            else if (name.Equals("gPCMachineExtensionNames", StringComparison.OrdinalIgnoreCase))
            {
                extLine = i;
            }
        }

        var version = versionLine < 0 ? 0u : ParseVersion(ValueOf(lines[versionLine]));
        var machine = (version & 0xFFFF) % 0xFFFF + 1;
        var bumped = ((version >> 16) << 16) | machine;
        var ext = AddScriptsExtension(extLine < 0 ? string.Empty : ValueOf(lines[extLine]));

        var insertAt = start + 1;
        if (extLine >= 0)
        {
            lines[extLine] = "gPCMachineExtensionNames=" + ext;
        }
        else
        {
            lines.Insert(insertAt, "gPCMachineExtensionNames=" + ext);
            versionLine += versionLine >= insertAt ? 1 : 0;
            end++;
        }

        var versionText = "Version=" + bumped.ToString(CultureInfo.InvariantCulture);
        if (versionLine >= 0)
        {
            lines[versionLine] = versionText;
        }
        else
        {
            while (end > start + 1 && lines[end - 1].Trim().Length == 0)
            {
                end--;
            }

            lines.Insert(end, versionText);
        }

        return Join(lines);
    }

    /// <summary>The extension list with the Scripts pair inserted in GUID order (the order Windows keeps), unchanged when present.</summary>
    internal static string AddScriptsExtension(string value)
    {
        var v = value.Trim();
        if (!ExtensionList().IsMatch(v))
        {
            throw new InvalidDataException($"gpt.ini [General] gPCMachineExtensionNames \"{Shorten(v)}\" is not a list of [{{guid}}{{guid}}...] groups");
        }

        var groups = GroupPattern().Matches(v).Select(m => m.Value).ToList();
        if (groups.Any(g => g.StartsWith("[" + ScriptsCse, StringComparison.OrdinalIgnoreCase)))
        {
            return v;
        }

        groups.Add($"[{ScriptsCse}{ScriptsTool}]");
        groups.Sort(StringComparer.OrdinalIgnoreCase);
        return string.Concat(groups);
    }

    private static uint ParseVersion(string text)
    {
        if (!uint.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
        {
            throw new InvalidDataException($"gpt.ini [General] Version \"{Shorten(text)}\" is not an unsigned 32-bit number");
        }

        return v;
    }

    private static List<string> SplitLines(string? text, string file)
    {
        if (text is null)
        {
            return [];
        }

        if (text.Length > MaxIniChars)
        {
            throw new InvalidDataException($"{file} is {text.Length} characters long, above the bound of {MaxIniChars}");
        }

        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>The header line of [name] and the index after its last line (the next header or the end); (-1, -1) when absent.</summary>
    private static (int Start, int End) FindSection(List<string> lines, string name)
    {
        var start = lines.FindIndex(l => l.Trim().Equals("[" + name + "]", StringComparison.OrdinalIgnoreCase));
        if (start < 0)
        {
            return (-1, -1);
        }

        var next = lines.FindIndex(start + 1, l => l.TrimStart().StartsWith('['));
        return (start, next < 0 ? lines.Count : next);
    }

    private static string KeyName(string line)
    {
        var eq = line.IndexOf('=', StringComparison.Ordinal);
        return eq < 0 ? string.Empty : line[..eq].Trim();
    }

    private static string ValueOf(string line) => line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..];

    private static string Join(List<string> lines) => string.Concat(lines.Select(l => l + "\r\n"));

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "...";

    [GeneratedRegex(@"^\s*(?<n>[0-9]+)CmdLine\s*=", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ScriptKey();

    [GeneratedRegex(@"^(?:\[(?:\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\})+\])*$", RegexOptions.CultureInvariant)]
    private static partial Regex ExtensionList();

    [GeneratedRegex(@"\[[^\]]*\]", RegexOptions.CultureInvariant)]
    private static partial Regex GroupPattern();
}
