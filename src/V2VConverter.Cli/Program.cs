using System.Runtime.InteropServices;
using V2VConverter.Cli;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;

using var cts = new CancellationTokenSource();
var context = new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory)
{
    IsTerminal = !Console.IsErrorRedirected,
    Cancellation = cts.Token,
};

// Ctrl+C, SIGTERM and SIGHUP all cancel the run, which removes its partial files and exits 128 + the signal's
// number (130, 143, 129). A second signal, while the run is still unwinding, gets the default action (terminate).
var signalled = 0;
void Interrupt(PosixSignalContext e, string name, int exitCode)
{
    if (Interlocked.Exchange(ref signalled, 1) == 1)
    {
        return;
    }

    e.Cancel = true;
    context.Interrupted(name, exitCode);
    cts.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, e => Interrupt(e, "Ctrl+C", ExitCodes.Interrupted));
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, e => Interrupt(e, "SIGTERM", ExitCodes.Terminated));
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, e => Interrupt(e, "SIGHUP", ExitCodes.HungUp));
return CommandLine.Run(args, context);
