using System.Diagnostics;
using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.Pipeline.Batch.Plan;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Logging;
using V2VConverter.Pipeline.Sources.VSphere;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline.Batch.Run;

/// <summary>
/// <c>v2v run PLAN</c>: converts every VM of the plan through the <see cref="ConversionJob"/>, a few at once within a
/// bound per source host, journaling every state change. A failed VM does not stop the others. Run again after a
/// kill, it skips the VMs whose recorded outputs verify, removes what unfinished attempts left, and converts the rest
/// from the start.
/// </summary>
public sealed class BatchRunner(StageRegistry registry, JobContext context, IBatchJournal journal, IBatchObserver observer, Func<Exception, string>? describe = null)
{
    /// <summary>Copy progress goes into the journal at most this often per VM.</summary>
    public static readonly TimeSpan JournalProgressInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The one blocker the run does not take from the plan for a vSphere VM: whether it runs is asked of vSphere when its
    /// turn comes (it may have been shut down since the plan was made), and a running one then fails with the source's
    /// message. A local .vmx that looked running (a .lck, a .vmem) stays blocked: nothing checks it again.
    /// </summary>
    public const string LiveConcern = "powered-on";

    private readonly object _gate = new(); // Monitor.Wait/PulseAll: workers wait for a host slot
    private ILogger Log => context.Log;

