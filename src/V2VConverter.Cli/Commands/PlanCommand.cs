using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Batch.Plan;
using V2VConverter.Pipeline.Batch.Sources;
using V2VConverter.Pipeline.Documents;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v plan</c>, as parsed.</summary>
internal sealed record PlanBatchCliOptions(
    string? Source,
    string? Check,
    IReadOnlyList<string> Include,
    IReadOnlyList<string> Exclude,
    string OutputMode,
    LibvirtCliOptions Libvirt,
    bool Compress,
    bool NoGuestFixups,
    bool ShutdownSource,
    bool AllowRunning,
    bool Json,
    string? Save,
    PlanCliOptions Plan,
    Pipeline.Contracts.SourceSpec Credentials);

/// <summary>
/// <c>v2v plan SOURCE [--vm GLOB]... [--exclude GLOB]... [-o local|libvirt ...] > plan.yaml</c>: a batch plan to review and
/// edit, its concerns as a table on stderr (or <c>--json</c> on stdout); <c>v2v plan --check plan.yaml</c>: validates an
/// edited plan (errors with line numbers, exit 1) and shows the concerns that hold now (exit 3 while a blocker remains).
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliContext context)
    {
        var source = new Argument<string?>("SOURCE")
        {
            Description = "esx://[user@]host/ or vpx://[user@]vcenter/DC[/Folder...]/Cluster/Host, or a folder searched for .vmx files",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var check = CliOptions.Value("--check", "PLAN.yaml", "validate an edited plan: every error with its line (exit 1), then the concerns that hold now (exit 3 while a blocker remains)");
        var include = CliOptions.Repeatable("--vm", "GLOB", "only VMs whose name matches GLOB ('*', '?'; repeatable)");
        var exclude = CliOptions.Repeatable("--exclude", "GLOB", "leave out VMs whose name matches GLOB (repeatable)");
        var outputMode = CommandTable.OutputMode();
        var connection = CliOptions.Value("-oc", "URI", "-o libvirt: the libvirt connection URI", "--output-conn");
        var start = CliOptions.Flag("--start", "-o libvirt: start each domain once it is defined");
        var compress = CliOptions.Flag("-c", "compress qcow2 clusters", "--compress");
        var noGuestFixups = CliOptions.Flag("--no-guest-fixups", "copy only: compatibility devices (SATA disks, e1000 NICs), no guest conversion");
        var shutdownSource = CliOptions.Flag("--shutdown-source", "the run will shut running source VMs down (not a blocker then)");
        var allowRunning = CliOptions.Flag("--allow-running", "the run will copy running VMs anyway (a warning then)");
        var json = CliOptions.Flag("--json", "the plan's VMs, choices and concerns as JSON on stdout (instead of the YAML)");
        var save = CliOptions.Value("--save", "FILE", "also write the YAML plan to FILE");
        var plan = new PlanOptionSet();
        var vsphere = new VSphereOptionSet(withVm: false);
        var command = new Command("plan", "Plan a batch conversion: every VM of an ESXi host, a vCenter path or a folder of .vmx files, with its target, NIC and disk choices and its concerns, as YAML to review and edit.")
        {
            source, check, include, exclude, outputMode, connection, start, compress, noGuestFixups, shutdownSource, allowRunning, json, save,
        };
        plan.AddTo(command);
        vsphere.AddTo(command);
        command.SetAction(r =>
        {
            var (passwordFile, thumbprint) = vsphere.BindCredentials(r, context);
            var location = r.GetValue(source);
            return Run(context, new PlanBatchCliOptions(
                location,
                r.GetValue(check),
                r.GetValue(include) ?? [],
                r.GetValue(exclude) ?? [],
                r.GetValue(outputMode) ?? "local",
                new LibvirtCliOptions(r.GetValue(connection), r.GetValue(start), false, false),
                r.GetValue(compress),
                r.GetValue(noGuestFixups),
                r.GetValue(shutdownSource),
                r.GetValue(allowRunning),
                r.GetValue(json),
                r.GetValue(save),
                plan.Bind(r),
                new Pipeline.Contracts.SourceSpec { Location = location ?? "", PasswordFile = passwordFile, Thumbprint = thumbprint, TimeoutSeconds = vsphere.BindTimeout(r) }));
        });
        return command;
    }

    public static int Run(CliContext context, PlanBatchCliOptions o)
    {
        if (o.Check is { } checkPath)
        {
            if (o.Source is not null)
            {
                throw new UsageException("plan --check PLAN.yaml takes no SOURCE");
            }

            return Check(context, context.ResolvePath(checkPath), o);
        }

        if (o.Source is null)
        {
            throw new UsageException("plan needs a SOURCE (an esx:// or vpx:// URI, or a folder of .vmx files), or --check PLAN.yaml");
        }

        if (o.Compress && o.Plan.OutputFormat == "raw")
        {
            throw new UsageException("-c needs the qcow2 output format");
        }

        var planRequest = PlanArgs.Read(o.Plan, context, compatibilityMode: o.NoGuestFixups);
        var output = OutputArgs.Spec(o.OutputMode, o.Plan.OutputStorage, context, o.Libvirt);
        var request = new BatchPlanRequest
        {
            List = new BatchListRequest { Source = o.Credentials, Include = o.Include, Exclude = o.Exclude },
            Output = output,
            Format = o.Plan.OutputFormat,
            Compress = o.Compress,
            GuestFixups = !o.NoGuestFixups,
            Plan = planRequest with { Options = planRequest.Options with { OutputDirectory = null } },
            Mappings = new PlanMappings
            {
                Bridges = [.. o.Plan.Bridges],
                Networks = [.. o.Plan.Networks],
                Set = [.. o.Plan.Sets],
                MappingFiles = [.. planRequest.Mapping.UserMappingFiles],
                Config = planRequest.Mapping.ConfigFile,
                MappingsDir = planRequest.Mapping.MappingsDirectory,
                Templates = planRequest.TemplatesDirectory,
                Tuning = o.Plan.Tuning,
                KeepHostDevices = o.Plan.KeepHostDevices,
            },
            ShutdownSource = o.ShutdownSource,
            AllowRunning = o.AllowRunning,
        };
        var document = new BatchPlanner(StageRegistry.Default, context.JobContext()).Plan(request);
        if (o.Save is { } save)
        {
            BatchPlanFile.Save(document, context.ResolvePath(save));
            context.Error.WriteLine($"v2v: wrote {context.ResolvePath(save)}");
        }

        if (o.Json)
        {
            context.Out.WriteLine(DocumentJson.Serialize(BatchPlanReportDocument.Create(document, null)));
        }
        else
        {
            context.Out.Write(BatchPlanFile.Serialize(document));
        }

        PrintConcerns(context.Error, document, document.Vms.Select(v => (IReadOnlyList<PlanConcern>)v.Concerns).ToList());
        return ExitCodes.Success;
    }

    private static int Check(CliContext context, string path, PlanBatchCliOptions o)
    {
        LoadedPlan loaded;
        try
        {
            loaded = BatchPlanFile.Load(path);
        }
        catch (PlanValidationException ex)
        {
            if (o.Json)
            {
                context.Out.WriteLine(DocumentJson.Serialize(BatchPlanReportDocument.Invalid(path, ex.Errors)));
            }

            foreach (var e in ex.Errors)
            {
                context.Error.WriteLine($"v2v: error: {e}");
            }

            context.Error.WriteLine($"v2v: {path}: {ex.Errors.Count} error(s)");
            return ExitCodes.Failure;
        }

        var doc = loaded.Document;
        var concerns = PlanConcerns.Now(doc, o.ShutdownSource, o.AllowRunning, context.Logger);
        if (o.Json)
        {
            context.Out.WriteLine(DocumentJson.Serialize(BatchPlanReportDocument.Create(doc, path, concerns)));
        }

        PrintConcerns(context.Error, doc, concerns);
        var blocked = concerns.Count(c => c.Any(x => x.Severity == "blocker"));
        context.Error.WriteLine($"v2v: {path}: valid; {doc.Vms.Count(v => !v.Skip)} VMs to run, {doc.Vms.Count(v => v.Skip)} skipped, {blocked} blocked");
        return blocked > 0 ? ExitCodes.Blocked : ExitCodes.Success;
    }

    /// <summary>The concerns as a table (one row per concern), then one line of counts.</summary>
    public static void PrintConcerns(TextWriter w, BatchPlanDocument plan, IReadOnlyList<IReadOnlyList<PlanConcern>> concerns)
    {
        var rows = plan.Vms.SelectMany((v, i) => concerns[i].Select(c => (IReadOnlyList<string>)[v.Id, v.Target, c.Severity.ToUpperInvariant(), c.Code, c.Message, c.Fix ?? ""])).ToList();
        if (rows.Count > 0)
        {
            TablePrinter.Print(w, ["VM", "TARGET", "SEVERITY", "CONCERN", "WHAT", "FIX"], rows);
        }

        var all = concerns.SelectMany(c => c).ToList();
        w.WriteLine($"v2v: {plan.Vms.Count} VMs; concerns: {all.Count(c => c.Severity == "blocker")} blockers, {all.Count(c => c.Severity == "warning")} warnings, {all.Count(c => c.Severity == "info")} info, {all.Count(c => c.Severity == "accepted")} accepted");
    }
}
