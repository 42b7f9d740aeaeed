using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>Everything a command touches outside itself, injectable so tests run without a terminal.</summary>
public sealed class CliContext(TextWriter stdout, TextWriter stderr, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>Environment overrides; null means the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; } = environment;

    public bool Verbose { get; set; }

    /// <summary>True when stderr is an interactive terminal (progress bars are drawn only then).</summary>
    public bool IsTerminal { get; init; }

    public CancellationToken Cancellation { get; init; }

    public DiagnosticBag Diagnostics { get; } = new();

    public string? GetEnv(string name) =>
        Environment is not null ? (Environment.TryGetValue(name, out var v) ? v : null) : System.Environment.GetEnvironmentVariable(name);

    public string ResolvePath(string path) => Path.GetFullPath(path, WorkingDirectory);

    public void Debug(string message)
    {
        if (Verbose)
        {
            Error.WriteLine($"debug: {message}");
        }
    }
}
