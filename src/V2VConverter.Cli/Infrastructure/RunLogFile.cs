using System.Globalization;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// Where a run's JSON log goes: <c>--log-dir DIR</c>, else (for <c>convert</c>) beside the outputs.
/// The name says which VM and when: <c>NAME.20261130-121500.log.json</c>. It is kept when the run fails.
/// </summary>
internal static class RunLogFile
{
    public const string OptionUsage = "[--log-dir DIR]";

    /// <summary>Dry runs (inspect, xml) write a log file only when asked to.</summary>
    public static string? InDirectory(CliContext context, SourceSpec source, string? logDir) =>
        logDir is null ? null : Path.Combine(EnsureDirectory(context.ResolvePath(logDir), "--log-dir"), NameFor(source));

    /// <summary>A conversion always keeps its log: under --log-dir, else in -os DIR (created when its parent exists, as -o local would).</summary>
    public static string? ForConversion(CliContext context, SourceSpec source, string? storage, string? logDir)
    {
        if (logDir is not null)
        {
            return InDirectory(context, source, logDir);
        }

        if (storage is null)
        {
            return null;
        }

        var dir = context.ResolvePath(storage);
        var parent = Path.GetDirectoryName(dir);
        return Directory.Exists(dir) || (parent is not null && Directory.Exists(parent))
            ? Path.Combine(EnsureDirectory(dir, "-os"), NameFor(source))
            : null; // the output check reports the missing folder
    }

    public static string NameFor(SourceSpec source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var label = source.VmName ?? Path.GetFileNameWithoutExtension(source.Location.TrimEnd('/'));
        return string.Create(CultureInfo.InvariantCulture, $"{Planner.SafeFileName(label.Length == 0 ? "v2v" : label)}.{DateTime.UtcNow:yyyyMMdd-HHmmss}.log.json");
    }

    private static string EnsureDirectory(string dir, string option)
    {
        if (!Directory.Exists(dir))
        {
            var parent = Path.GetDirectoryName(dir);
            if (parent is null || !Directory.Exists(parent))
            {
                throw new UsageException($"{option} {dir}: the folder does not exist (nor its parent)");
            }

            Directory.CreateDirectory(dir);
        }

        return dir;
    }
}
