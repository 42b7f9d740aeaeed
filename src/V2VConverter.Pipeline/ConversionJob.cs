using System.Runtime.ExceptionServices;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Guest;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Windows;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Output.Libvirt;
using V2VConverter.Output.Templates;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Documents;
using V2VConverter.Pipeline.Uefi;
using V2VConverter.Pipeline.Logging;
using V2VConverter.Pipeline.Overlay;

namespace V2VConverter.Pipeline;

/// <summary>Everything one conversion (or dry run) needs, as parsed from the command line.</summary>
public sealed record ConversionRequest
{
    public required SourceSpec Source { get; init; }

    /// <summary>Where the rules come from, the plan options and --templates.</summary>
    public PlanRequest Plan { get; init; } = new();

    public OutputSpec Output { get; init; } = new();

    /// <summary>How disks are written (-c, --fsync, ...). The format comes from the plan.</summary>
    public DiskConvertOptions Disk { get; init; } = new();

    public VmdkOpenOptions Vmdk { get; init; } = new();

    public GuestStageOptions Guest { get; init; } = new();
}

/// <summary>The run's surroundings: its logger, working directory, environment, cancellation.</summary>
public sealed record JobContext
{
    /// <summary>The run's one logger (see <see cref="RunLog"/>).</summary>
    public required ILogger Log { get; init; }

    /// <summary>The run's warnings, for the report (null: the report lists none).</summary>
    public WarningCollector? Warnings { get; init; }

    /// <summary>Where the job records the VM and the stage that every event carries (null: not recorded).</summary>
    public RunProperties? Properties { get; init; }

    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    public Func<string, string?> GetEnv { get; init; } = Environment.GetEnvironmentVariable;

    public CancellationToken Cancellation { get; init; }

    /// <summary>Called as the job enters each stage ("source", "plan", "check", "guest", "copy", "finalize", "done"): a batch journals it.</summary>
    public Action<string>? StageChanged { get; init; }

    /// <summary>Called once the output accepted the plan, before the first byte is written: a batch records what the run will create.</summary>
    public Action<ConversionPlan>? OutputPrepared { get; init; }
}

/// <summary>A dry run: the opened source and its plan. Dispose closes the source.</summary>
public sealed class PlannedConversion(OpenedSource source, ConversionPlan plan, TemplateSet templates) : IDisposable
{
    public OpenedSource Source { get; } = source;

    public VirtualMachine Vm => Source.Vm;

    public ConversionPlan Plan { get; } = plan;

    public TemplateSet Templates { get; } = templates;

    /// <summary>The libvirt domain XML of the plan.</summary>
    public string DomainXml() => new DomainXmlBuilder(Templates).BuildString(Plan);

    public void Dispose() => Source.Dispose();
}

/// <summary>What a conversion wrote.</summary>
public sealed record ConversionResult(
    ConversionPlan Plan,
    IReadOnlyList<DiskConvertResult> Disks,
    IReadOnlyList<string> Documents,
    GuestConversionOutcome? Guest)
{
    /// <summary>DIR/NAME.xml for -o local (the last document written).</summary>
    public string? XmlPath => Documents.LastOrDefault(d => d.EndsWith(".xml", StringComparison.Ordinal));

    public string? ReportPath => Documents.FirstOrDefault(d => d.EndsWith(".report.json", StringComparison.Ordinal));
}

/// <summary>
/// One conversion, in stage order: source → plan → output checks → copy → guest → finalize (for an output without
/// local files: guest, on copy-on-write views of the source, before the copy). The CLI
/// only parses options into a <see cref="ConversionRequest"/> and shows progress; plug-ins come from
/// the <see cref="StageRegistry"/>.
/// </summary>
public sealed class ConversionJob(StageRegistry registry, JobContext context)
{
    public ConversionJob(JobContext context)
        : this(StageRegistry.Default, context)
    {
    }

    private ILogger Log => context.Log;

    private IReadOnlyList<string> Warnings => context.Warnings?.Lines ?? [];

    /// <summary>DIR/NAME.report.json, ending with a newline.</summary>
    private string ReportJson(ConversionPlan plan, IReadOnlyList<DiskConvertResult> disks, GuestConversionReport? guest) =>
        DocumentJson.Serialize(ConversionReportDocument.Create(plan, disks, guest, Warnings)) + "\n";

    private void Stage(string stage, string? vm = null)
    {
        if (context.Properties is { } p)
        {
            p.Stage = stage;
            p.Vm = vm ?? p.Vm;
        }

        context.StageChanged?.Invoke(stage);
    }

