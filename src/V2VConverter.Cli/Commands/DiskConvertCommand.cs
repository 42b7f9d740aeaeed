using System.Globalization;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Commands;

/// <summary><c>v2v disk convert IN OUT</c>: copies any readable disk image to raw or qcow2, like <c>qemu-img convert</c>.</summary>
public sealed class DiskConvertCommand : ICommand
{
    public string Name => "disk convert";

    public string Usage => "disk convert IN OUT [-O raw|qcow2] [-c] [--cluster-size N] [--preallocation off|falloc|full] [--fsync] [--machine-readable] [--parallel N] [--request-size N]";

    public string Summary => "Copy a disk image (raw, qcow2, vmdk) to raw (default) or qcow2, skipping holes; -c compresses qcow2 clusters on all cores.";

    public int Run(CliContext context, ArgReader args)
    {
        // Every option is checked before a byte is copied.
        var formatText = args.Value("-O", "--output-format") ?? "raw";
        var (compress, fsync, machineReadable, vmdk) = CopyArgs.Read(args);
        var clusterText = args.Value("--cluster-size");
        var preallocText = args.Value("--preallocation");
        var inputFormat = args.Value("-f", "--input-format");
        var levelText = args.Value("--compression-level");
        var parallelText = args.Value("--parallel");
        var requestText = args.Value("--request-size");
        var paths = args.Positionals(2, 2, "input and output file names (disk convert IN OUT)");

        var format = formatText switch
        {
            "raw" => DiskOutputFormat.Raw,
            "qcow2" => DiskOutputFormat.Qcow2,
            _ => throw new UsageException($"-O must be raw or qcow2, not \"{formatText}\""),
        };
        var prealloc = preallocText switch
        {
            null or "off" => DiskPreallocation.Off,
            "falloc" => DiskPreallocation.Falloc,
            "full" => DiskPreallocation.Full,
            _ => throw new UsageException($"--preallocation must be off, falloc or full, not \"{preallocText}\""),
        };
        var clusterSize = clusterText is null ? DiskConvertOptions.DefaultClusterSize : ParseSize(clusterText, "--cluster-size");
        var level = levelText is null ? 6 : ParseLevel(levelText);
        if (inputFormat is not (null or "raw" or "qcow2" or "vmdk"))
        {
            throw new UsageException($"-f must be raw, qcow2 or vmdk, not \"{inputFormat}\"");
        }

        var defaults = new DiskConvertOptions();
        var options = new DiskConvertOptions
        {
            Parallelism = parallelText is null ? defaults.Parallelism : ParseLevelLike(parallelText, "--parallel", 1, 64),
            ChunkSize = requestText is null ? defaults.ChunkSize : ParseSize(requestText, "--request-size"),
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

        if (clusterText is not null && format != DiskOutputFormat.Qcow2)
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

        var input = context.ResolvePath(paths[0]);
        var output = context.ResolvePath(paths[1]);
        if (string.Equals(input, output, StringComparison.Ordinal))
        {
            throw new UsageException("input and output are the same file");
        }

        var outDir = Path.GetDirectoryName(output) ?? ".";
        if (!Directory.Exists(outDir))
        {
            throw new UsageException($"output directory {outDir} does not exist");
        }

        using var disk = DiskImage.Open(input, inputFormat, vmdk);
        context.Logger.Info($"input {input}: {disk.Format}, {disk.Length} bytes");
        var display = new ProgressDisplay(context, machineReadable, Path.GetFileName(output));
        try
        {
            var result = DiskConverter.Convert(disk, output, options, p => display.Report(p.Done, p.Total), context.Cancellation);
            display.Complete();
            context.Logger.Info($"wrote {result.OutputPath}: {result.OutputFileSize} bytes, {result.DataBytesRead} data bytes read in {result.Elapsed.TotalSeconds:0.00} s");
            if (machineReadable)
            {
                context.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{{\"type\":\"done\",\"output\":\"{JsonEscape(result.OutputPath)}\",\"format\":\"{formatText}\",\"virtual_size\":{result.VirtualSize},\"file_size\":{result.OutputFileSize},\"seconds\":{result.Elapsed.TotalSeconds:0.###}}}"));
            }

            return ExitCodes.Success;
        }
        catch
        {
            display.Complete();
            throw;
        }
    }

    private static int ParseSize(string text, string option)
    {
        var t = text.Trim();
        long mult = 1;
        if (t.Length > 0 && char.IsLetter(t[^1]))
        {
            mult = char.ToUpperInvariant(t[^1]) switch
            {
                'K' => 1024,
                'M' => 1024 * 1024,
                'B' => 1,
                _ => 0,
            };
            t = t[..^1];
        }

        if (mult == 0 || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n * mult > int.MaxValue)
        {
            throw new UsageException($"{option} needs a size like 65536, 64K or 2M, not \"{text}\"");
        }

        return (int)(n * mult);
    }

    private static int ParseLevelLike(string text, string option, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new UsageException($"{option} needs a whole number {min}..{max}, not \"{text}\"");

    private static int ParseLevel(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 9
            ? n
            : throw new UsageException($"--compression-level needs 1..9, not \"{text}\"");

    private static string JsonEscape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
