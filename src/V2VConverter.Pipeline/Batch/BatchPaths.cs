namespace V2VConverter.Pipeline.Batch;

/// <summary>
/// Where a plan's run keeps its state, next to the plan: <c>PLAN.journal.db</c> (SQLite, WAL: also <c>-wal</c>,
/// <c>-shm</c>), <c>PLAN.logs/VM.log.json</c> (one Serilog file per VM) and <c>PLAN.lock</c> (one run at a time).
/// PLAN is the plan's file name without its extension.
/// </summary>
public sealed record BatchPaths(string PlanFile)
{
    private string Directory => Path.GetDirectoryName(Path.GetFullPath(PlanFile)) ?? ".";

    private string Stem => Path.GetFileNameWithoutExtension(PlanFile);

    public string Journal => Path.Combine(Directory, Stem + ".journal.db");

    public string LogDirectory => Path.Combine(Directory, Stem + ".logs");

    public string Lock => Path.Combine(Directory, Stem + ".lock");

    /// <summary>The log file of VM <paramref name="vmId"/> (a plan VM id is already a safe file name): <c>ID.log.json</c> for its first attempt, <c>ID.N.log.json</c> for attempt N.</summary>
    public string LogFile(string vmId, int attempt = 1) =>
        Path.Combine(LogDirectory, attempt <= 1 ? vmId + ".log.json" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{vmId}.{attempt}.log.json"));
}
