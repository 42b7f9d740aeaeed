using System.CommandLine;
using System.Globalization;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Cli.Commands;

/// <summary>
/// The credential and TLS options of every command taking an <c>esx://</c>/<c>vpx://</c> source, and the refusal
/// of a password on the command line; with <c>--vm</c> for the commands whose source may also be a local .vmx.
/// One instance per command.
/// </summary>
internal sealed class VSphereOptionSet(bool withVm)
{
    public const string PasswordRefusal = "passwords are not accepted on the command line (they would show in ps and shell history); use --password-file FILE, the V2V_PASSWORD environment variable or ~/.netrc";

    private readonly Option<string>? _vm = withVm ? CliOptions.Value("--vm", "NAME", "the VM to read when the source is an esx:// or vpx:// URI") : null;
    private readonly Option<string> _passwordFile = CliOptions.Value("--password-file", "FILE", "read the vSphere password from FILE (else $V2V_PASSWORD, else ~/.netrc)");
    private readonly Option<string> _thumbprint = CliOptions.Value("--thumbprint", "SHA1|SHA256", "pin the server's TLS certificate by its SHA-1 or SHA-256 thumbprint");
    private readonly RefusedOption _password = new("--password", PasswordRefusal, "-p");

    public void AddTo(Command command)
    {
        if (_vm is not null)
        {
            command.Options.Add(_vm);
        }

        command.Options.Add(_passwordFile);
        command.Options.Add(_thumbprint);
        command.Options.Add(_password);
    }

    /// <summary>Reads <c>--password-file</c> and <c>--thumbprint</c> (a malformed thumbprint fails now, before connecting).</summary>
    public (string? PasswordFile, string? Thumbprint) BindCredentials(ParseResult result, CliContext context)
    {
        var file = result.GetValue(_passwordFile);
        var thumbprint = result.GetValue(_thumbprint);
        if (thumbprint is not null)
        {
            TlsPolicy.ParseThumbprint(thumbprint); // usage error now, before connecting
        }

        return (file is null ? null : context.ResolvePath(file), thumbprint);
    }

    /// <summary>For commands that take a local .vmx or a vSphere URI (inspect, xml, convert): <c>--vm</c> with the credentials.</summary>
    public VSphereRemoteOptions BindRemote(ParseResult result, CliContext context)
    {
        var vm = _vm is null ? null : result.GetValue(_vm);
        var (file, thumbprint) = BindCredentials(result, context);
        return new VSphereRemoteOptions(vm, file, thumbprint);
    }
}

/// <summary>What every command taking an <c>esx://</c>/<c>vpx://</c> source shares: the connection, warnings as they come, sizes.</summary>
internal static class VSphereCommandSupport
{
    public static VSphereConnectOptions Options(CliContext context, string? passwordFile, string? thumbprint) => new()
    {
        PasswordFile = passwordFile,
        Thumbprint = thumbprint,
        GetEnv = context.GetEnv,
        Log = context.Debug,
        Diagnostics = context.Diagnostics,
    };

    /// <summary>Parses the URI (usage error when malformed), connects and logs in; warnings print at once.</summary>
    public static VSphereSource Connect(CliContext context, string uriText, string? passwordFile, string? thumbprint)
    {
        var uri = VSphereUri.Parse(uriText);
        PrintWarningsAsTheyCome(context);
        return VSphereSource.ConnectAsync(uri, Options(context, passwordFile, thumbprint), context.Cancellation).GetAwaiter().GetResult();
    }

    public static void PrintWarningsAsTheyCome(CliContext context)
    {
        context.Diagnostics.Added += d =>
        {
            if (d.Severity == Severity.Warning)
            {
                context.Error.WriteLine($"v2v: {d}");
            }
        };
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

/// <summary>The vSphere options of a command whose source may be a URI.</summary>
internal sealed record VSphereRemoteOptions(string? VmName, string? PasswordFile, string? Thumbprint)
{
    /// <summary>Checks the --vm option against the source kind; true when the source is a vSphere URI.</summary>
    public bool IsRemote(string source)
    {
        var remote = VSphereUri.IsVSphereUri(source);
        if (remote && VmName is null)
        {
            throw new UsageException($"--vm NAME is required with a vSphere source ({source}); run 'v2v inventory {source}' to list the VMs");
        }

        if (!remote && (VmName ?? PasswordFile ?? Thumbprint) is not null)
        {
            throw new UsageException("--vm, --password-file and --thumbprint apply only to esx:// and vpx:// sources");
        }

        return remote;
    }

    /// <summary>Fetches the VM's .vmx through /folder and builds the model from it (same parser as a local .vmx).</summary>
    public VirtualMachine Load(string source, CliContext context)
    {
        var fetched = Fetch(source, context);
        return VSphereModel.ToModel(fetched, context.Diagnostics);
    }

    /// <summary>Connects, fetches the VM (its .vmx bytes, datastore and datacenter), logs out.</summary>
    public VSphereVm Fetch(string source, CliContext context)
    {
        var uri = VSphereUri.Parse(source);
        var options = VSphereCommandSupport.Options(context, PasswordFile, Thumbprint);
        return Task.Run(async () =>
        {
            await using var vs = await VSphereSource.ConnectAsync(uri, options, context.Cancellation).ConfigureAwait(false);
            return await vs.FetchVmAsync(VmName!, context.Cancellation).ConfigureAwait(false);
        }).GetAwaiter().GetResult();
    }

    /// <summary>
    /// For <c>convert URI --vm NAME</c>: connects (kept open for the copy), fetches the VM, refuses it
    /// when running unless <paramref name="allowRunning"/>, and returns its model with a disk opener
    /// that streams flat disks from the datastore (or fetches other layouts under
    /// <paramref name="stagingParent"/> when their turn comes). Dispose it after the conversion: that logs out.
    /// </summary>
    public RemoteConversionSource OpenForConversion(string source, CliContext context, string stagingParent, bool allowRunning)
    {
        var uri = VSphereUri.Parse(source);
        var options = VSphereCommandSupport.Options(context, PasswordFile, Thumbprint);
        return Task.Run(async () =>
        {
            var vs = await VSphereSource.ConnectAsync(uri, options, context.Cancellation).ConfigureAwait(false);
            try
            {
                var vm = await vs.FetchVmAsync(VmName!, context.Cancellation).ConfigureAwait(false);
                VSphereSource.CheckPowerState(vm.Info, allowRunning, context.Diagnostics);
                var model = VSphereModel.ToModel(vm, context.Diagnostics);
                var opener = new VSphereDiskOpener(vs.Datastore, vm, stagingParent, line => context.Diagnostics.Info(line));
                return new RemoteConversionSource(vs, model, opener);
            }
            catch
            {
                await vs.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }).GetAwaiter().GetResult();
    }
}

/// <summary>A connected vSphere VM ready for the copy: its model and its disk opener. Dispose removes any staging folder and logs out.</summary>
internal sealed class RemoteConversionSource(VSphereSource source, VirtualMachine model, VSphereDiskOpener disks) : IDisposable
{
    public VirtualMachine Model { get; } = model;

    public VSphereDiskOpener Disks { get; } = disks;

    public void Dispose()
    {
        Disks.Dispose();
        source.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
