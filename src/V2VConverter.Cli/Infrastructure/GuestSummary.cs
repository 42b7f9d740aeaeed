using System.Text.RegularExpressions;
using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// What <c>convert</c> says about the guest, without -v: one line per fixup with its status, what it ran,
/// and for each file it changed the words that changed (<c>/dev/sda1 -> UUID=...</c>). The whole
/// before/after lines are in the report JSON.
/// </summary>
public static partial class GuestSummary
{
    private const int MaxChangesPerFile = 3;

    public static IEnumerable<string> Lines(GuestConversionReport guest, string converter, string? reportPath)
    {
        ArgumentNullException.ThrowIfNull(guest);
        if (guest.CompatibilityMode)
        {
            yield return "not converted (see the warning above): compatibility copy, SATA disks and e1000 NICs";
            yield break;
        }

        var applied = guest.Fixups.Count(f => f.Status == FixupStatus.Applied);
        yield return $"{applied} of {guest.Fixups.Count} fixup(s) applied by the {converter} converter in {guest.TotalTime.TotalSeconds:F1} s (appliance: {guest.Accelerator}){(reportPath is null ? "" : $"; every changed line is in {reportPath}")}";
        var width = guest.Fixups.Select(f => f.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var f in guest.Fixups)
        {
            var parts = f.Actions.Select(Action)
                .Concat(f.Files.Select(File))
                .Concat(f.Warnings.Select(w => "warning: " + w));
            yield return $"  {f.Name.PadRight(width)}  {Status(f.Status)}  {string.Join("; ", parts)}".TrimEnd();
        }
    }

    private static string Status(FixupStatus s) => s switch
    {
        FixupStatus.Applied => "applied    ",
        FixupStatus.NotNeeded => "not needed ",
        _ => "FAILED     ",
    };

    /// <summary>"ran X (12.0 s): the command's last output line" without the output line.</summary>
    private static string Action(string action) => TimedAction().Match(action) is { Success: true } m ? m.Groups[1].Value : action;

    /// <summary>"/etc/fstab: /dev/sda1 -> UUID=..., ..." from the changed words; added lines as "+ a b"; a new file as "new".</summary>
    private static string File(FileChange file)
    {
        if (file.Created)
        {
            return $"{file.Path}: new";
        }

        if (file.Deleted)
        {
            return $"{file.Path}: removed";
        }

        var changes = new List<string>();
        var added = new List<string>();
        foreach (var line in file.Lines)
        {
            if (line.Before.Length == 0)
            {
                if (line.After.Length > 0 && !line.After.StartsWith('#'))
                {
                    added.Add(line.After.Trim());
                }

                continue;
            }

            var (before, after) = ChangedWords(line.Before, line.After);
            var change = after.Length == 0 ? $"- {before}" : $"{before} -> {after}";
            if (!changes.Contains(change, StringComparer.Ordinal))
            {
                changes.Add(change);
            }
        }

        var text = string.Join(", ", changes.Take(MaxChangesPerFile)) + (changes.Count > MaxChangesPerFile ? ", ..." : "");
        if (added.Count > 0)
        {
            text += (text.Length > 0 ? ", " : "") + "+ " + string.Join(' ', added);
        }

        return $"{file.Path}: {text}";
    }

    /// <summary>The words of <paramref name="before"/> and <paramref name="after"/> between their common first and last words.</summary>
    internal static (string Before, string After) ChangedWords(string before, string after)
    {
        var b = before.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var a = after.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var head = 0;
        while (head < b.Length && head < a.Length && b[head] == a[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < b.Length - head && tail < a.Length - head && b[^(tail + 1)] == a[^(tail + 1)])
        {
            tail++;
        }

        return (string.Join(' ', b[head..^tail]), string.Join(' ', a[head..^tail]));
    }

    [GeneratedRegex(@"^(.*\(\d+(?:\.\d+)? s\)): ")]
    private static partial Regex TimedAction();
}
