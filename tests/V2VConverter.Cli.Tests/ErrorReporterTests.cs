using V2VConverter.Cli.Infrastructure;
using V2VConverter.Guest.Access;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Tests;

public sealed class ErrorReporterTests
{
    [Fact]
    public void A_missing_libguestfs_is_one_line_saying_what_to_install()
    {
        // The loader's own text is many lines naming every probed path.
        var loader = new DllNotFoundException("Unable to load shared library 'libguestfs.so.0' or one of its dependencies.\n  /usr/share/dotnet/libguestfs.so.0.so: cannot open shared object file\n  liblibguestfs.so.0.so: cannot open shared object file");
        Assert.Equal((ExitCodes.Failure, "libguestfs is not installed: apt-get install libguestfs-tools"), ErrorReporter.Classify(loader));
    }

    [Fact]
    public void An_appliance_failure_is_one_line_without_internal_error()
    {
        var (code, message) = ErrorReporter.Classify(new GuestfsException("guestfs_launch failed.\nThis usually means the libguestfs appliance failed to start or crashed.\nDo:\n  export LIBGUESTFS_DEBUG=1 LIBGUESTFS_TRACE=1"));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("libguestfs: guestfs_launch failed.", message);
    }

    /// <summary>Issue 11 point 11: a timeout is a failure (exit 1) in its own words; only a real cancellation is "interrupted" (130).</summary>
    [Fact]
    public void A_timeout_is_a_failure_naming_itself_and_a_cancellation_is_an_interruption()
    {
        Assert.Equal((ExitCodes.Failure, "vSphere esx1:443 did not answer Login within 2 s"), ErrorReporter.Classify(new TimeoutException("vSphere esx1:443 did not answer Login within 2 s")));
        Assert.Equal((ExitCodes.Failure, "The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing."),
            ErrorReporter.Classify(new TaskCanceledException("x", new TimeoutException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing."))));
        Assert.Equal(ExitCodes.Interrupted, ErrorReporter.Classify(new OperationCanceledException()).Code);
    }

    /// <summary>Issue 11 point 4: the error line and the -v dump mask a registered password in every form a server or a sink gives it.</summary>
    [Fact]
    public void The_error_line_and_the_stack_dump_mask_the_password_in_its_escaped_forms()
    {
        const string password = "Er7Rq<&>\"'\\ +/%";
        Secrets.Register(password);
        var xml = System.Security.SecurityElement.Escape(password);
        var inner = new InvalidDataException($"fault: <password>{xml}</password> url={Uri.EscapeDataString(password)}");
        var e = new StringWriter();
        using var context = new CliContext(new StringWriter(), e, Path.GetTempPath()) { Verbose = true };

        Assert.Equal(ExitCodes.Failure, ErrorReporter.Report(new IOException($"wrapped: {password}", inner), context));

        Assert.DoesNotContain("Er7Rq", e.ToString(), StringComparison.Ordinal);
        Assert.Contains($"<password>{Secrets.Replacement}</password>", e.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Issue 11 point 4: what a command prints itself (a table, a summary line, the XML) is masked like the log.</summary>
    [Fact]
    public void What_a_command_prints_on_stdout_and_stderr_is_masked_too()
    {
        const string password = "Zq8-printed-by-a-command";
        Secrets.Register(password);
        var (o, e) = (new StringWriter(), new StringWriter());
        using var context = new CliContext(o, e, Path.GetTempPath());

        context.Out.WriteLine($"vm01  {password}  poweredOn");
        context.Out.Write($"<title>{password}</title>");
        context.Error.WriteLine($"v2v: wrote /tmp/{password}.qcow2");

        Assert.DoesNotContain("Zq8", o.ToString() + e.ToString(), StringComparison.Ordinal);
        Assert.Contains($"vm01  {Secrets.Replacement}  poweredOn", o.ToString(), StringComparison.Ordinal);
        Assert.Contains($"<title>{Secrets.Replacement}</title>", o.ToString(), StringComparison.Ordinal);
    }
}
