using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v disk info</c>, as parsed.</summary>
internal sealed record DiskInfoCliOptions(string Disk, bool Json, VmdkOpenOptions Vmdk);

/// <summary><c>disk info X.vmdk [--json]</c>: what <c>qemu-img info</c> shows, for every VMDK layout we read.</summary>
internal static class DiskInfoCommand
{
    public static Command Create(CliContext context)
    {
        var disk = new Argument<string>("DISK.vmdk") { Description = "the VMDK descriptor or sparse file" };
        var json = CliOptions.Flag("--json", "the same content as JSON");
        var vmdk = new VmdkOptionSet();
        var command = new Command("info", "Show a VMDK's format, subformat, virtual size, allocated bytes, extents, snapshot chain, adapter type and CID.") { disk, json };
        vmdk.AddTo(command);
        command.SetAction(r => Run(context, new DiskInfoCliOptions(r.GetRequiredValue(disk), r.GetValue(json), vmdk.Bind(r))));
        return command;
    }

    public static int Run(CliContext context, DiskInfoCliOptions o)
    {
        var json = o.Json;
        var options = o.Vmdk;
        var path = context.ResolvePath(o.Disk);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file", path);
        }

        using var disk = VmdkDisk.Open(path, options);
        if (json)
        {
            WriteJson(context.Out, disk);
        }
        else
        {
            WriteText(context.Out, disk);
        }

        return ExitCodes.Success;
    }

    private static string Cid(uint? cid) => cid is { } c ? c.ToString("x8", CultureInfo.InvariantCulture) : "-";

    internal static string Size(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        var human = u == 0 ? $"{bytes} bytes" : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(v, 3):0.###} {units[u]}");
        return u == 0 ? human : string.Create(CultureInfo.InvariantCulture, $"{human} ({bytes} bytes)");
    }

    private static void WriteText(TextWriter w, VmdkDisk disk)
    {
        w.WriteLine($"image: {disk.Path}");
        w.WriteLine($"file format: {disk.Format}");
        w.WriteLine($"subformat: {disk.Subformat}");
        w.WriteLine($"virtual size: {Size(disk.Length)}");
        w.WriteLine($"allocated: {Size(disk.AllocatedBytes)}");
        w.WriteLine($"disk size (all files of the chain): {Size(disk.FileBytes)}");
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

            sb.Append(CultureInfo.InvariantCulture, $"  ({e.Kind}, {Size(e.SizeSectors * 512)})");
            w.WriteLine(sb.ToString());
        }

        w.WriteLine("snapshot chain (top first):");
        for (var i = 0; i < disk.Chain.Count; i++)
        {
            var l = disk.Chain[i];
            w.WriteLine($"  [{i}] {l.Path}  ({l.CreateType}, CID {Cid(l.Cid)}, parent CID {Cid(l.ParentCid)}, {Size(l.Length)})");
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

    private static void WriteJson(TextWriter w, VmdkDisk disk)
    {
        var ms = new MemoryStream();
        using (var j = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("filename", disk.Path);
            j.WriteString("format", disk.Format);
            j.WriteString("subformat", disk.Subformat);
            j.WriteNumber("virtual-size", disk.Length);
            j.WriteNumber("allocated-size", disk.AllocatedBytes);
            j.WriteNumber("actual-size", disk.FileBytes);
            WriteNullable(j, "adapter-type", disk.AdapterType);
            WriteNullable(j, "cid", disk.Cid is null ? null : Cid(disk.Cid));
            j.WriteString("parent-cid", Cid(disk.ParentCid));
            WriteNullable(j, "virtual-hw-version", disk.Descriptor?.VirtualHWVersion);
            j.WriteStartArray("extents");
            foreach (var e in disk.Extents)
            {
                j.WriteStartObject();
                j.WriteString("access", e.Access);
                j.WriteNumber("size-sectors", e.SizeSectors);
                j.WriteString("type", e.Type);
                WriteNullable(j, "filename", e.FileName);
                WriteNullable(j, "path", e.ResolvedPath);
                j.WriteNumber("offset-sectors", e.OffsetSectors);
                j.WriteString("kind", e.Kind);
                j.WriteNumber("file-size", e.FileBytes);
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("chain");
            foreach (var l in disk.Chain)
            {
                j.WriteStartObject();
                j.WriteString("filename", l.Path);
                j.WriteString("subformat", l.CreateType);
                WriteNullable(j, "cid", l.Cid is null ? null : Cid(l.Cid));
                j.WriteString("parent-cid", Cid(l.ParentCid));
                WriteNullable(j, "parent-filename-hint", l.Descriptor?.ParentFileNameHint);
                j.WriteNumber("virtual-size", l.Length);
                j.WriteStartObject("ddb");
                foreach (var kv in l.Descriptor?.Ddb ?? [])
                {
                    j.WriteString(kv.Key, kv.Value);
                }

                j.WriteEndObject();
                j.WriteEndObject();
            }

            j.WriteEndArray();
            j.WriteStartArray("warnings");
            foreach (var warning in disk.Warnings)
            {
                j.WriteStringValue(warning);
            }

            j.WriteEndArray();
            j.WriteEndObject();
        }

        w.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }

    private static void WriteNullable(Utf8JsonWriter j, string name, string? value)
    {
        if (value is null)
        {
            j.WriteNull(name);
        }
        else
        {
            j.WriteString(name, value);
        }
    }
}
