using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using V2VConverter.Cli.Commands;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Logging;

namespace V2VConverter.Cli;

/// <summary>
/// Entry point shared by Program and the tests. The command tree (System.CommandLine) defines every command and
/// option once, for parsing, help and completion; a parse error is a one-line usage error (exit 2), and an
/// exception thrown by a command is mapped by <see cref="ErrorReporter"/>.
/// </summary>
public static class CommandLine
{
    private const string ExitCodesLine = "Exit codes: 0 success, 1 bad input or conversion failure, 2 usage error, 130 interrupted (Ctrl+C), 143 SIGTERM, 129 SIGHUP.";

    private static readonly ParserConfiguration Parsing = new()
    {
        EnablePosixBundling = true, // -vv is -v -v
        ResponseFileTokenReplacer = null, // "@file" is a file name like any other, not a response file
    };

    /// <summary>The whole command tree; the actions of its commands run against <paramref name="context"/>.</summary>
    public static RootCommand CreateRootCommand(CliContext context) => Build(context).Root;

    public static int Run(string[] args, CliContext context)
    {
        var (root, verbose) = Build(context);
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            EnableDefaultExceptionHandler = false, // exceptions go to ErrorReporter: one line, no stack trace
            ProcessTerminationTimeout = null, // Program owns Ctrl+C (the cancellation token)
        };
        var parse = root.Parse(args, Parsing);
        context.Verbosity = Math.Min(2, parse.GetResult(verbose)?.IdentifierTokenCount ?? 0);
        if (args.Length == 0 || (parse.Action is ParseErrorAction && parse.CommandResult.Command == root && parse.UnmatchedTokens.Count == 0
            && parse.Tokens.All(t => t.Type == TokenType.Option)))
        {
            // No command at all (or only -v): the help, and a usage exit code.
            root.Parse(["--help"], Parsing).Invoke(invocation);
            return ExitCodes.Usage;
        }

        try
        {
            if (parse.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(o => o.Option is RefusedOption) is { Option: RefusedOption refused })
            {
                throw new UsageException(refused.Refusal);
            }

            if (parse.Action is ParseErrorAction)
            {
                throw new UsageException(Describe(parse));
            }

            return parse.Invoke(invocation);
        }
        catch (Exception ex)
        {
            // The run's JSON log file (when one was started) keeps the error too; the console line is ErrorReporter's.
            context.Logger.ForContext(RunLog.ShownElsewhere, true).Error(ex, "{Text:l}", ErrorReporter.Classify(ex).Message);
            return ErrorReporter.Report(ex, context);
        }
        finally
        {
            context.Dispose();
        }
    }

    private static (RootCommand Root, Option<bool> Verbose) Build(CliContext context)
    {
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "details: every decision as it is made, and the full exception on an error; -vv (or -v -v): everything",
            Recursive = true,
        };
        var root = new RootCommand("v2v: convert VMware virtual machines to KVM/libvirt") { verbose };
        foreach (var command in CommandTable.Create(context))
        {
            root.Subcommands.Add(command);
        }

        var help = root.Options.OfType<HelpOption>().Single();
        help.Aliases.Remove("/h"); // Windows spellings: here "/h" and "/?" are paths
        help.Aliases.Remove("/?");
        help.Action = new HelpWithExitCodes((HelpAction)help.Action!);
        var version = root.Options.OfType<VersionOption>().Single();
        version.Action = new PrintVersion();
        return (root, verbose);
    }

    /// <summary>The first parse error as one line that names the option or argument it is about.</summary>
    private static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult;
        var path = string.Join(' ', CommandPath(command));
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            return command.Command.Subcommands.Count > 0 && !token.StartsWith('-')
                ? $"unknown command \"{(path + " " + token).Trim()}\""
                : token.StartsWith('-') && token.Length > 1 ? $"unknown option {token}{(path.Length > 0 ? " for " + path : "")}" : $"unexpected argument \"{token}\"";
        }

        if (command.Command.Subcommands.Count > 0 && command.Command.Action is null)
        {
            return $"\"{path}\" needs a command: {string.Join(", ", command.Command.Subcommands.Select(c => c.Name))}";
        }

        var error = parse.Errors[0];
        var message = error.Message.ReplaceLineEndings(" ").Replace('\t', ' ').Trim();
        switch (error.SymbolResult)
        {
            case ArgumentResult { Parent: CommandResult } a when a.Tokens.Count == 0:
                return $"missing {a.Argument.Name} ({path} --help shows its usage)";
            case OptionResult { IdentifierToken.Value: { } name } o when o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0:
                return $"option {name} needs a value";
            case OptionResult { IdentifierToken.Value: { } name } o when o.Tokens.Count > 1 && o.Option.Arity.MaximumNumberOfValues == 1:
                return $"option {name} given more than once";
            case OptionResult o when o.IdentifierToken?.Value is { } name && !message.Contains(name, StringComparison.Ordinal):
                return $"{name}: {message}";
            case ArgumentResult { Parent: OptionResult o } when o.IdentifierToken?.Value is { } name && !message.Contains(name, StringComparison.Ordinal):
                return $"{name}: {message}";
            default:
                return message;
        }
    }

    private static IEnumerable<string> CommandPath(CommandResult command) =>
        command.Parent is CommandResult parent ? [.. CommandPath(parent), command.Command.Name] : [];

    /// <summary>The generated help, and after the root's the exit codes.</summary>
    private sealed class HelpWithExitCodes(HelpAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            help.Invoke(parseResult);
            if (parseResult.CommandResult.Command is RootCommand)
            {
                parseResult.InvocationConfiguration.Output.WriteLine(ExitCodesLine);
            }

            return ExitCodes.Success;
        }
    }

    /// <summary><c>v2v --version</c>: <c>v2v 1.2.3.4</c>.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine($"v2v {typeof(CommandLine).Assembly.GetName().Version}");
            return ExitCodes.Success;
        }
    }
}
