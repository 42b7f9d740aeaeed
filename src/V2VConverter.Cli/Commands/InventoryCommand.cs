using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Documents;
using V2VConverter.Pipeline.Sources.VSphere;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v inventory</c>, as parsed.</summary>
internal sealed record InventoryCliOptions(string Uri, bool Json, int? PageSize, string? PasswordFile, string? Thumbprint, int? TimeoutSeconds = null);

/// <summary><c>v2v inventory URI [--json]</c>: every VM of an ESXi host or vCenter path.</summary>
internal static class InventoryCommand
{
    public static Command Create(CliContext context)
    {
        var uri = new Argument<string>("URI") { Description = "esx://[user@]host[:port]/[?no_verify=1] or vpx://[user@]vcenter/Datacenter[/Cluster[/Host]]" };
        var json = CliOptions.Flag("--json", "the same content as JSON");
        var pageSize = CliOptions.Number("--page-size", "N", "VMs asked for per request (default 500)", 1, int.MaxValue);
        var vsphere = new VSphereOptionSet(withVm: false);
        var command = new Command(
            "inventory",
            "List the VMs of an ESXi host or vCenter: power state, guest OS, CPUs, memory, disks, NICs, snapshots, datastores. "
            + "The password comes from --password-file, V2V_PASSWORD or ~/.netrc (mode 600), never from the command line.")
        {
            uri, json, pageSize,
        };
        vsphere.AddTo(command);
        command.SetAction(r =>
        {
            var (passwordFile, thumbprint) = vsphere.BindCredentials(r, context);
            return Run(context, new InventoryCliOptions(r.GetRequiredValue(uri), r.GetValue(json), r.GetValue(pageSize), passwordFile, thumbprint, vsphere.BindTimeout(r)));
        });
        return command;
    }

    public static int Run(CliContext context, InventoryCliOptions o)
    {
        var json = o.Json;
        var (passwordFile, thumbprint) = (o.PasswordFile, o.Thumbprint);
        var pageSize = o.PageSize;
        var uriText = o.Uri;
        if (!VSphereUri.IsVSphereUri(uriText) && !VSphereUri.LooksLikeUri(uriText))
        {
            throw new UsageException($"inventory needs an esx:// or vpx:// URI, not \"{uriText}\"");
        }

        var spec = new SourceSpec { Location = uriText, PasswordFile = passwordFile, Thumbprint = thumbprint, TimeoutSeconds = o.TimeoutSeconds };
        var vms = VSphereInventorySource.ListVms(spec, new SourceContext { Log = context.Logger, GetEnv = context.GetEnv, WorkingDirectory = context.WorkingDirectory, Cancellation = context.Cancellation }, pageSize ?? 500);

        if (json)
        {
            context.Out.WriteLine(DocumentJson.Serialize(InventoryDocument.Create(vms)));
        }
        else
        {
            PrintTable(context.Out, vms);
        }

        return ExitCodes.Success;
    }

    private static void PrintTable(TextWriter w, IReadOnlyList<VSphereVmInfo> vms)
    {
        string[] header = ["NAME", "POWER", "GUEST", "CPUS", "MEMORY", "DISKS", "NICS", "SNAPSHOTS", "DATASTORE"];
        var rows = vms.Select(v => new[]
        {
            v.Name + (v.IsTemplate ? " (template)" : ""),
            v.PowerState,
            v.GuestId ?? "-",
            v.NumCpu.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ByteSize.Format(v.MemoryMiB * 1024 * 1024),
            v.Disks.Count == 0 ? "-" : string.Join(", ", v.Disks.Select(d => $"{d.Slot} {ByteSize.Format(d.CapacityBytes)}{(d.IsRawDevice ? " (RDM)" : "")}")),
            v.Nics.Count == 0 ? "-" : string.Join(", ", v.Nics.Select(n => $"{n.Model} {n.MacAddress ?? "(no MAC)"} on {n.Network ?? n.PortGroupKey ?? "?"}")),
            v.Snapshots.Count == 0 ? "-" : string.Join(", ", v.Snapshots.Select(s => new string('>', s.Depth) + s.Name)),
            v.Datastores.Count == 0 ? "-" : string.Join(", ", v.Datastores),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Line(string[] cells) => w.WriteLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        foreach (var r in rows)
        {
            Line(r);
        }

        w.WriteLine($"{vms.Count} VM(s), {vms.Count(v => v.PowerState == "poweredOn")} powered on");
    }
}