    /// <summary>
    /// A dry run (<c>inspect</c>, <c>xml</c>): opens the source without keeping it for a copy and plans it.
    /// The output shapes the plan only when one is named (-o/-os).
    /// </summary>
    public PlannedConversion Plan(ConversionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var templates = LoadTemplates(request.Plan.TemplatesDirectory);
        var source = OpenSource(request, staging: null);
        try
        {
            Stage("plan", source.Vm.Name);
            var planRequest = request.Plan;
            if (request.Output.Kind != "local")
            {
                // -o libvirt -os POOL: the disks are planned as the volumes that would be created.
                var output = registry.OutputFor(request.Output.Kind);
                planRequest = planRequest with { Options = output.ConfigurePlan(request.Output, planRequest.Options, new OutputContext { Log = Log, WorkingDirectory = context.WorkingDirectory }) };
            }

            var plan = ConversionPlanner.Plan(source.Vm, planRequest, Log);
            return new PlannedConversion(source, plan, templates);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The whole conversion. On failure nothing this run wrote is left under a final name.</summary>
    public ConversionResult Run(ConversionRequest request, IConversionProgress? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ct = context.Cancellation;

        // 1. Options that cost nothing to check: the output, the templates, the disk writer's options.
        var output = registry.OutputFor(request.Output.Kind);
        Stage("options");
        var outputContext = new OutputContext { Log = Log, WorkingDirectory = context.WorkingDirectory };
        var planRequest = request.Plan with { Options = output.ConfigurePlan(request.Output, request.Plan.Options, outputContext) };
        var templates = LoadTemplates(request.Plan.TemplatesDirectory);
        (request.Disk with { Format = request.Disk.Compress ? DiskOutputFormat.Qcow2 : request.Disk.Format }).Validate(); // the format itself comes from the plan

        // 2. The source, kept open for the copy.
        using var source = OpenSource(request, output.StagingDirectory(request.Output, outputContext));

        // 3. The plan, and what it implies for the writer.
        Stage("plan", source.Vm.Name);
        var plan = ConversionPlanner.Plan(source.Vm, planRequest, Log);
        if (request.Disk.Compress && plan.Disks.Any(d => d.Format != "qcow2"))
        {
            throw new UsageException($"-c needs the qcow2 output format; the plan writes {plan.Disks.First(d => d.Format != "qcow2").Format} (-of qcow2 or storage:format)");
        }

        // 4. Everything that can fail before the first byte: the documents render, every disk opens, the output accepts them.
        Stage("check");
        var preview = new OutputDocuments(new DomainXmlBuilder(templates).BuildString(plan), ReportJson(plan, [], null));
        foreach (var d in plan.Disks)
        {
            if (d.Source.IsRawDevice)
            {
                throw new NotSupportedException($"disk {d.Source.Key}: {d.Source.FileName} is a raw device mapping and cannot be copied from a .vmx");
            }

            source.Disks.Check(d.Source, request.Vmdk);
        }

        using var session = output.Prepare(request.Output, plan, preview, outputContext with { DiskSizes = i => DiskSizes(source, plan.Disks[i], request.Vmdk, ct) });
        var targets = plan.Disks.Select((_, i) => session.DiskTarget(i)).ToList();
        context.OutputPrepared?.Invoke(plan);

        // 5. The guest. An output of local files is converted in place after the copy; any other output (volumes
        //    that stream to a host) gets a guest converted before the copy, on copy-on-write views of the source.
        GuestConversionOutcome? guest = null;
        var finalPlan = plan;
        var (uefi, firmwareVars) = CarryUefiBoot(plan, source.Nvram, session.KeepsFirmwareVars, ct);
        var guestOptions = request.Guest.Skip ? request.Guest : request.Guest with { Uefi = uefi };
        using var overlays = !request.Guest.Skip && targets.Any(t => t.LocalPath is null) ? GuestOverlays.Open(plan, source, request.Vmdk, Path.GetTempPath(), Log, ct) : null;
        if (overlays is not null)
        {
            Stage("guest");
            guest = GuestStage.Run(plan, overlays.Drives, registry.Guests, guestOptions, Log, ct);
            overlays.StopServing();
            finalPlan = Replan(source.Vm, planRequest, guest.Facts);
        }

        // 6. Copy: each disk is opened as it is copied (a remote one streams or is fetched then), a few at once when the source allows.
        Stage("copy");
        var parallel = Math.Clamp(source.Disks.MaxParallelDisks, 1, Math.Max(1, plan.Disks.Count));
        progress?.CopyStarting(targets.Select((t, i) => new DiskCopyInfo(Path.GetFileName(t.Describe), plan.Disks[i].Source.CapacityBytes)).ToList(), parallel);
        List<DiskConvertResult> results;
        try
        {
            results = Copy(plan, source, overlays, targets, request, parallel, progress, ct);
        }
        finally
        {
            progress?.CopyFinished();
        }

        // 7. The guest, on the output disks, when they are local files; its facts decide the final devices.
        if (!request.Guest.Skip && overlays is null)
        {
            ct.ThrowIfCancellationRequested();
            Stage("guest");
            guest = GuestStage.Run(plan, targets.Select(t => t.LocalPath!).ToList(), registry.Guests, guestOptions, Log, ct);
            finalPlan = Replan(source.Vm, planRequest, guest.Facts);
        }

        // 8. The report and the domain XML, last.
        Stage("finalize");
        if (firmwareVars is not null)
        {
            finalPlan = finalPlan with { Firmware = finalPlan.Firmware with { NvramPath = session.StoreFirmwareVars(firmwareVars) } };
        }
        else
        {
            WarnIfUefiBootUnchecked(finalPlan, guest, request.Guest.Skip);
        }

        var documents = new OutputDocuments(new DomainXmlBuilder(templates).BuildString(finalPlan), ReportJson(finalPlan, results, guest?.Report));
        var written = session.Finalize(finalPlan, documents);
        Stage("done");
        return new ConversionResult(finalPlan, results, written, guest);
    }

    /// <summary>
    /// A UEFI source: VMware's NVRAM is read, and when the output keeps the domain's own variable store, its boot entries are
    /// carried into one made from the OVMF template. Null for BIOS; the store's bytes are null when nothing was carried.
    /// </summary>
    private (UefiFirmware? Uefi, byte[]? Vars) CarryUefiBoot(ConversionPlan plan, IFirmwareStore? nvram, bool outputKeepsVars, CancellationToken ct)
    {
        var uefi = UefiSourceBoot.Read(plan.Firmware, nvram, Log, ct);
        if (uefi?.SourceBoot is not { } boot)
        {
            return (uefi, null);
        }

        if (!outputKeepsVars)
        {
            Log.Info("uefi: this output keeps no variable store of its own (libvirt makes one from the template; a pool of block devices holds no store), so the boot entries are not carried; the EFI system partition's fallback loader boots the guest");
            return (uefi, null);
        }

        var vars = OvmfVarsBuilder.Build(plan.Firmware.NvramTemplate, boot, Log, ct);
        return (vars is null ? uefi : uefi with { EntriesCarried = true }, vars);
    }

    /// <summary>
    /// A UEFI guest whose boot path nothing checked (guest fixups skipped, or the guest not converted) gets a warning: its
    /// boot entry lived in VMware's NVRAM, and a new domain's variable store is empty.
    /// </summary>
    private void WarnIfUefiBootUnchecked(ConversionPlan plan, GuestConversionOutcome? guest, bool skipped)
    {
        if (!plan.Firmware.Efi || guest?.Report.Fixups.Any(f => f.Name == "uefi-boot") == true)
        {
            return;
        }

        var why = skipped ? "--no-guest-fixups" : guest?.Report.CompatibilityReason ?? "the guest was not converted";
        Log.Warn($"uefi: the VM boots with UEFI and its boot entry lived in VMware's NVRAM, which a new domain does not have; nothing checked that the EFI system partition has a removable-media fallback (EFI/BOOT/BOOTX64.EFI) ({why}), so OVMF may find nothing to boot");
    }

    /// <summary><c>inspect --guest</c>: looks inside the source disks, read-only, in one appliance launch.</summary>
    public static GuestInspection? InspectSourceGuest(VirtualMachine vm, ApplianceLaunch launch, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var present = vm.Disks.Where(d => d.FileState == DiskFileState.Present && d.ResolvedPath is not null).ToList();
        if (present.FirstOrDefault(d => !File.Exists(d.ResolvedPath)) is { } packed)
        {
            // A disk inside an archive (X.ova/disk1.vmdk) is read in place by the copy, but the appliance opens files.
            throw new NotSupportedException($"inspect --guest: disk {packed.Key} ({packed.ResolvedPath}) lies inside an archive, and the appliance reads only disk files; convert the OVA (its guest is inspected then), or unpack it and inspect the .ovf");
        }

        var disks = present.Select(d => new ApplianceDisk(d.ResolvedPath!, "vmdk", ReadOnly: true)).ToList();
        if (disks.Count == 0)
        {
            throw new FileNotFoundException($"{vm.Origin}: --guest needs the VM's disk files, and none is present here");
        }

        using var session = GuestfsSession.Launch(disks, launch, log, ct);
        var id = GuestInspector.Identify(session, readOnly: true, log);
        if (id is null)
        {
            return null;
        }

        if (WindowsGuestConverter.Handles(id))
        {
            var nics = vm.Nics.Select(n => NicInfo.FromModel(n, n.PciSlotNumber)).OfType<NicInfo>().ToList();
            return WindowsGuestConverter.Inspect(session, id, nics, log);
        }

        return GuestInspector.Inspect(session, id, log);
    }

    /// <summary>--templates DIR must exist, and every template must parse: checked before anything is opened.</summary>
    public static TemplateSet LoadTemplates(string? directory)
    {
        if (directory is null)
        {
            return TemplateSet.Embedded;
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"--templates {directory}: no such directory");
        }

        var set = new TemplateSet(directory);
        set.LoadAll();
        return set;
    }

    /// <summary>The source of a request, looked up in the run's guest catalog (loaded here, once per run).</summary>
    private OpenedSource OpenSource(ConversionRequest request, string? staging)
    {
        Stage("source");
        var catalog = ConversionPlanner.LoadCatalog(request.Plan.Mapping);
        return registry.SourceFor(request.Source).Open(request.Source, SourceContext(request, catalog, staging));
    }

    private SourceContext SourceContext(ConversionRequest request, Model.Catalog.GuestOsCatalog catalog, string? staging) => new()
    {
        Log = Log,
        Catalog = catalog,
        WorkingDirectory = context.WorkingDirectory,
        GetEnv = context.GetEnv,
        Vmdk = request.Vmdk,
        StagingDirectory = staging,
        Cancellation = context.Cancellation,
    };

    /// <summary>The final plan from the guest's facts. Its decisions repeat the first plan's, so only the guest decision is logged again.</summary>
    private ConversionPlan Replan(VirtualMachine vm, PlanRequest planRequest, GuestFacts facts)
    {
        var plan = ConversionPlanner.Plan(vm, planRequest with { Options = planRequest.Options with { GuestFacts = facts } }, LogExtensions.None);
        foreach (var d in plan.Decisions.Where(d => d.Subject == "guest"))
        {
            Log.Info(d.ToString());
        }

        return plan;
    }

    /// <summary>How much of a disk's allocation map is asked for at once when summing its data (bounds the map held in memory).</summary>
    private const long SizeWindow = 1L << 30;

    /// <summary>A source disk's size and its bytes of data, from its allocation map (no data is read).</summary>
    private static DiskSizes DiskSizes(OpenedSource source, DiskPlan d, VmdkOpenOptions vmdk, CancellationToken ct)
    {
        using var disk = source.Disks.Open(d.Source, vmdk with { Log = LogExtensions.None }, ct);
        long data = 0;
        for (long w = 0; w < disk.Length; w += SizeWindow)
        {
            ct.ThrowIfCancellationRequested();
            data += disk.GetExtents(w, Math.Min(SizeWindow, disk.Length - w)).Where(e => e.Kind == ExtentKind.Data).Sum(e => e.Length);
        }

        return new DiskSizes(disk.Length, data);
    }

    private List<DiskConvertResult> Copy(ConversionPlan plan, OpenedSource source, GuestOverlays? overlays, IReadOnlyList<IDiskTarget> targets, ConversionRequest request, int parallel, IConversionProgress? progress, CancellationToken ct)
    {
        var results = new DiskConvertResult?[plan.Disks.Count];
        try
        {
            Parallel.For(0, plan.Disks.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, i =>
            {
                var d = plan.Disks[i];
                var diskLog = Log.ForContext("Disk", d.Source.Key);
                diskLog.Info($"copying {d.Source.Key} {source.Disks.Describe(d.Source)} -> {targets[i].Describe}");
                using var disk = overlays?.Disk(i) ?? source.Disks.Open(d.Source, request.Vmdk with { Log = diskLog }, ct); // the format's warnings reach the log and the report
                results[i] = targets[i].Write(disk, request.Disk, p => progress?.DiskProgress(i, p), ct);
                source.Disks.Verify(d.Source, ct); // a digest taken in the copy's pass; before anything gets its final name
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }

        return results.Select(r => r!).ToList();
    }
}
