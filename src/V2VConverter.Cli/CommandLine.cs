using V2VConverter.Cli.Commands;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli;

/// <summary>Entry point shared by Program and the tests: selects the command, maps errors to exit codes.</summary>
public static class CommandLine
{
    /// <summary>Every subcommand. Names are stable once an issue names them: other checks call them.</summary>
    public static IReadOnlyList<ICommand> Commands { get; } = CommandTable.All;

    public static int Run(string[] args, CliContext context)
    {
        var list = args.ToList();
        while (list.Remove("-v") | list.Remove("--verbose"))
        {
            context.Verbosity++;
        }

        while (list.Remove("-vv"))
        {
            context.Verbosity += 2;
        }

        if (list.Count == 0 || list[0] is "-h" or "--help" or "help")
        {
            PrintHelp(context.Out);
            return list.Count == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }

        if (list[0] == "--version")
        {
            context.Out.WriteLine($"v2v {typeof(CommandLine).Assembly.GetName().Version}");
            return ExitCodes.Success;
        }

        // Longest match first: "disk info" before "disk".
        var command = Commands
            .OrderByDescending(c => c.Name.Split(' ').Length)
            .FirstOrDefault(c =>
            {
                var words = c.Name.Split(' ');
                return list.Count >= words.Length && words.Select((w, i) => list[i] == w).All(b => b);
            });
        if (command is null)
        {
            context.Error.WriteLine($"v2v: error: unknown command \"{string.Join(' ', list.Take(2))}\"");
            context.Error.WriteLine("Run './v2v --help' for usage.");
            return ExitCodes.Usage;
        }

        var rest = list.Skip(command.Name.Split(' ').Length).ToList();
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            context.Out.WriteLine($"usage: v2v {command.Usage}");
            context.Out.WriteLine();
            context.Out.WriteLine(command.Summary);
            return ExitCodes.Success;
        }

        try
        {
            return command.Run(context, new ArgReader(rest));
        }
        catch (Exception ex)
        {
            context.Logger.ForContext(V2VConverter.Pipeline.Logging.RunLog.ShownElsewhere, true).Error(ex, "{Text:l}", ErrorReporter.Classify(ex).Message); // the JSON log file keeps it too
            return ErrorReporter.Report(ex, context);
        }
        finally
        {
            context.Dispose();
        }
    }

    private static void PrintHelp(TextWriter w)
    {
        w.WriteLine("v2v: convert VMware virtual machines to KVM/libvirt");
        w.WriteLine();
        w.WriteLine("usage: v2v [-v] COMMAND [OPTIONS]");
        w.WriteLine();
        foreach (var c in Commands)
        {
            w.WriteLine($"  {c.Usage}");
            w.WriteLine($"      {c.Summary}");
        }

        w.WriteLine();
        w.WriteLine("Exit codes: 0 success, 1 bad input or conversion failure, 2 usage error, 130 interrupted.");
    }
}
