using V2VConverter.Cli;
using V2VConverter.Cli.Infrastructure;

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

var context = new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory)
{
    IsTerminal = !Console.IsErrorRedirected,
    Cancellation = cts.Token,
};
return CommandLine.Run(args, context);
