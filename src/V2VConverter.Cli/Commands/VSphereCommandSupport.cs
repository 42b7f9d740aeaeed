using System.Globalization;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Cli.Commands;

/// <summary>
/// What every command taking an <c>esx://</c>/<c>vpx://</c> source shares: the credential and TLS
/// options, the refusal of a password on the command line, and the connection.
/// Usage text: <see cref="OptionsUsage"/>.
/// </summary>
internal static class VSphereCommandSupport
{
    public const string OptionsUsage = "[--password-file FILE] [--thumbprint SHA1|SHA256]";

    /// <summary>Reads <c>--password-file</c> and <c>--thumbprint</c>; refuses <c>--password</c>/<c>-p</c>.</summary>
    public static (string? PasswordFile, string? Thumbprint) ReadOptions(CliContext context, ArgReader args)
    {
        if (args.Values("--password", "-p").Count > 0 || args.Flag("--password", "-p"))
        {
            throw new UsageException("passwords are not accepted on the command line (they would show in ps and shell history); use --password-file FILE, the V2V_PASSWORD environment variable or ~/.netrc");
        }

        var file = args.Value("--password-file");
        var thumbprint = args.Value("--thumbprint");
        if (thumbprint is not null)
        {
            TlsPolicy.ParseThumbprint(thumbprint); // usage error now, before connecting
        }

        return (file is null ? null : context.ResolvePath(file), thumbprint);
    }

    /// <summary>Every command taking a source spec (inspect, xml, convert) accepts these forms.</summary>
    public const string SourceUsage = "X.vmx | esx://host/ --vm NAME | vpx://vcenter/DC/Cluster/Host --vm NAME";

    /// <summary>
    /// For commands that take a local .vmx or a vSphere URI (inspect, xml, convert): reads
    /// <c>--vm</c>, <c>--password-file</c>, <c>--thumbprint</c> (and <c>--allow-running</c> where it applies)
    /// before the positionals are taken, then the source itself.
    /// </summary>
    public static SourceSpec ReadSourceSpec(CliContext context, ArgReader args, bool allowRunningOption = false)
    {
        var vm = args.Value("--vm");
        var (file, thumbprint) = ReadOptions(context, args);
        var allowRunning = allowRunningOption && args.Flag("--allow-running");
        var location = args.Positionals(1, 1, "the .vmx file or esx:// / vpx:// URI")[0];
        return new SourceSpec { Location = location, VmName = vm, PasswordFile = file, Thumbprint = thumbprint, AllowRunning = allowRunning };
    }

    /// <summary>The job's view of the CLI context.</summary>
    public static JobContext JobContext(CliContext context) => new()
    {
        Log = context.Logger,
        Warnings = context.Log.Warnings,
        Properties = context.Log.Properties,
        WorkingDirectory = context.WorkingDirectory,
        GetEnv = context.GetEnv,
        Cancellation = context.Cancellation,
    };

    public static VSphereConnectOptions Options(CliContext context, string? passwordFile, string? thumbprint) => new()
    {
        PasswordFile = passwordFile,
        Thumbprint = thumbprint,
        GetEnv = context.GetEnv,
        Log = context.Logger,
    };

    /// <summary>Parses the URI (usage error when malformed), connects and logs in; warnings print at once.</summary>
    public static VSphereSource Connect(CliContext context, string uriText, string? passwordFile, string? thumbprint)
    {
        var uri = VSphereUri.Parse(uriText);
        return VSphereSource.ConnectAsync(uri, Options(context, passwordFile, thumbprint), context.Cancellation).GetAwaiter().GetResult();
    }

    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }

        return u == 0 ? $"{bytes} B" : v.ToString(v < 10 && v != Math.Floor(v) ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[u];
    }
}
