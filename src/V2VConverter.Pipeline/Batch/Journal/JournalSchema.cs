namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary>
/// The SQLite layout of a batch journal (<c>PRAGMA user_version</c> = <see cref="Version"/>):
/// <list type="bullet">
/// <item><c>entries</c>: every state change, appended (<c>seq</c> is the order);</item>
/// <item><c>vms</c>: the latest state of each VM, updated in the same transaction as its entry, in the order VMs first
/// appeared (rowid), so that a status never scans the entries;</item>
/// <item><c>outputs</c>: what each VM's conversion writes, replaced as a whole.</item>
/// </list>
/// Times are Unix milliseconds (UTC); states are the names of <see cref="BatchVmState"/>.
/// </summary>
internal static class JournalSchema
{
    /// <summary>The schema version this build writes and reads; a journal with a higher one is refused.</summary>
    public const int Version = 1;

    /// <summary>How long a writer waits for another connection's lock before it fails.</summary>
    public const int BusyTimeoutMilliseconds = 10_000;

    public const string Create = """
        CREATE TABLE entries(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            time INTEGER NOT NULL,
            vm TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            state TEXT NOT NULL,
            detail TEXT,
            disk INTEGER,
            offset INTEGER);
        CREATE INDEX entries_vm ON entries(vm, seq);
        CREATE TABLE vms(
            vm TEXT PRIMARY KEY NOT NULL,
            attempt INTEGER NOT NULL,
            state TEXT NOT NULL,
            detail TEXT,
            disk INTEGER,
            offset INTEGER,
            updated INTEGER NOT NULL,
            attempt_started INTEGER);
        CREATE TABLE outputs(
            vm TEXT NOT NULL,
            kind TEXT NOT NULL,
            location TEXT NOT NULL,
            size INTEGER,
            digest TEXT);
        CREATE INDEX outputs_vm ON outputs(vm);
        """;

    /// <summary>The tables a journal of <see cref="Version"/> must hold.</summary>
    public const string CountTables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('entries', 'vms', 'outputs')";

    public const int TableCount = 3;

    /// <summary>A new attempt: the VM's row gets attempt + 1 (1 for a VM never seen, which starts as Planned).</summary>
    public const string BeginAttempt = """
        INSERT INTO vms(vm, attempt, state, updated, attempt_started) VALUES($vm, 1, 'Planned', $time, $time)
        ON CONFLICT(vm) DO UPDATE SET attempt = attempt + 1, updated = $time, attempt_started = $time;
        SELECT attempt FROM vms WHERE vm = $vm;
        """;

    /// <summary>A state change: the VM's latest row, then the entry with the row's attempt (0 before any attempt).</summary>
    public const string Record = """
        INSERT INTO vms(vm, attempt, state, detail, disk, offset, updated) VALUES($vm, 0, $state, $detail, $disk, $offset, $time)
        ON CONFLICT(vm) DO UPDATE SET state = $state, detail = $detail, disk = $disk, offset = $offset, updated = $time;
        INSERT INTO entries(time, vm, attempt, state, detail, disk, offset)
        SELECT $time, $vm, attempt, $state, $detail, $disk, $offset FROM vms WHERE vm = $vm;
        """;

    public const string StatusColumns = "vm, attempt, state, detail, disk, offset, updated, attempt_started";

    public const string Status = "SELECT " + StatusColumns + " FROM vms WHERE vm = $vm";

    public const string Statuses = "SELECT " + StatusColumns + " FROM vms ORDER BY rowid";

    public const string EntryColumns = "seq, time, vm, attempt, state, detail, disk, offset";

    public const string History = "SELECT * FROM (SELECT " + EntryColumns + " FROM entries ORDER BY seq DESC LIMIT $limit) ORDER BY seq";

    public const string VmHistory = "SELECT * FROM (SELECT " + EntryColumns + " FROM entries WHERE vm = $vm ORDER BY seq DESC LIMIT $limit) ORDER BY seq";

    public const string DeleteOutputs = "DELETE FROM outputs WHERE vm = $vm";

    public const string InsertOutput = "INSERT INTO outputs(vm, kind, location, size, digest) VALUES($vm, $kind, $location, $size, $digest)";

    public const string Outputs = "SELECT vm, kind, location, size, digest FROM outputs WHERE vm = $vm ORDER BY rowid";
}
