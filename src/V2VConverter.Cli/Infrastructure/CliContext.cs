using Serilog;
using Spectre.Console;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Logging;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>Everything a command touches outside itself, injectable so tests run without a terminal.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null) : IDisposable
{
    private RunLog? _log;
    private IAnsiConsole? _errorConsole;

    /// <summary>stdout, with every registered secret masked (<see cref="MaskingWriter"/>).</summary>
    public TextWriter Out { get; } = new MaskingWriter(stdout);

    /// <summary>stderr, with every registered secret masked; progress bars draw on the writer itself (<see cref="ErrorConsole"/>).</summary>
    public TextWriter Error { get; } = new MaskingWriter(stderr);

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>Environment overrides; null means the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; } = environment;

    /// <summary>0: warnings; 1 (-v): decisions and stage steps, full exceptions; 2 (-vv or -v -v): everything.</summary>
    public int Verbosity { get; set; }

    /// <summary>True from <c>-v</c> up (<see cref="Verbosity"/> of 1 or more).</summary>
    public bool Verbose
    {
        get => Verbosity > 0;
        set => Verbosity = value ? Math.Max(Verbosity, 1) : 0;
    }

    /// <summary>True when stderr is an interactive terminal (progress bars are drawn only then).</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Where progress bars are drawn when <see cref="IsTerminal"/>: by default a console over <see cref="Error"/>; tests give a TestConsole.</summary>
    public IAnsiConsole ErrorConsole
    {
        get => _errorConsole ??= AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stderr),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = IsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        init => _errorConsole = value;
    }

    public CancellationToken Cancellation { get; init; }

    /// <summary>What cancelled the run (Ctrl+C, SIGTERM, SIGHUP), for the error line; null until then.</summary>
    public string? InterruptedBy { get; private set; }

    /// <summary>The exit code of a cancelled run: 128 + the signal's number (130 for Ctrl+C).</summary>
    public int InterruptedExitCode { get; private set; } = Model.Diagnostics.ExitCodes.Interrupted;

    /// <summary>Records the signal that is about to cancel <see cref="Cancellation"/>.</summary>
    public void Interrupted(string by, int exitCode)
    {
        InterruptedBy = by;
        InterruptedExitCode = exitCode;
    }

    /// <summary>The run's log: console lines on stderr at the chosen verbosity, the warnings for reports, and (after <see cref="StartLog"/> with a file) the JSON log file.</summary>
    public RunLog Log => _log ??= RunLog.Create(new RunLogOptions { Console = Error, Verbosity = Verbosity });

    /// <summary>The one logger every stage writes to.</summary>
    public ILogger Logger => Log.Logger;

    /// <summary>Starts the run's log, with a JSON log file when <paramref name="filePath"/> is set. Call before anything is logged.</summary>
    public RunLog StartLog(string? filePath)
    {
        _log?.Dispose();
        _log = RunLog.Create(new RunLogOptions { Console = Error, Verbosity = Verbosity, FilePath = filePath });
        return _log;
    }

    /// <summary>The job's view of this context: the run's logger, warnings and properties, the environment, cancellation.</summary>
    public JobContext JobContext() => new()
    {
        Log = Logger,
        Warnings = Log.Warnings,
        Properties = Log.Properties,
        WorkingDirectory = WorkingDirectory,
        GetEnv = GetEnv,
        Cancellation = Cancellation,
    };

    public string? GetEnv(string name) =>
        Environment is not null ? (Environment.TryGetValue(name, out var v) ? v : null) : System.Environment.GetEnvironmentVariable(name);

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);

    public void Dispose() => _log?.Dispose();
}
