using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
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

    /// <summary>
    /// For commands that take a local .vmx or a vSphere URI (inspect, xml, convert): reads
    /// <c>--vm</c>, <c>--password-file</c>, <c>--thumbprint</c> before the positionals are taken.
    /// </summary>
    public static VSphereRemoteOptions ReadRemoteOptions(CliContext context, ArgReader args)
    {
        var vm = args.Value("--vm");
        var (file, thumbprint) = ReadOptions(context, args);
        return new VSphereRemoteOptions(vm, file, thumbprint);
    }

    public static VSphereConnectOptions Options(CliContext context, string? passwordFile, string? thumbprint) => new()
    {
        PasswordFile = passwordFile,
        Thumbprint = thumbprint,
        GetEnv = context.GetEnv,
        Log = context.Debug,
        Diagnostics = context.Diagnostics,
    };

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
}

/// <summary>The vSphere options of a command whose source may be a URI.</summary>
internal sealed record VSphereRemoteOptions(string? VmName, string? PasswordFile, string? Thumbprint)
{
    public const string Usage = "X.vmx | esx://host/ --vm NAME | vpx://vcenter/DC/Cluster/Host --vm NAME";

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
