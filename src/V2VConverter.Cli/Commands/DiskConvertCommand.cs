using System.CommandLine;
using System.Globalization;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Commands;

/// <summary>The options of <c>v2v disk convert</c>, as parsed; null means the default.</summary>
internal sealed record DiskConvertCliOptions(
    string Input,
    string Output,
    string OutputFormat,
    string? InputFormat,
    CopyArgs Copy,
    int? ClusterSize,
    string? Preallocation,
    int? CompressionLevel,
    int? Parallel,
    int? RequestSize);

/// <summary><c>v2v disk convert IN OUT</c>: copies any readable disk image to raw or qcow2, like <c>qemu-img convert</c>.</summary>
internal static class DiskConvertCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("IN") { Description = "the disk image to read (raw, qcow2 or any VMDK layout)" };
        var output = new Argument<string>("OUT") { Description = "the image to write; it must not exist" };
        var outputFormat = CliOptions.OneOf("-O", ["--output-format"], "output format (default raw)", "raw", "qcow2");
        var inputFormat = CliOptions.OneOf("-f", ["--input-format"], "input format (default: detected)", "raw", "qcow2", "vmdk");
        var copy = new CopyOptionSet();
        var clusterSize = CliOptions.Size("--cluster-size", "qcow2 cluster size (default 64K)");
        var preallocation = CliOptions.OneOf("--preallocation", [], "preallocate a raw output (default off)", "off", "falloc", "full");
        var level = CliOptions.Number("--compression-level", "1..9", "zlib level for -c (default 6)", 1, 9);
        var parallel = CliOptions.Number("--parallel", "N", "copy with N requests in flight (1..64)", 1, 64);
        var requestSize = CliOptions.Size("--request-size", "bytes read or written per request");
        var command = new Command("convert", "Copy a disk image (raw, qcow2, vmdk) to raw (default) or qcow2, skipping holes; -c compresses qcow2 clusters on all cores.")
        {
            input, output, outputFormat, inputFormat,
        };
        copy.AddTo(command);
        foreach (var o in new Option[] { clusterSize, preallocation, level, parallel, requestSize })
        {
            command.Options.Add(o);
        }

        command.SetAction(r => Run(context, new DiskConvertCliOptions(
            r.GetRequiredValue(input),
            r.GetRequiredValue(output),
            r.GetValue(outputFormat) ?? "raw",
            r.GetValue(inputFormat),
            copy.Bind(r),
            r.GetValue(clusterSize),
            r.GetValue(preallocation),
            r.GetValue(level),
            r.GetValue(parallel),
            r.GetValue(requestSize))));
        return command;
    }

    public static int Run(CliContext context, DiskConvertCliOptions o)
    {
        // Every option is checked before a byte is copied.
        var formatText = o.OutputFormat;
        var (compress, fsync, machineReadable, vmdk) = o.Copy;
        var inputFormat = o.InputFormat;
        var format = formatText switch
        {
            "raw" => DiskOutputFormat.Raw,
            "qcow2" => DiskOutputFormat.Qcow2,
            _ => throw new UsageException($"-O must be raw or qcow2, not \"{formatText}\""),
        };
        var prealloc = o.Preallocation switch
        {
            null or "off" => DiskPreallocation.Off,
            "falloc" => DiskPreallocation.Falloc,
            "full" => DiskPreallocation.Full,
            _ => throw new UsageException($"--preallocation must be off, falloc or full, not \"{o.Preallocation}\""),
        };
        var clusterSize = o.ClusterSize ?? DiskConvertOptions.DefaultClusterSize;
        var level = o.CompressionLevel ?? 6;
        var defaults = new DiskConvertOptions();
        var options = new DiskConvertOptions
        {
            Parallelism = o.Parallel ?? defaults.Parallelism,
            ChunkSize = o.RequestSize ?? defaults.ChunkSize,
            Format = format,
            Compress = compress,
            ClusterSize = clusterSize,
            CompressionLevel = level,
            Fsync = fsync,
            Preallocation = prealloc,
        };
        if (compress && format != DiskOutputFormat.Qcow2)
        {
            throw new UsageException("-c needs -O qcow2");
        }

        if (o.ClusterSize is not null && format != DiskOutputFormat.Qcow2)
        {
            throw new UsageException("--cluster-size needs -O qcow2");
        }

        if (prealloc != DiskPreallocation.Off && format != DiskOutputFormat.Raw)
        {
            throw new UsageException("--preallocation is supported for -O raw only");
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message);
        }

        var input = context.ResolvePath(o.Input);
        var output = context.ResolvePath(o.Output);
        if (string.Equals(input, output, StringComparison.Ordinal))
        {
            throw new UsageException("input and output are the same file");
        }

        var outDir = Path.GetDirectoryName(output) ?? ".";
        if (!Directory.Exists(outDir))
        {
            throw new UsageException($"output directory {outDir} does not exist");
        }

        using var disk = DiskImage.Open(input, inputFormat, vmdk with { Log = context.Logger, Cancellation = context.Cancellation });
        context.Logger.Info($"input {input}: {disk.Format}, {disk.Length} bytes");
        using var progress = new CopyProgress(context, machineReadable, [(Path.GetFileName(output), disk.Length)]);
        var result = DiskConverter.Convert(disk, output, options, p => progress.Report(0, p.Done, p.Total), context.Cancellation);
        progress.Dispose();
        context.Logger.Info($"wrote {result.OutputPath}: {result.OutputFileSize} bytes, {result.DataBytesRead} data bytes read in {result.Elapsed.TotalSeconds:0.00} s");
        if (machineReadable)
        {
            context.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"type\":\"done\",\"output\":\"{JsonEscape(result.OutputPath)}\",\"format\":\"{formatText}\",\"virtual_size\":{result.VirtualSize},\"file_size\":{result.OutputFileSize},\"seconds\":{result.Elapsed.TotalSeconds:0.###}}}"));
        }

        return ExitCodes.Success;
    }

    private static string JsonEscape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
