using V2VConverter.Cli.Infrastructure;

namespace V2VConverter.Cli.Tests;

/// <summary>Runs the CLI in-process with captured writers, as a user would from a shell.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, null, args);

    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new CliContext(o, e, workingDirectory, env ?? new Dictionary<string, string?> { ["HOME"] = workingDirectory });
        var code = CommandLine.Run(args, ctx);
        return new Result(code, o.ToString(), e.ToString());
    }
}
