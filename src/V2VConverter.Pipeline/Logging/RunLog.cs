using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace V2VConverter.Pipeline.Logging;

/// <summary>How a run logs: where people read (console), how much (-v, -vv), and the structured file.</summary>
public sealed record RunLogOptions
{
    /// <summary>Where the lines for people go (stderr in the CLI; a StringWriter in tests).</summary>
    public required TextWriter Console { get; init; }

    /// <summary>0: warnings; 1 (-v): also decisions and stage steps; 2 (-vv): everything.</summary>
    public int Verbosity { get; init; }

    /// <summary>The compact-JSON log file of the run (every level), or null for none. It is kept on failure.</summary>
    public string? FilePath { get; init; }
}

/// <summary>
/// The run's one logger (Serilog): console lines for people, one compact-JSON file per run with the VM,
/// the disk and the stage on every event, and the warnings collected for the report. Every sink masks
/// registered secrets (<see cref="Model.Diagnostics.Secrets"/>). Dispose flushes the file.
/// </summary>
public sealed class RunLog : IDisposable
{
    private readonly Logger _logger;

    private RunLog(Logger logger, WarningCollector warnings, RunProperties properties, string? filePath)
    {
        _logger = logger;
        Warnings = warnings;
        Properties = properties;
        FilePath = filePath;
    }

    public ILogger Logger => _logger;

    public WarningCollector Warnings { get; }

    /// <summary>Set the VM and the stage as the run moves on; every event carries them.</summary>
    public RunProperties Properties { get; }

    public string? FilePath { get; }

    /// <summary>A property marking an event the console must not repeat (the CLI prints its final error line itself).</summary>
    public const string ShownElsewhere = "ShownElsewhere";

    public static LogEventLevel ConsoleLevel(int verbosity) => verbosity switch
    {
        <= 0 => LogEventLevel.Warning,
        1 => LogEventLevel.Information,
        _ => LogEventLevel.Verbose,
    };

    public static RunLog Create(RunLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var warnings = new WarningCollector();
        var properties = new RunProperties();
        var config = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .Enrich.With(properties)
            .WriteTo.Sink(warnings)
            .WriteTo.Logger(people => people
                .Filter.ByExcluding(e => e.Properties.ContainsKey(ShownElsewhere))
                .WriteTo.Sink(new TextWriterSink(options.Console, new MaskingFormatter(new ConsoleLineFormatter())), ConsoleLevel(options.Verbosity)));
        LogFileSink? file = null;
        if (options.FilePath is not null)
        {
            file = LogFileSink.Create(options.FilePath, new MaskingFormatter(new CompactJsonFormatter()));
            config = config.WriteTo.Sink(file);
        }

        return new RunLog(config.CreateLogger(), warnings, properties, file?.Path);
    }

    public void Dispose() => _logger.Dispose();
}
