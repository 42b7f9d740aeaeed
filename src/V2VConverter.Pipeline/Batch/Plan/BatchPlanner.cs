using System.Globalization;
using Serilog;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.Pipeline.Batch.Sources;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Batch.Plan;

/// <summary>What <c>v2v plan</c> was asked: the source and its VM globs, the output, the mappings, the run options the concerns depend on.</summary>
public sealed record BatchPlanRequest
{
    public required BatchListRequest List { get; init; }

    public OutputSpec Output { get; init; } = new();

    /// <summary>-of qcow2|raw (null: the rules').</summary>
    public string? Format { get; init; }

    public bool Compress { get; init; }

    /// <summary>false: --no-guest-fixups for every VM.</summary>
    public bool GuestFixups { get; init; } = true;

    /// <summary>The rules (mapping files, --set, --bridge...) as for convert.</summary>
    public PlanRequest Plan { get; init; } = new();

    /// <summary>The same options as the plan file records them (for people, and for the run).</summary>
    public PlanMappings Mappings { get; init; } = new();

    /// <summary>The run is expected to get --shutdown-source / --allow-running (a running VM is then not a blocker).</summary>
    public bool ShutdownSource { get; init; }

    public bool AllowRunning { get; init; }
}

/// <summary>
/// <c>v2v plan</c>: lists the source's VMs, plans each with the same rules as <c>convert</c> (rules loaded once), probes
/// the target and evaluates the concerns. Nothing is copied and nothing on the source changes.
/// </summary>
public sealed class BatchPlanner(StageRegistry registry, JobContext context)
{
    private ILogger Log => context.Log;

    public BatchPlanDocument Plan(BatchPlanRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var location = request.List.Source.Location;
        var inventory = registry.BatchInventoryFor(location, context.WorkingDirectory);
        var output = registry.OutputFor(request.Output.Kind);
        var outputContext = new OutputContext { Log = Log, WorkingDirectory = context.WorkingDirectory };
        var options = output.ConfigurePlan(request.Output, request.Plan.Options with { CompatibilityMode = !request.GuestFixups, OutputFormat = request.Format ?? request.Plan.Options.OutputFormat }, outputContext);
        var rules = MappingConfiguration.Load(request.Plan.Mapping, out var ruleFiles);
        var catalog = ConversionPlanner.LoadCatalog(request.Plan.Mapping);

        var sourceContext = new SourceContext
        {
            Log = Log,
            Catalog = catalog,
            WorkingDirectory = context.WorkingDirectory,
            GetEnv = context.GetEnv,
            Cancellation = context.Cancellation,
        };
        var candidates = inventory.List(request.List, sourceContext);
        if (candidates.Count == 0)
        {
            throw new FileNotFoundException($"{location}: no VM found{(request.List.Include.Count > 0 ? " matching --vm " + string.Join(", ", request.List.Include) : "")}");
        }

        var target = BatchTargetProbe.Probe(request.Output.Kind, options.OutputPool ?? options.OutputDirectory ?? request.Output.Storage, request.Output.Connection, Log);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var vms = new List<PlanVm>();
        var evaluated = new List<(BatchVmFacts Facts, BatchVmChoices Choices)>();
        foreach (var c in candidates)
        {
            var entry = Entry(c, ids);
            entry.GuestFixups = request.GuestFixups;
            if (c.Vm is not null)
            {
                var plan = ConversionPlanner.Plan(c.Vm, rules, ruleFiles, options, LogExtensions.None);
                entry.Target = plan.Name;
                entry.Nics = plan.Nics.Select(n => new PlanNic
                {
                    Index = n.Source.Index,
                    Network = n.Source.NetworkName ?? n.Source.PortGroupKey ?? n.Source.Vnet ?? n.Source.ConnectionType,
                    Mac = n.Source.MacAddress,
                    Model = n.Model,
                    Target = $"{n.TargetKind.ToString().ToLowerInvariant()}:{n.TargetName}",
                    Rule = plan.Decisions.LastOrDefault(d => d.Subject == $"ethernet{n.Source.Index} network")?.Rule,
                }).ToList();
                entry.Disks = plan.Disks.Select(d =>
                {
                    var facts = c.Facts.Disks.FirstOrDefault(f => f.Key == d.Source.Key);
                    return new PlanDisk
                    {
                        Key = d.Source.Key,
                        File = d.Source.FileName,
                        CapacityBytes = d.Source.CapacityBytes ?? facts?.CapacityBytes,
                        DataBytes = facts?.AllocatedBytes ?? d.Source.CapacityBytes ?? facts?.CapacityBytes,
                        Storage = d.StorageTarget,
                        Rule = plan.Decisions.LastOrDefault(x => x.Subject == d.Source.Key + " storage")?.Rule,
                    };
                }).ToList();
            }
            else
            {
                entry.Target = Planner.SafeFileName(c.Facts.Name);
                entry.Skip = false;
            }

            vms.Add(entry);
            evaluated.Add((c.Facts, Choices(entry, request.ShutdownSource, request.AllowRunning)));
        }

        var concerns = ConcernRules.Evaluate(evaluated, target);
        for (var i = 0; i < vms.Count; i++)
        {
            var list = concerns[i].Select(ToPlan).ToList();
            if (candidates[i].Problem is { } problem)
            {
                list.Insert(0, new PlanConcern { Severity = "blocker", Code = "source-unreadable", Message = problem, Fix = "repair or remove the VM's files, or skip it" });
            }

            vms[i].Concerns = list;
        }

        return new BatchPlanDocument
        {
            Created = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Source = new PlanSource
            {
                Kind = inventory.Kind,
                Location = inventory.Kind == "folder" ? Path.GetFullPath(location, context.WorkingDirectory) : location,
                PasswordFile = request.List.Source.PasswordFile,
                Thumbprint = request.List.Source.Thumbprint,
                TimeoutSeconds = request.List.Source.TimeoutSeconds,
            },
            Output = new PlanOutput
            {
                Mode = request.Output.Kind,
                Storage = request.Output.Storage is { } s && request.Output.Kind == "local" ? Path.GetFullPath(s, context.WorkingDirectory) : request.Output.Storage,
                Connection = request.Output.Connection,
                Format = request.Format,
                Compress = request.Compress,
                Start = request.Output.Start,
                GuestFixups = request.GuestFixups,
            },
            Mappings = request.Mappings,
            Vms = vms,
        };
    }

