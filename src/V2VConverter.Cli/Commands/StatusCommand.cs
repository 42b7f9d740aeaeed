using System.CommandLine;
using System.Globalization;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch;
using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v status</c>, as parsed.</summary>
internal sealed record StatusCliOptions(string Plan, bool Json);

/// <summary><c>v2v status PLAN.yaml [--json]</c>: where each VM of a batch stands, from the journal next to the plan (read-only; a run may be going on).</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var plan = new Argument<string>("PLAN.yaml") { Description = "the plan given to 'v2v run'; its journal (PLAN.journal.db) sits next to it" };
        var json = CliOptions.Flag("--json", "the same content as JSON, with each VM's recorded outputs");
        var command = new Command("status", "Show where each VM of a batch run stands: state, attempt, the disk and offset of a copy, a failure's reason.") { plan, json };
        command.SetAction(r => Run(context, new StatusCliOptions(r.GetRequiredValue(plan), r.GetValue(json))));
        return command;
    }

    public static int Run(CliContext context, StatusCliOptions o)
    {
        var journalPath = new BatchPaths(context.ResolvePath(o.Plan)).Journal;
        if (!File.Exists(journalPath))
        {
            throw new FileNotFoundException($"{o.Plan}: no journal yet ({journalPath}); run './v2v run {o.Plan}' first", journalPath);
        }

        using var journal = SqliteBatchJournal.OpenReadOnly(journalPath);
        if (o.Json)
        {
            context.Out.WriteLine(JournalStatusDocument.Create(journal).ToJson());
        }
        else
        {
            PrintTable(context.Out, journal.Statuses());
        }

        return ExitCodes.Success;
    }

    /// <summary>What the DETAIL column shows: the copy's place, or the recorded detail (a failure's reason).</summary>
    public static string Detail(JournalVmStatus s) => s switch
    {
        { State: BatchVmState.Copying, Disk: { } disk, Offset: { } offset } => $"disk {disk} at {ByteSize.Format(offset)}" + (s.Detail is { } d ? $" ({d})" : ""),
        { Detail: { } detail } => BatchText.OneLine(detail),
        _ => "-",
    };

    private static void PrintTable(TextWriter w, IReadOnlyList<JournalVmStatus> statuses)
    {
        TablePrinter.Print(w, ["VM", "STATE", "ATTEMPT", "DETAIL", "UPDATED"], statuses.Select(s => (IReadOnlyList<string>)
        [
            s.Vm,
            BatchText.Name(s.State),
            s.Attempt.ToString(CultureInfo.InvariantCulture),
            Detail(s),
            s.Updated.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ]));
        w.WriteLine(BatchText.Counts(statuses.Select(s => s.State)));
    }
}
