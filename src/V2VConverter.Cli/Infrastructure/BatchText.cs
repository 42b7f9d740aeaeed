using System.Globalization;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.Pipeline.Documents;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>How a batch's states, counts and times read in the tables of <c>v2v run</c> and <c>v2v status</c>.</summary>
internal static class BatchText
{
    /// <summary>A state as the documents name it: <c>converting-guest</c>.</summary>
    public static string Name(BatchVmState state) => DocumentNames.Of(state);

    /// <summary><c>5 VM(s): 3 done, 1 failed, 1 skipped</c>: the states in the order of a conversion.</summary>
    public static string Counts(IEnumerable<BatchVmState> states)
    {
        var list = states.ToList();
        var parts = Enum.GetValues<BatchVmState>()
            .Select(s => (State: s, Count: list.Count(x => x == s)))
            .Where(c => c.Count > 0)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Count} {Name(c.State)}"));
        var tail = string.Join(", ", parts);
        return string.Create(CultureInfo.InvariantCulture, $"{list.Count} VM(s)") + (tail.Length == 0 ? "" : ": " + tail);
    }

    /// <summary><c>0:42</c>, <c>12:03</c>, <c>1:02:03</c>; <c>-</c> for a negative time.</summary>
    public static string Duration(TimeSpan t) =>
        t < TimeSpan.Zero ? "-"
        : t.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");

    /// <summary>A reason on one line (a table cell, a plain line).</summary>
    public static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
