using Serilog;
using Serilog.Core;

namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// The one logging path: every stage gets a Serilog <see cref="ILogger"/>. These helpers log a finished
/// sentence as the <c>Text</c> property (never as a template, so braces in file names are safe), with
/// the place it came from (<c>File</c>, <c>Line</c>) when known. Levels: warnings are always shown; Information
/// (decisions, stage steps) with -v; Debug (protocol and guest details) with -vv.
/// </summary>
public static class LogExtensions
{
    /// <summary>The message template of every sentence logged through these helpers.</summary>
    public const string TextTemplate = "{Text:l}";

    /// <summary>A logger that drops everything, for callers that do not log.</summary>
    public static ILogger None => Logger.None;

    /// <summary>The same logger with the source place (a .vmx file and line) attached.</summary>
    public static ILogger At(this ILogger log, string? file, int? line = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        return file is null ? log : line is null ? log.ForContext("File", file) : log.ForContext("File", file).ForContext("Line", line);
    }

    /// <summary>A problem the user should see: always printed, listed in the report.</summary>
    public static void Warn(this ILogger log, string text, string? file = null, int? line = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        log.At(file, line).Warning(TextTemplate, text);
    }

    /// <summary>A decision or a step of a stage (-v).</summary>
    public static void Info(this ILogger log, string text, string? file = null, int? line = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        log.At(file, line).Information(TextTemplate, text);
    }

    /// <summary>A detail: protocol exchanges, guest commands, timings (-vv).</summary>
    public static void Detail(this ILogger log, string text)
    {
        ArgumentNullException.ThrowIfNull(log);
        log.Debug(TextTemplate, text);
    }
}
