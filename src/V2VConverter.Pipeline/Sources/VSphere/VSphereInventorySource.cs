using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Vmx;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline.Sources.VSphere;

/// <summary>
/// A VM of an ESXi host or vCenter (<c>esx://</c>, <c>vpx://</c> with <c>--vm NAME</c>). Its .vmx is fetched
/// through the datastore's /folder URL and parsed like a local one. For a conversion the connection stays
/// open for the copy: flat disks stream from the datastore, other layouts are fetched under the staging
/// folder when their turn comes. A dry run logs out at once.
/// </summary>
public sealed class VSphereInventorySource : IConversionSource
{
    public string Name => "vsphere";

    public bool Accepts(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return VSphereUri.IsVSphereUri(spec.Location) && spec.InputKind is null or "vsphere";
    }

    public OpenedSource Open(SourceSpec spec, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.VmName is null)
        {
            throw new UsageException($"--vm NAME is required with a vSphere source ({spec.Location}); run 'v2v inventory {spec.Location}' to list the VMs");
        }

        var uri = VSphereUri.Parse(spec.Location);
        var options = ConnectOptions(spec, context);
        var vmxOptions = new VmxSourceOptions { Catalog = context.Catalog };
        return Task.Run(async () =>
        {
            var vs = await VSphereSource.ConnectAsync(uri, options, context.Cancellation).ConfigureAwait(false);
            try
            {
                var vm = await FetchVmAsync(vs, spec.VmName, context.Cancellation).ConfigureAwait(false);
                if (context.StagingDirectory is null)
                {
                    var model = VSphereModel.ToModel(vm, context.Log, vmxOptions);
                    await vs.DisposeAsync().ConfigureAwait(false);
                    return new OpenedSource(model, NoDisks.Instance);
                }

                VSphereSource.CheckPowerState(vm.Info, spec.AllowRunning, context.Log);
                var converted = VSphereModel.ToModel(vm, context.Log, vmxOptions);
                var opener = new VSphereDiskOpener(vs.Datastore, vm, context.StagingDirectory, context.Log);
                return new OpenedSource(converted, opener, new Logout(vs))
                {
                    Nvram = converted.NvramFile is { } nvram && !nvram.StartsWith('/') // a host path cannot be fetched: no NVRAM, the ESP is searched
                        ? new DatastoreFirmwareStore(vs.Datastore, VSphereModel.DatastorePathOf(vm, nvram, $"{vm.Name} nvram"))
                        : null,
                };
            }
            catch
            {
                await vs.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }).GetAwaiter().GetResult();
    }

    /// <summary>The prefix of a <see cref="SourceSpec.VmName"/> that names a VM by its managed object id.</summary>
    public const string MoRefPrefix = "moref:";

    /// <summary>
    /// <c>moref:vm-123</c> as the reference <c>VirtualMachine:vm-123</c>; null for a plain VM name.
    /// An empty id is a <see cref="UsageException"/>.
    /// </summary>
    public static MoRef? TryParseMoRef(string vmName)
    {
        ArgumentNullException.ThrowIfNull(vmName);
        if (!vmName.StartsWith(MoRefPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var id = vmName[MoRefPrefix.Length..].Trim();
        return id.Length == 0
            ? throw new UsageException($"--vm {vmName}: the managed object id after \"{MoRefPrefix}\" is missing (e.g. {MoRefPrefix}vm-123)")
            : new MoRef("VirtualMachine", id);
    }

    /// <summary>The spec's VM by name, or by managed object id when <see cref="SourceSpec.VmName"/> is <c>moref:ID</c>.</summary>
    public static async Task<VSphereVm> FetchVmAsync(VSphereSource source, string vmName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TryParseMoRef(vmName) is { } id
            ? await source.FetchVmAsync(id, ct).ConfigureAwait(false)
            : await source.FetchVmAsync(vmName, ct).ConfigureAwait(false);
    }

    /// <summary>Every VM of the host or vCenter path the URI names (for <c>inventory</c> and, later, batch plans); logs out afterwards.</summary>
    public static IReadOnlyList<VSphereVmInfo> ListVms(SourceSpec spec, SourceContext context, int pageSize = 500)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var uri = VSphereUri.Parse(spec.Location);
        var options = ConnectOptions(spec, context) with { PageSize = pageSize };
        return Task.Run(async () =>
        {
            await using var source = await VSphereSource.ConnectAsync(uri, options, context.Cancellation).ConfigureAwait(false);
            return await source.ListVmsAsync(context.Cancellation).ConfigureAwait(false);
        }).GetAwaiter().GetResult();
    }

    /// <summary>The connection options of a spec: credentials, pinned certificate, environment and diagnostics.</summary>
    public static VSphereConnectOptions ConnectOptions(SourceSpec spec, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Thumbprint is not null)
        {
            TlsPolicy.ParseThumbprint(spec.Thumbprint); // a usage error now, before connecting
        }

        var options = new VSphereConnectOptions
        {
            PasswordFile = spec.PasswordFile is null ? null : context.Resolve(spec.PasswordFile),
            Thumbprint = spec.Thumbprint,
            GetEnv = context.GetEnv,
            Log = context.Log,
        };
        if (spec.TimeoutSeconds is { } seconds)
        {
            var t = TimeSpan.FromSeconds(seconds);
            options = options with { ConnectTimeout = t, TlsTimeout = t, RequestTimeout = t, Download = options.Download with { IdleTimeout = t } };
        }

        return options;
    }

    /// <summary>The NVRAM on the datastore, fetched through /folder on the open session when the guest stage asks for it.</summary>
    private sealed class DatastoreFirmwareStore(DatastoreDownloader datastore, DatastorePath path) : IFirmwareStore
    {
        public string Origin => path.ToString();

        public byte[] Read(long maxBytes, CancellationToken ct) =>
            Task.Run(() => datastore.ReadAllBytesAsync(path, maxBytes, ct), ct).GetAwaiter().GetResult();
    }

    private sealed class Logout(VSphereSource source) : IDisposable
    {
        public void Dispose() => source.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
