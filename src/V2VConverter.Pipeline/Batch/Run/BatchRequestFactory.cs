using V2VConverter.Formats.Disk;
using V2VConverter.Guest.Access;
using V2VConverter.Guest;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Pipeline.Batch.Plan;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Batch.Run;

/// <summary>How <c>v2v run</c> runs a plan.</summary>
public sealed record BatchRunOptions
{
    /// <summary>--parallel N: VMs converted at once.</summary>
    public int Parallel { get; init; } = 2;

    /// <summary>--per-host N: VMs at once per source host (ESXi limits its NFC/HTTP sessions).</summary>
    public int PerHost { get; init; } = 2;

    /// <summary>--shutdown-source: ask a running vSphere guest to shut down before its copy.</summary>
    public bool ShutdownSource { get; init; }

    /// <summary>--force-poweroff: power it off when the guest did not shut down in <see cref="ShutdownTimeout"/>.</summary>
    public bool ForcePowerOff { get; init; }

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>--allow-running: copy a running VM anyway (inconsistent).</summary>
    public bool AllowRunning { get; init; }

    /// <summary>--force: convert guests that have blockers inside (hibernated, BitLocker...).</summary>
    public bool ForceGuest { get; init; }

    public string? VirtioWin { get; init; }

    public TimeSpan KvmLaunchDeadline { get; init; } = ApplianceLaunch.DefaultKvmDeadline;

    /// <summary>-vv: the per-VM log files keep everything (they always keep information and up).</summary>
    public int Verbosity { get; init; }
}

/// <summary>Turns one VM of a plan into the <see cref="ConversionRequest"/> that <c>convert</c> would build for it.</summary>
public static class BatchRequestFactory
{
    public static ConversionRequest Request(BatchPlanDocument plan, PlanVm vm, BatchRunOptions options, IReadOnlyDictionary<string, string?>? environment)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(options);
        var vsphere = plan.Source.Kind == "vsphere";
        var m = plan.Mappings;
        var source = new SourceSpec
        {
            Location = vsphere ? plan.Source.Location : vm.Source,
            VmName = vsphere ? (vm.Ref is { } r ? "moref:" + r : vm.Name) : null,
            PasswordFile = vsphere ? plan.Source.PasswordFile : null,
            Thumbprint = vsphere ? plan.Source.Thumbprint : null,
            TimeoutSeconds = vsphere ? plan.Source.TimeoutSeconds : null,
            AllowRunning = options.AllowRunning,
            InputKind = vsphere ? "vsphere" : "vmx",
        };
        var local = plan.Output.Mode == "local";
        return new ConversionRequest
        {
            Source = source,
            Plan = new PlanRequest
            {
                Mapping = new MappingSources
                {
                    MappingsDirectory = m.MappingsDir,
                    ConfigFile = m.Config,
                    UserMappingFiles = m.MappingFiles,
                    Environment = environment,
                    CommandLine = CommandLineOverrides.Build(m.Bridges, m.Networks, m.Set, m.Tuning),
                },
                Options = new PlanOptions
                {
                    OutputFormat = plan.Output.Format,
                    CompatibilityMode = !vm.GuestFixups,
                    KeepHostDevices = m.KeepHostDevices,
                    TargetName = vm.Target,
                    NicTargets = vm.Nics.ToDictionary(n => n.Index, n => n.Target),
                    DiskStorage = vm.Disks.ToDictionary(d => d.Key, d => d.Storage, StringComparer.Ordinal),
                },
                TemplatesDirectory = m.Templates,
            },
            Output = new OutputSpec
            {
                Kind = plan.Output.Mode,
                Storage = local ? vm.Disks.FirstOrDefault()?.Storage ?? plan.Output.Storage : plan.Output.Storage,
                Connection = plan.Output.Connection,
                Start = plan.Output.Start,
            },
            Disk = new DiskConvertOptions { Compress = plan.Output.Compress },
            Guest = new GuestStageOptions
            {
                Skip = !vm.GuestFixups,
                KvmLaunchDeadline = options.KvmLaunchDeadline,
                VirtioWin = options.VirtioWin,
                BlockDriver = WindowsBlockDriver.VirtioBlk,
                Force = options.ForceGuest,
            },
        };
    }
}
