using V2VConverter.Pipeline.Batch.Journal;

namespace V2VConverter.Pipeline.Batch;

/// <summary>One VM of a run, as the live view first shows it.</summary>
/// <param name="Vm">The plan's VM id (unique in the plan).</param>
/// <param name="Target">The target domain name.</param>
/// <param name="Host">The source host that bounds it (--per-host).</param>
/// <param name="TotalBytes">The sum of its disks' virtual sizes (0 when unknown).</param>
/// <param name="State">Where it stands now (Done for a VM a resumed run skips).</param>
public sealed record BatchVmRow(string Vm, string Target, string Host, long TotalBytes, BatchVmState State);

/// <summary>How one VM of a run ended.</summary>
public sealed record BatchVmOutcome(string Vm, string Target, BatchVmState State, string? Reason, TimeSpan Elapsed, long BytesCopied, bool Resumed);

/// <summary>The end of a run: one outcome per VM of the plan, in plan order.</summary>
public sealed record BatchRunSummary(IReadOnlyList<BatchVmOutcome> Vms, TimeSpan Elapsed)
{
    public int Count(BatchVmState state) => Vms.Count(v => v.State == state);

    /// <summary>True when a VM failed or was blocked (the run's exit code is then 1).</summary>
    public bool AnyFailed => Vms.Any(v => v.State is BatchVmState.Failed or BatchVmState.Blocked);
}

/// <summary>
/// What a batch run reports as it goes (the CLI draws a live table, prints plain lines or JSON events; a test records).
/// Every method may be called from several threads at once.
/// </summary>
public interface IBatchObserver
{
    /// <summary>Once, before the first VM starts: every VM of the plan.</summary>
    void Started(IReadOnlyList<BatchVmRow> rows, int parallel, int perHost);

    /// <summary>A VM changed state (the same change the journal records); <paramref name="detail"/> is the reason of a failure.</summary>
    void StateChanged(string vm, BatchVmState state, string? detail);

    /// <summary>A VM's copy has done <paramref name="doneBytes"/> of <paramref name="totalBytes"/> (all its disks together). Called often.</summary>
    void Progress(string vm, long doneBytes, long totalBytes);

    /// <summary>Once, at the end.</summary>
    void Finished(BatchRunSummary summary);
}
