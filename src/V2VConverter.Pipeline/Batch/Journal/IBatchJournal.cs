namespace V2VConverter.Pipeline.Batch.Journal;

/// <summary>Where one VM of a batch stands. The order is the order of a conversion; the last four are ends.</summary>
public enum BatchVmState
{
    /// <summary>In the plan, not started.</summary>
    Planned,

    /// <summary>Asking the source guest to shut down (--shutdown-source).</summary>
    ShuttingDown,

    /// <summary>Opening the source and checking the output.</summary>
    Preparing,

    /// <summary>Copying disk <see cref="JournalEntry.Disk"/>; <see cref="JournalEntry.Offset"/> bytes done.</summary>
    Copying,

    /// <summary>Converting the guest (virtio drivers, fstab, bootloader...).</summary>
    ConvertingGuest,

    /// <summary>Writing the documents, renaming outputs, defining the domain.</summary>
    Finalizing,

    /// <summary>Converted; its outputs are recorded.</summary>
    Done,

    /// <summary>Failed; <see cref="JournalEntry.Detail"/> holds the one-line reason.</summary>
    Failed,

    /// <summary>Not attempted: the plan holds a blocker for it.</summary>
    Blocked,

    /// <summary>Not attempted: <c>skip: true</c> in the plan.</summary>
    Skipped,
}

/// <summary>One state change, as appended to the journal.</summary>
public sealed record JournalEntry(
    long Sequence,
    DateTimeOffset Time,
    string Vm,
    int Attempt,
    BatchVmState State,
    string? Detail = null,
    int? Disk = null,
    long? Offset = null);

/// <summary>A VM's latest state (the last entry recorded for it), with when its current attempt started.</summary>
public sealed record JournalVmStatus(
    string Vm,
    int Attempt,
    BatchVmState State,
    string? Detail,
    int? Disk,
    long? Offset,
    DateTimeOffset Updated,
    DateTimeOffset? AttemptStarted);

/// <summary>
/// Something a VM's conversion writes: a disk file or volume, the XML, the report, a domain. Recorded as planned
/// (before the copy: <see cref="Size"/> and <see cref="Digest"/> null) so that a resumed run can remove what a killed
/// attempt left, and again when done (with the size and a digest of the header) so that a resumed run can verify it.
/// </summary>
/// <param name="Vm">The plan's VM id.</param>
/// <param name="Kind">"disk", "xml", "report", "volume", "domain".</param>
/// <param name="Location">A path, "pool/volume", or a domain name.</param>
/// <param name="Size">Bytes (file size), when known.</param>
/// <param name="Digest">"sha256:HEX" of the first 64 KiB (the header) of a file, when known.</param>
public sealed record JournalOutput(string Vm, string Kind, string Location, long? Size = null, string? Digest = null);

/// <summary>
/// The batch journal: every state change of every VM, and the outputs of each VM, kept next to the plan. Every call is
/// durable when it returns (a <c>kill -9</c> right after loses nothing). Safe to call from several threads at once.
/// Kept small so that another store (a shared database for several conversion hosts, docs/scale-out.md) can
/// implement it.
/// </summary>
public interface IBatchJournal : IDisposable
{
    /// <summary>Where the journal lives (a file path, or a connection description).</summary>
    string Location { get; }

    /// <summary>Starts a new attempt for <paramref name="vm"/> (1, 2, ...) and returns its number.</summary>
    int BeginAttempt(string vm);

    /// <summary>Appends a state change to the VM's current attempt.</summary>
    void Record(string vm, BatchVmState state, string? detail = null, int? disk = null, long? offset = null);

    /// <summary>The VM's latest state, or null when the journal has never seen it.</summary>
    JournalVmStatus? Status(string vm);

    /// <summary>Every VM's latest state, in the order the VMs first appeared.</summary>
    IReadOnlyList<JournalVmStatus> Statuses();

    /// <summary>The recorded entries, oldest first (of one VM when <paramref name="vm"/> is set), at most <paramref name="limit"/> (the newest).</summary>
    IReadOnlyList<JournalEntry> History(string? vm = null, int limit = 10_000);

    /// <summary>Replaces the VM's recorded outputs with <paramref name="outputs"/>.</summary>
    void SetOutputs(string vm, IReadOnlyList<JournalOutput> outputs);

    /// <summary>The VM's recorded outputs.</summary>
    IReadOnlyList<JournalOutput> Outputs(string vm);
}
