using System.CommandLine;
using System.Globalization;
using System.Text;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Ova;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Documents;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v disk info</c>, as parsed.</summary>
internal sealed record DiskInfoCliOptions(string Disk, bool Json, VmdkOpenOptions Vmdk, string? Member = null);

/// <summary><c>disk info X.vmdk [--json]</c>: what <c>qemu-img info</c> shows, for every VMDK layout we read.</summary>
internal static class DiskInfoCommand
{
    public static Command Create(CliContext context)
    {
        var disk = new Argument<string>("DISK.vmdk") { Description = "the VMDK descriptor or sparse file; or a disk inside an OVA, as X.ova/disk1.vmdk" };
        var json = CliOptions.Flag("--json", "the same content as JSON");
        var member = CliOptions.Value("--member", "NAME", "DISK is an OVA: show its member NAME (the same as DISK/NAME)");
        var vmdk = new VmdkOptionSet();
        var command = new Command("info", "Show a VMDK's format, subformat, virtual size, allocated bytes, extents, snapshot chain, adapter type and CID.") { disk, json, member };
        vmdk.AddTo(command);
        command.SetAction(r => Run(context, new DiskInfoCliOptions(r.GetRequiredValue(disk), r.GetValue(json), vmdk.Bind(r), r.GetValue(member))));
        return command;
    }

    public static int Run(CliContext context, DiskInfoCliOptions o)
    {
        var json = o.Json;
        var options = o.Vmdk;
        var path = context.ResolvePath(o.Disk);
        if (o.Member is not null)
        {
            path = Path.Combine(path, o.Member);
        }

        options = options with { Log = context.Logger, Cancellation = context.Cancellation };
        using var package = OvfPackage.OpenEnclosing(path, o.Member is not null);
        using var disk = VmdkDisk.Open(path, null, package is null ? options : options with { Container = package });
        if (json)
        {
            context.Out.WriteLine(DocumentJson.Serialize(DiskInfoDocument.Create(disk)));
        }
        else
        {
            WriteText(context.Out, disk);
        }

        return ExitCodes.Success;
    }

    private static string Cid(uint? cid) => cid is { } c ? DiskInfoDocument.Hex(c) : "-";

    private static void WriteText(TextWriter w, VmdkDisk disk)
    {
        w.WriteLine($"image: {disk.Path}");
        w.WriteLine($"file format: {disk.Format}");
        w.WriteLine($"subformat: {disk.Subformat}");
        w.WriteLine($"virtual size: {ByteSize.Format(disk.Length)}");
        w.WriteLine($"allocated: {ByteSize.Format(disk.AllocatedBytes)}");
        w.WriteLine($"disk size (all files of the chain): {ByteSize.Format(disk.FileBytes)}");
        w.WriteLine($"adapter type: {disk.AdapterType ?? "-"}");
        w.WriteLine($"cid: {Cid(disk.Cid)}");
        w.WriteLine($"parent cid: {Cid(disk.ParentCid)}");
        var hw = disk.Descriptor?.VirtualHWVersion;
        if (hw is not null)
        {
            w.WriteLine($"virtual hardware version: {hw}");
        }

        w.WriteLine("extents:");
        for (var i = 0; i < disk.Extents.Count; i++)
        {
            var e = disk.Extents[i];
            var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"  [{i}] {e.Access} {e.SizeSectors} {e.Type}"));
            if (e.FileName is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" \"{e.FileName}\"");
            }

            if (e.OffsetSectors != 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" {e.OffsetSectors}");
            }

            sb.Append(CultureInfo.InvariantCulture, $"  ({e.Kind}, {ByteSize.Format(e.SizeSectors * 512)})");
            w.WriteLine(sb.ToString());
        }

        w.WriteLine("snapshot chain (top first):");
        for (var i = 0; i < disk.Chain.Count; i++)
        {
            var l = disk.Chain[i];
            w.WriteLine($"  [{i}] {l.Path}  ({l.CreateType}, CID {Cid(l.Cid)}, parent CID {Cid(l.ParentCid)}, {ByteSize.Format(l.Length)})");
        }

        if (disk.Warnings.Count > 0)
        {
            w.WriteLine("warnings:");
            foreach (var warning in disk.Warnings)
            {
                w.WriteLine($"  {warning}");
            }
        }
    }
}
