using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.Pipeline.Batch.Plan;
using V2VConverter.Pipeline.Batch.Run;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v run</c>, as parsed.</summary>
internal sealed record RunCliOptions(string Plan, BatchRunOptions Run, bool MachineReadable);

/// <summary>
/// <c>v2v run PLAN.yaml [--parallel N] [--per-host N] [--shutdown-source]</c>: converts every VM of the plan, journaling
/// each step next to the plan; run again after a kill, it resumes. Exit 1 when a VM failed or was blocked.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var plan = new Argument<string>("PLAN.yaml") { Description = "a plan made by 'v2v plan' (and edited)" };
        var parallel = CliOptions.Number("--parallel", "N", "VMs converted at once (default 2)", 1, 64);
        var perHost = CliOptions.Number("--per-host", "N", "VMs at once per source ESXi host, which limits its NFC/HTTP sessions (default 2; the VMs of a local folder are bounded by --parallel alone unless this is given)", 1, 64);
        var shutdown = CliOptions.Flag("--shutdown-source", "ask each running vSphere guest to shut down before its copy (ShutdownGuest); never powers anything on");
        var forcePowerOff = CliOptions.Flag("--force-poweroff", "with --shutdown-source: power the VM off when its guest did not shut down in time");
        var shutdownTimeout = CliOptions.Number("--shutdown-timeout", "SECONDS", "with --shutdown-source: how long to wait for a guest to shut down (default 300)", 1, 86400);
        var allowRunning = CliOptions.Flag("--allow-running", "copy running VMs anyway (the copy may be inconsistent)");
        var force = CliOptions.Flag("--force", "convert guests that have blockers inside (hibernated, BitLocker, a pending reboot, dynamic disks)");
        var virtioWin = CliOptions.Value("--virtio-win", "DIR|ISO", "Windows guests: the virtio-win drivers (default: $VIRTIO_WIN, then /usr/share/virtio-win)");
        var machineReadable = CliOptions.Flag("--machine-readable", "JSON events on stdout, one per line (state changes, progress, the end)");
        var kvmLaunchTimeout = CommandTable.KvmLaunchTimeout();
        var command = new Command("run", "Run a batch plan: convert every VM (a failed one does not stop the others), journal each step next to the plan, resume after a kill.")
        {
            plan, parallel, perHost, shutdown, forcePowerOff, shutdownTimeout, allowRunning, force, virtioWin, machineReadable, kvmLaunchTimeout,
        };
        command.SetAction(r => Run(context, new RunCliOptions(
            r.GetRequiredValue(plan),
            new BatchRunOptions
            {
                Parallel = r.GetValue(parallel) ?? 2,
                PerHost = r.GetValue(perHost),
                ShutdownSource = r.GetValue(shutdown),
                ForcePowerOff = r.GetValue(forcePowerOff),
                ShutdownTimeout = TimeSpan.FromSeconds(r.GetValue(shutdownTimeout) ?? 300),
                AllowRunning = r.GetValue(allowRunning),
                ForceGuest = r.GetValue(force),
                VirtioWin = r.GetValue(virtioWin) is { } vw ? context.ResolvePath(vw) : null,
                KvmLaunchDeadline = CommandTable.KvmLaunchDeadline(r.GetValue(kvmLaunchTimeout)),
                Verbosity = context.Verbosity,
            },
            r.GetValue(machineReadable))));
        return command;
    }

    public static int Run(CliContext context, RunCliOptions o)
    {
        if (o.Run.ForcePowerOff && !o.Run.ShutdownSource)
        {
            throw new UsageException("--force-poweroff goes with --shutdown-source");
        }

        var loaded = BatchPlanFile.Load(context.ResolvePath(o.Plan));
        using var runLock = BatchRunLock.Take(loaded.Paths);
        var doc = loaded.Document;
        var concerns = PlanConcerns.Now(doc, o.Run.ShutdownSource, o.Run.AllowRunning, context.Logger);
        using var journal = SqliteBatchJournal.Open(loaded.Paths.Journal);
        using var view = new BatchProgressView(context, o.MachineReadable);
        var runner = new BatchRunner(StageRegistry.Default, context.JobContext(), journal, view, ex => ErrorReporter.Classify(ex).Message);
        var summary = runner.Run(loaded, concerns, o.Run);
        context.Error.WriteLine($"v2v: journal {journal.Location}; logs in {loaded.Paths.LogDirectory}");
        return summary.AnyFailed ? ExitCodes.Failure : ExitCodes.Success;
    }
}