    public BatchRunSummary Run(LoadedPlan loaded, IReadOnlyList<IReadOnlyList<PlanConcern>> concerns, BatchRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(concerns);
        ArgumentNullException.ThrowIfNull(options);
        var plan = loaded.Document;
        var clock = Stopwatch.StartNew();
        var verified = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Unverified(string id)
        {
            // The outputs of a VM the journal calls done are checked once (a libvirt check is a connection).
            if (!verified.TryGetValue(id, out var problem))
            {
                verified[id] = problem = OutputLedger.Verify(journal.Outputs(id), plan.Output.Connection);
            }

            return problem;
        }

        var outcomes = new BatchVmOutcome?[plan.Vms.Count];
        var rows = new List<BatchVmRow>();
        var queue = new List<int>();
        for (var i = 0; i < plan.Vms.Count; i++)
        {
            var vm = plan.Vms[i];
            var total = vm.Disks.Sum(d => d.CapacityBytes ?? 0);
            var previous = journal.Status(vm.Id);
            if (vm.Skip)
            {
                Ensure(vm.Id, previous, BatchVmState.Skipped, "skip: true in the plan");
                outcomes[i] = new BatchVmOutcome(vm.Id, vm.Target, BatchVmState.Skipped, "skip: true in the plan", TimeSpan.Zero, 0, false);
            }
            else if (previous?.State == BatchVmState.Done && Unverified(vm.Id) is not { } _)
            {
                outcomes[i] = new BatchVmOutcome(vm.Id, vm.Target, BatchVmState.Done, "done in an earlier run; its outputs verify", TimeSpan.Zero, 0, true);
            }
            else if (concerns[i].FirstOrDefault(c => c.Severity == "blocker" && !(c.Code == LiveConcern && plan.Source.Kind == "vsphere") && !(c.Code == TargetExists && OursLeft(vm))) is { } blocker)
            {
                var reason = $"{blocker.Code}: {blocker.Message}";
                Ensure(vm.Id, previous, BatchVmState.Blocked, reason);
                outcomes[i] = new BatchVmOutcome(vm.Id, vm.Target, BatchVmState.Blocked, reason, TimeSpan.Zero, 0, false);
            }
            else
            {
                if (previous?.State == BatchVmState.Done)
                {
                    Log.Warn($"{vm.Id}: was done, but {Unverified(vm.Id)}; converting it again");
                }

                queue.Add(i);
            }

            rows.Add(new BatchVmRow(vm.Id, vm.Target, vm.Host, total, outcomes[i]?.State ?? BatchVmState.Planned));
        }

        var parallel = Math.Max(1, options.Parallel);
        observer.Started(rows, parallel, options.PerHost ?? BatchRunOptions.DefaultPerHost);
        var running = new Dictionary<string, int>(StringComparer.Ordinal);
        var ct = context.Cancellation;

        void Worker()
        {
            while (true)
            {
                int index;
                lock (_gate)
                {
                    while (true)
                    {
                        if (queue.Count == 0 || ct.IsCancellationRequested)
                        {
                            return;
                        }

                        var pick = queue.FindIndex(i => running.GetValueOrDefault(plan.Vms[i].Host) < options.PerHostLimit(plan.Vms[i].Host));
                        if (pick >= 0)
                        {
                            index = queue[pick];
                            queue.RemoveAt(pick);
                            running[plan.Vms[index].Host] = running.GetValueOrDefault(plan.Vms[index].Host) + 1;
                            break;
                        }

                        Monitor.Wait(_gate, 500);
                    }
                }

                try
                {
                    outcomes[index] = RunVm(plan, plan.Vms[index], options, loaded.Paths);
                }
                finally
                {
                    lock (_gate)
                    {
                        running[plan.Vms[index].Host]--;
                        Monitor.PulseAll(_gate);
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Min(parallel, Math.Max(1, queue.Count))).Select(_ => Task.Factory.StartNew(Worker, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        Task.WaitAll(workers, CancellationToken.None);
        for (var i = 0; i < outcomes.Length; i++)
        {
            // Not started because the run was interrupted: still planned.
            outcomes[i] ??= new BatchVmOutcome(plan.Vms[i].Id, plan.Vms[i].Target, BatchVmState.Planned, "not started (interrupted)", TimeSpan.Zero, 0, false);
        }

        var summary = new BatchRunSummary(outcomes.Select(o => o!).ToList(), clock.Elapsed);
        observer.Finished(summary);
        ct.ThrowIfCancellationRequested();
        return summary;
    }

    /// <summary>The concern about a domain of the target's name: not a blocker when that domain is what an earlier attempt of this VM left (it is removed first).</summary>
    private const string TargetExists = "target-exists";

    private bool OursLeft(PlanVm vm) => journal.Outputs(vm.Id).Any(o => o.Kind == "domain" && o.Location == vm.Target);

    /// <summary>Records an end state that needs no work, once (a second run does not repeat it).</summary>
    private void Ensure(string vm, JournalVmStatus? previous, BatchVmState state, string detail)
    {
        if (previous?.State != state || previous.Detail != detail)
        {
            if (previous is null)
            {
                journal.BeginAttempt(vm);
            }

            journal.Record(vm, state, detail);
        }
    }

    private BatchVmOutcome RunVm(BatchPlanDocument plan, PlanVm vm, BatchRunOptions options, BatchPaths paths)
    {
        var clock = Stopwatch.StartNew();
        var ct = context.Cancellation;
        var resumed = journal.Status(vm.Id) is { State: not BatchVmState.Planned };
        var attempt = journal.BeginAttempt(vm.Id);
        var state = BatchVmState.Planned;
        long copied = 0;

        void Enter(BatchVmState next, string? detail = null)
        {
            if (next == state)
            {
                return;
            }

            state = next;
            journal.Record(vm.Id, next, detail);
            observer.StateChanged(vm.Id, next, detail);
        }

        Directory.CreateDirectory(paths.LogDirectory);
        using var log = RunLog.Create(new RunLogOptions { Console = TextWriter.Null, FilePath = paths.LogFile(vm.Id, attempt) });
        log.Properties.Vm = vm.Id;
        try
        {
            Enter(BatchVmState.Preparing);
            var leftovers = journal.Outputs(vm.Id);
            if (leftovers.Count > 0)
            {
                OutputLedger.Remove(leftovers, plan.Output.Connection, log.Logger);
                journal.SetOutputs(vm.Id, []);
            }

            var request = BatchRequestFactory.Request(plan, vm, options, null);
            if (options.ShutdownSource && plan.Source.Kind == "vsphere" && vm.Ref is { } moref)
            {
                Enter(BatchVmState.ShuttingDown);
                ShutDown(request.Source, moref, options, log.Logger, ct);
            }

            var progress = new VmProgress(observer, vm.Id, (disk, done) => journal.Record(vm.Id, BatchVmState.Copying, null, disk, done), d => Interlocked.Exchange(ref copied, d));
            var job = new ConversionJob(registry, new JobContext
            {
                Log = log.Logger,
                Warnings = log.Warnings,
                Properties = log.Properties,
                WorkingDirectory = context.WorkingDirectory,
                GetEnv = context.GetEnv,
                Cancellation = ct,
                StageChanged = s => Enter(s switch
                {
                    "copy" => BatchVmState.Copying,
                    "guest" => BatchVmState.ConvertingGuest,
                    "finalize" or "done" => BatchVmState.Finalizing,
                    _ => BatchVmState.Preparing,
                }),
                OutputPrepared = p => journal.SetOutputs(vm.Id, OutputLedger.Planned(vm.Id, p, plan.Output.Mode, plan.Output.Connection)),
            });
            job.Run(request, progress);
            journal.SetOutputs(vm.Id, OutputLedger.Completed(journal.Outputs(vm.Id), plan.Output.Connection));
            Enter(BatchVmState.Done);
            log.Logger.Info($"{vm.Id}: converted in {clock.Elapsed.TotalSeconds:F1} s");
            return new BatchVmOutcome(vm.Id, vm.Target, BatchVmState.Done, null, clock.Elapsed, Interlocked.Read(ref copied), resumed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reason = ex is OperationCanceledException && ct.IsCancellationRequested ? "interrupted" : describe?.Invoke(ex) ?? ex.Message.ReplaceLineEndings(" ");
            log.Logger.Error(ex, "{Vm}: failed: {Reason}", vm.Id, reason);
            Enter(BatchVmState.Failed, reason);
            return new BatchVmOutcome(vm.Id, vm.Target, BatchVmState.Failed, reason, clock.Elapsed, Interlocked.Read(ref copied), resumed);
        }
    }

    private void ShutDown(SourceSpec spec, string moref, BatchRunOptions options, ILogger log, CancellationToken ct)
    {
        var uri = VSphereUri.Parse(spec.Location);
        var connect = VSphereInventorySource.ConnectOptions(spec, new SourceContext { Log = log, WorkingDirectory = context.WorkingDirectory, GetEnv = context.GetEnv, Cancellation = ct });
        Task.Run(async () =>
        {
            await using var source = await VSphereSource.ConnectAsync(uri, connect, ct).ConfigureAwait(false);
            var final = await VSpherePowerControl.ShutdownAsync(source, new MoRef("VirtualMachine", moref), options.ShutdownTimeout, options.ForcePowerOff, log, ct).ConfigureAwait(false);
            log.Info($"source VM {moref} is {final}");
        }, ct).GetAwaiter().GetResult();
    }

    /// <summary>One VM's copy progress: to the observer at every call, to the journal every <see cref="JournalProgressInterval"/>.</summary>
    private sealed class VmProgress(IBatchObserver observer, string vm, Action<int, long> journalCopy, Action<long> copied) : IConversionProgress
    {
        private long[] _done = [];
        private long _total;
        private long _lastJournal;

        public void CopyStarting(IReadOnlyList<DiskCopyInfo> disks, int parallelDisks)
        {
            _done = new long[disks.Count];
            _total = disks.Sum(d => d.VirtualSize ?? 0);
        }

        public void DiskProgress(int index, Formats.Disk.DiskProgress progress)
        {
            if (index < 0 || index >= _done.Length)
            {
                return;
            }

            Volatile.Write(ref _done[index], progress.Done);
            var sum = 0L;
            for (var i = 0; i < _done.Length; i++)
            {
                sum += Volatile.Read(ref _done[i]);
            }

            copied(sum);
            observer.Progress(vm, sum, Math.Max(_total, sum));
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastJournal);
            if (now - last >= JournalProgressInterval.TotalMilliseconds && Interlocked.CompareExchange(ref _lastJournal, now, last) == last)
            {
                journalCopy(index, progress.Done);
            }
        }

        public void CopyFinished()
        {
        }
    }
}
