using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Guest.Access;

namespace V2VConverter.Cli.Commands;

/// <summary>The subcommands, one line each; each definition is parsed into a small options record handed to the command's Run.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<Command> Create(CliContext context) =>
    [
        // one line per command; keep names stable once an issue names them
        InspectCommand.Create(context),
        XmlCommand.Create(context),
        ConvertCommand.Create(context),
        InventoryCommand.Create(context),
        new Command("disk", "Disk images: info, convert.") { DiskInfoCommand.Create(context), DiskConvertCommand.Create(context) },
        CompletionCommand.Create(context),
        PlanCommand.Create(context),
        RunCommand.Create(context),
        StatusCommand.Create(context),
    ];

    /// <summary>The source of inspect, xml and convert.</summary>
    public static Argument<string> SourceArgument() => new("X.vmx|URI")
    {
        Description = "a local .vmx (or its folder), or esx://[user@]host[:port]/[?no_verify=1] or vpx://[user@]vcenter/Datacenter[/Folder...]/Cluster/Host[?no_verify=1] with --vm NAME",
    };

    /// <summary><c>--kvm-launch-timeout SECONDS</c> of convert and inspect --guest.</summary>
    public static Option<int?> KvmLaunchTimeout() => CliOptions.Number(
        "--kvm-launch-timeout", "SECONDS", $"stop a KVM appliance launch that has not finished after SECONDS and retry it with TCG (default {ApplianceLaunch.DefaultKvmDeadline.TotalSeconds:F0})",
        1, (int)ApplianceLaunch.MaxKvmDeadline.TotalSeconds);

    /// <summary>The value of <see cref="KvmLaunchTimeout"/>, or the default deadline.</summary>
    /// <summary>-o for the dry runs: the output whose plan is shown (-o libvirt -os POOL: the volumes that would be created).</summary>
    public static Option<string> OutputMode() =>
        CliOptions.OneOf("-o", ["--output-mode"], "plan for this output: local (files in -os DIR) or libvirt (volumes in storage pool -os POOL)", "local", "libvirt");

    public static TimeSpan KvmLaunchDeadline(int? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : ApplianceLaunch.DefaultKvmDeadline;
}
