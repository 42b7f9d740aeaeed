using System.Text.Json;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v inspect X.vmx [--json]</c>: the source devices beside their planned targets, and why.</summary>
public sealed class InspectCommand : ICommand
{
    public string Name => "inspect";

    public string Usage => $"inspect {VSphereCommandSupport.SourceUsage} {VSphereCommandSupport.OptionsUsage} [--json] [--guest] {PlanArgs.Usage} {RunLogFile.OptionUsage}";

    public string Summary => "Show the source VM's devices beside the planned KVM devices, with the rule behind each decision.";

    public int Run(CliContext context, ArgReader args)
    {
        var json = args.Flag("--json");
        var guestInspect = args.Flag("--guest");
        var request = PlanArgs.Read(args, context);
        var logDir = args.Value("--log-dir");
        var source = VSphereCommandSupport.ReadSourceSpec(context, args);
        context.StartLog(RunLogFile.InDirectory(context, source, logDir));
        using var planned = new ConversionJob(VSphereCommandSupport.JobContext(context)).Plan(new ConversionRequest { Source = source, Plan = request });
        var (vm, plan) = (planned.Vm, planned.Plan);
        var rows = PlanReport.Rows(plan);
        var guest = guestInspect ? ConversionJob.InspectSourceGuest(vm, line => context.Logger.Info("guest: " + line)) : null;
        if (json)
        {
            var doc = new
            {
                guest = guest is null ? null : System.Text.Json.Nodes.JsonNode.Parse(V2VConverter.Guest.Inspection.GuestInspectionPrinter.ToJson(guest)),
                name = plan.Name,
                source = vm.Origin,
                rows = rows.Select(r => new { device = r.Device, source = r.Source, target = r.Target, rule = r.Rule }),
                decisions = plan.Decisions.Select(d => new { subject = d.Subject, from = d.From, to = d.To, rule = d.Rule }),
                warnings = context.Log.Warnings.Lines,
                ruleFiles = plan.RuleFiles,
            };
            context.Out.WriteLine(JsonSerializer.Serialize(doc, JsonOutput.Options));
            return ExitCodes.Success;
        }

        context.Out.WriteLine($"{plan.Name}: {vm.Origin}");
        context.Out.WriteLine();
        TablePrinter.Print(context.Out, ["DEVICE", "SOURCE (VMware)", "TARGET (KVM)", "RULE"], rows.Select(r => (IReadOnlyList<string>)[r.Device, r.Source, r.Target, r.Rule ?? ""]));
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
