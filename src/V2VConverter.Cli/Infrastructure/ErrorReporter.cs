using System.Security.Authentication;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>Maps the exception policy to exit codes and one-line messages (no stack trace unless -v).</summary>
public static class ErrorReporter
{
    public static int Report(Exception ex, CliContext context)
    {
        var (code, message) = Classify(ex);
        if (code == ExitCodes.Interrupted && context.InterruptedBy is { } by)
        {
            code = context.InterruptedExitCode;
            message = $"interrupted by {by}; no output was left under its final name";
        }

        context.Error.WriteLine(Secrets.Mask($"v2v: error: {message}"));
        if (code == ExitCodes.Usage)
        {
            context.Error.WriteLine("Run './v2v --help' for usage.");
        }

        if (context.Verbose)
        {
            context.Error.WriteLine(Secrets.Mask(ex.ToString()));
        }

        return code;
    }

    public static (int Code, string Message) Classify(Exception ex)
    {
        // Unwrap aggregate/target-invocation wrappers to the first meaningful cause.
        while (ex is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            ex = agg.InnerExceptions[0];
        }

        return ex switch
        {
            UsageException => (ExitCodes.Usage, OneLine(ex.Message)),
            GuestBlockedException => (ExitCodes.Blocked, OneLine(ex.Message)),
            _ when V2VConverter.Guest.Access.GuestAccessError.IsGuestAccessFailure(ex) => (ExitCodes.Failure, V2VConverter.Guest.Access.GuestAccessError.Describe(ex)),
            // A timeout (HttpClient's reads as a TaskCanceledException over a TimeoutException) is a failure, not a Ctrl+C.
            TaskCanceledException { InnerException: TimeoutException timeout } => (ExitCodes.Failure, OneLine(timeout.Message)),
            OperationCanceledException => (ExitCodes.Interrupted, "interrupted; no output was left under its final name"),
            InvalidDataException or EndOfStreamException or NotSupportedException or FileNotFoundException
                or DirectoryNotFoundException or UnauthorizedAccessException or IOException or AuthenticationException
                or HttpRequestException or TimeoutException or InvalidOperationException or ArgumentException or FormatException
                => (ExitCodes.Failure, OneLine(ex.Message)),
            _ => (ExitCodes.Failure, $"internal error: {OneLine(ex.Message)} (run with -v for details)"),
        };
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