    /// <summary>The choices of a plan entry, as the concern rules see them.</summary>
    public static BatchVmChoices Choices(PlanVm vm, bool shutdownSource, bool allowRunning)
    {
        ArgumentNullException.ThrowIfNull(vm);
        return new BatchVmChoices(
            vm.Target,
            vm.Nics.Select(n => n.Target).ToList(),
            vm.Disks.Select(d => d.Storage).ToList(),
            vm.Disks.Sum(d => d.DataBytes ?? d.CapacityBytes ?? 0),
            shutdownSource,
            allowRunning);
    }

    public static PlanConcern ToPlan(BatchConcern c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new PlanConcern { Severity = c.Severity.ToString().ToLowerInvariant(), Code = c.Code, Message = c.Message, Fix = c.Fix };
    }

    private static PlanVm Entry(BatchCandidate c, HashSet<string> ids)
    {
        var id = Planner.SafeFileName(c.Facts.Name).Replace(' ', '_');
        if (!ids.Add(id))
        {
            var n = 2;
            while (!ids.Add(string.Create(CultureInfo.InvariantCulture, $"{id}-{n}")))
            {
                n++;
            }

            id = string.Create(CultureInfo.InvariantCulture, $"{id}-{n}");
        }

        var f = c.Facts;
        return new PlanVm
        {
            Id = id,
            Name = f.Name,
            Source = c.Source,
            Ref = c.Ref,
            Folder = f.Folder,
            Host = f.Host,
            PowerState = f.PowerState ?? (f.LockedByHypervisor ? "locked (running?)" : null),
            Guest = f.Guest.Description,
            Firmware = f.Firmware == Model.Vm.Firmware.Efi ? (f.SecureBoot ? "efi+secureboot" : "efi") : "bios",
        };
    }
}
