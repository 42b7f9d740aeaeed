using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Guest.Access;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Documents;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v inspect</c>, as parsed.</summary>
internal sealed record InspectCliOptions(SourceSpec Source, bool Json, bool Guest, PlanCliOptions Plan, int? KvmLaunchTimeout = null, string OutputMode = "local");

/// <summary><c>v2v inspect X.vmx [--json]</c>: the source devices beside their planned targets, and why.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var source = CommandTable.SourceArgument();
        var json = CliOptions.Flag("--json", "the same content as JSON");
        var guest = CliOptions.Flag("--guest", "also look inside the source disks (read-only): OS, filesystems, bootloader, kernels, VMware Tools");
        var kvmLaunchTimeout = CommandTable.KvmLaunchTimeout();
        var outputMode = CommandTable.OutputMode();
        var plan = new PlanOptionSet();
        var remote = new VSphereOptionSet(withVm: true);
        var command = new Command("inspect", "Show the source VM's devices beside the planned KVM devices, with the rule behind each decision.") { source, json, guest, kvmLaunchTimeout, outputMode };
        remote.AddTo(command);
        plan.AddTo(command);
        command.SetAction(r => Run(context, new InspectCliOptions(remote.BindSource(r, context, r.GetRequiredValue(source)), r.GetValue(json), r.GetValue(guest), plan.Bind(r), r.GetValue(kvmLaunchTimeout), r.GetValue(outputMode) ?? "local")));
        return command;
    }

    public static int Run(CliContext context, InspectCliOptions options)
    {
        var json = options.Json;
        var guestInspect = options.Guest;
        var source = options.Source;
        context.StartLog(RunLogFile.InDirectory(context, source, options.Plan.LogDir));
        using var planned = new ConversionJob(context.JobContext()).Plan(PlanArgs.DryRun(source, options.Plan, options.OutputMode, context));
        var (vm, plan) = (planned.Vm, planned.Plan);
        var guest = guestInspect ? ConversionJob.InspectSourceGuest(vm, new ApplianceLaunch { KvmDeadline = CommandTable.KvmLaunchDeadline(options.KvmLaunchTimeout) }, context.Logger, context.Cancellation) : null;
        if (json)
        {
            context.Out.WriteLine(DocumentJson.Serialize(InspectDocument.Create(plan, guest, context.Log.Warnings.Lines)));
            return ExitCodes.Success;
        }

        var rows = PlanReport.Rows(plan);
        context.Out.WriteLine($"{plan.Name}: {vm.Origin}");
        context.Out.WriteLine();
        TablePrinter.Print(context.Out, ["DEVICE", "SOURCE (VMware)", "TARGET (KVM)", "RULE"], rows.Select(r => (IReadOnlyList<string>)[r.Device, r.Source, r.Target, r.Rule ?? ""]));
        if (plan.Disks.Any(d => d.StorageKind == V2VConverter.Mapping.Plan.StorageKind.Pool))
        {
            context.Out.WriteLine();
            context.Out.WriteLine("Volumes (-o libvirt creates them; none may exist yet):");
            TablePrinter.Print(context.Out, ["POOL", "VOLUME", "FORMAT", "CAPACITY"], plan.Disks.Select(d => (IReadOnlyList<string>)[d.StorageTarget, d.OutputFileName, d.Format, d.Source.CapacityBytes is { } c ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes" : "unknown"]));
        }

        context.Out.WriteLine();
        context.Out.WriteLine("Decisions:");
        foreach (var d in plan.Decisions)
        {
            context.Out.WriteLine($"  {d}");
        }

        context.Out.WriteLine();
        context.Out.WriteLine($"Rules from: {string.Join(", ", plan.RuleFiles)}");
        if (guestInspect)
        {
            context.Out.WriteLine();
            context.Out.WriteLine("Guest:");
            context.Out.WriteLine(guest is null ? "  no operating system was found on the disks" : V2VConverter.Guest.Inspection.GuestInspectionPrinter.ToText(guest));
        }
        var warnings = context.Log.Warnings.Texts;
        if (warnings.Count > 0)
        {
            context.Out.WriteLine();
            context.Out.WriteLine($"Warnings ({warnings.Count}):");
            foreach (var w in warnings)
            {
                context.Out.WriteLine($"  {w}");
            }
        }

        return ExitCodes.Success;
    }
}
