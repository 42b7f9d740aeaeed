using System.Net;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>How to reach and trust a vSphere endpoint, and where messages go.</summary>
public sealed record VSphereConnectOptions
{
    /// <summary><c>--password-file</c>, absolute, or null.</summary>
    public string? PasswordFile { get; init; }

    /// <summary><c>--thumbprint</c>: SHA-1 or SHA-256 colon-hex, or null.</summary>
    public string? Thumbprint { get; init; }

    /// <summary>Environment lookup (HOME for .netrc, V2V_PASSWORD, V2V_USER).</summary>
    public Func<string, string?> GetEnv { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The run's logger: warnings, and protocol details at Debug. Never receives a password.</summary>
    public ILogger Log { get; init; } = LogExtensions.None;

    /// <summary>maxObjects per RetrievePropertiesEx page.</summary>
    public int PageSize { get; init; } = 500;

    public DownloadOptions Download { get; init; } = new();

    /// <summary>The default of <see cref="RequestTimeout"/>.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Timeout for one SOAP call (request sent to response read).</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>Timeout for the TCP connect to the server.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout for the server's answer to the TLS handshake once TCP is connected.</summary>
    public TimeSpan TlsTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A VM fetched for conversion: its .vmx, where it lives, and what the inventory said about it.</summary>
public sealed record VSphereVm(
    VSphereVmInfo Info,
    byte[] VmxBytes,
    DatastorePath VmxPath,
    string DatacenterPath)
{
    public string Name => Info.Name;

    public string DatastoreName => VmxPath.Datastore;

    public string PowerState => Info.PowerState;

    /// <summary>Every file of every disk (descriptors and extents of every snapshot chain link), in disk order.</summary>
    public IReadOnlyList<DatastorePath> DiskFiles =>
        Info.Disks.Where(d => !d.IsRawDevice).SelectMany(FilesOf).Distinct().ToArray();

    /// <summary>The files one disk needs: its whole chain from layoutEx, or its backing file when the layout is unknown.</summary>
    public IReadOnlyList<DatastorePath> FilesOf(VSphereDiskInfo disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        return disk.ChainFiles.Count > 0
            ? disk.ChainFiles.Select(f => DatastorePath.Parse(f.Name, $"{Info.Name} layoutEx.file")).Distinct().ToArray()
            : [DatastorePath.Parse(disk.FileName, $"{Info.Name} {disk.Label} backing.fileName")];
    }
}

/// <summary>
/// An ESXi host or vCenter as a conversion source: connects (TLS policy, credentials, Login),
/// lists VMs with one ContainerView and paged RetrievePropertiesEx, fetches a VM's .vmx through
/// <c>/folder</c>, and downloads its disks. Dispose logs out.
/// </summary>
public sealed class VSphereSource : IAsyncDisposable
{
    /// <summary>The datacenter every ESXi host has.</summary>
    public const string EsxDatacenter = "ha-datacenter";

    /// <summary>A .vmx larger than this is not a VM configuration.</summary>
    public const long MaxVmxBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly VSphereConnectOptions _options;
    private bool _loggedIn;

    private VSphereSource(VSphereUri uri, HttpClient http, VimClient vim, TlsPolicy tls, VSphereConnectOptions options)
    {
        Uri = uri;
        _http = http;
        Vim = vim;
        Tls = tls;
        _options = options;
    }

    public VSphereUri Uri { get; }

    public VimClient Vim { get; }

    public TlsPolicy Tls { get; }

    public VimServiceContent ServiceContent => Vim.ServiceContent!;

    /// <summary><c>dcPath</c> for /folder: <c>ha-datacenter</c> on ESXi, the datacenter's inventory path on vCenter.</summary>
    public string DatacenterPath { get; private set; } = EsxDatacenter;

    /// <summary>The object whose VMs the inventory lists (root folder, datacenter, cluster or host).</summary>
    public MoRef Container { get; private set; }

    /// <summary>The datacenter (vpx) or root folder (esx) whose networks and datastores name the VMs' references.</summary>
    public MoRef NamesContainer { get; private set; }

    public DatastoreDownloader Datastore { get; private set; } = null!;

    /// <summary>Resolves credentials, checks TLS, logs in and resolves the URI's inventory path.</summary>
    public static async Task<VSphereSource> ConnectAsync(VSphereUri uri, VSphereConnectOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        var log = options.Log;
        var credentials = CredentialResolver.Resolve(uri, options.PasswordFile, options.GetEnv, log);
        var tls = new TlsPolicy(uri.Authority, uri.NoVerify, options.Thumbprint);
        if (uri.NoVerify)
        {
            var msg = $"TLS certificate verification is off for {uri.Authority} (no_verify=1): anyone on the network path can impersonate the server";
            log.Warn(msg);
        }

        // Connect, TLS and each SOAP call have their own timeout (VimClient applies the call's); the
        // user's Ctrl+C (ct) stays a cancellation, a timeout is a VSphereTimeoutException naming the host.
        var handler = VSphereHttp.CreateHandler(uri.Authority, options.ConnectTimeout, options.TlsTimeout);
        handler.CookieContainer = new CookieContainer();
        handler.UseCookies = true;
        handler.AutomaticDecompression = DecompressionMethods.None;
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(10);
        handler.MaxConnectionsPerServer = Math.Max(4, options.Download.MaxParallel + 2);
        handler.UseProxy = false;
        handler.SslOptions.RemoteCertificateValidationCallback = tls.Validate;
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var vim = new VimClient(http, uri.SdkUri, log) { CallTimeout = options.RequestTimeout };
        var source = new VSphereSource(uri, http, vim, tls, options);
        try
        {
            try
            {
                await vim.RetrieveServiceContentAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (tls.Translate(ex) is { } clear)
            {
                throw clear;
            }
            catch (HttpRequestException ex)
            {
                throw new HttpRequestException(Secrets.Mask($"cannot reach the vSphere API at {uri.SdkUri}: {ex.Message}"), ex);
            }

            await vim.LoginAsync(credentials, ct).ConfigureAwait(false);
            source._loggedIn = true;
            await source.ResolvePathAsync(ct).ConfigureAwait(false);
            source.Datastore = new DatastoreDownloader(http, uri.BaseUri, source.DatacenterPath, options.Download, log);
            return source;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ResolvePathAsync(CancellationToken ct)
    {
        var content = ServiceContent;
        if (Uri.Kind == VSphereEndpointKind.Esx)
        {
            if (content.IsVCenter)
            {
                _options.Log.Warn($"{Uri.Authority} is a vCenter ({content.FullName}) but the URI says esx://; listing every VM it manages (use vpx://{Uri.Authority}/Datacenter/... to choose one)");
            }

            Container = content.RootFolder;
            NamesContainer = content.RootFolder;
            DatacenterPath = EsxDatacenter;
            return;
        }

        // vpx://vc/[Folder/...]/Datacenter[/Cluster[/Host]]: the first prefix that is a Datacenter.
        var segs = Uri.Path;
        for (var i = 1; i <= segs.Count; i++)
        {
            var prefix = string.Join('/', segs.Take(i));
            var found = await Vim.FindByInventoryPathAsync(prefix, ct).ConfigureAwait(false);
            if (found is { Type: "Datacenter" } dc)
            {
                DatacenterPath = prefix;
                Container = dc;
                NamesContainer = dc;
                if (i < segs.Count)
                {
                    var hostPath = prefix + "/host/" + string.Join('/', segs.Skip(i));
                    Container = await Vim.FindByInventoryPathAsync(hostPath, ct).ConfigureAwait(false)
                        ?? throw new FileNotFoundException($"vpx path \"{string.Join('/', segs)}\": \"{string.Join('/', segs.Skip(i))}\" is not a cluster or host in datacenter {prefix} of {Uri.Host}");
                }

                _options.Log.Detail($"vpx path: datacenter {DatacenterPath}, container {Container}");
                return;
            }

            if (found is null && i == 1)
            {
                break;
            }
        }

        throw new FileNotFoundException($"vpx path \"{string.Join('/', segs)}\": no datacenter named \"{segs[0]}\" (or under that folder) on {Uri.Host}");
    }

    /// <summary>Every VM under the URI's container, sorted by name.</summary>
    public async Task<IReadOnlyList<VSphereVmInfo>> ListVmsAsync(CancellationToken ct) =>
        VSphereInventory.Build(await RetrieveVmsAndNamesAsync(VSphereInventory.VmProperties, ct).ConfigureAwait(false));

    /// <summary>
    /// VMs under <see cref="Container"/> with <paramref name="vmProperties"/>, plus the names of the
    /// networks, datastores, hosts and folders they refer to (<see cref="VSphereInventory.NameSpecs"/>). One
    /// ContainerView when the container is the datacenter (or an ESXi root); a cluster or host holds no
    /// networks, datastores or folders in the inventory tree, so their names then come from a second view
    /// over the datacenter.
    /// </summary>
    private async Task<IReadOnlyList<VimObjectContent>> RetrieveVmsAndNamesAsync(IReadOnlyList<string> vmProperties, CancellationToken ct)
    {
        if (Container == NamesContainer)
        {
            return await ViaViewAsync(Container, ["VirtualMachine", .. VSphereInventory.NameTypes], [new("VirtualMachine", vmProperties), .. VSphereInventory.NameSpecs], ct).ConfigureAwait(false);
        }

        var vms = await ViaViewAsync(Container, ["VirtualMachine"], [new("VirtualMachine", vmProperties)], ct).ConfigureAwait(false);
        return [.. vms, .. await RetrieveNamesAsync(ct).ConfigureAwait(false)];
    }

    private Task<IReadOnlyList<VimObjectContent>> RetrieveNamesAsync(CancellationToken ct) =>
        ViaViewAsync(NamesContainer, VSphereInventory.NameTypes, VSphereInventory.NameSpecs, ct);

    private async Task<IReadOnlyList<VimObjectContent>> ViaViewAsync(MoRef container, IReadOnlyList<string> types, IReadOnlyList<VimPropertySpec> specs, CancellationToken ct)
    {
        var view = await Vim.CreateContainerViewAsync(container, types, true, ct).ConfigureAwait(false);
        try
        {
            return await Vim.RetrieveFromViewAsync(view, specs, _options.PageSize, ct).ConfigureAwait(false);
        }
        finally
        {
            await Vim.DestroyViewAsync(view, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Finds one VM by name: a cheap pass over the view for names only, then the full property
    /// set for that VM alone (a 1000-VM vCenter is not fully listed to convert one VM).
    /// </summary>
    public async Task<VSphereVmInfo> FindVmAsync(string name, CancellationToken ct)
    {
        var names = await RetrieveVmsAndNamesAsync(["name"], ct).ConfigureAwait(false);
        var vmNames = names.Where(o => o.Obj.Type == "VirtualMachine" && o.Properties.ContainsKey("name")).ToArray();
        var matches = vmNames.Where(o => o.Properties["name"].Value == name).Select(o => o.Obj).ToArray();
        if (matches.Length == 0)
        {
            throw new FileNotFoundException($"no VM named \"{name}\" on {Uri}" + Suggest(vmNames.Select(o => o.Properties["name"].Value).ToArray(), name));
        }

        if (matches.Length > 1)
        {
            throw new InvalidOperationException($"{matches.Length} VMs are named \"{name}\" on {Uri} (ids {string.Join(", ", matches.Select(m => m.Value))}); choose one with --vm moref:ID, or narrow the vpx:// path to a cluster or host");
        }

        var full = await Vim.RetrieveObjectsAsync(matches, [new("VirtualMachine", VSphereInventory.VmProperties)], ct).ConfigureAwait(false);
        var others = names.Where(o => o.Obj.Type != "VirtualMachine");
        return VSphereInventory.Build([.. full, .. others]).Single();
    }

    /// <summary>
    /// One VM by its managed object id (<c>vm-123</c>): two VMs may share a name in different folders, their ids
    /// never. A reference the server does not know is a <see cref="FileNotFoundException"/> naming it.
    /// </summary>
    public async Task<VSphereVmInfo> FindVmAsync(MoRef vm, CancellationToken ct)
    {
        if (vm.Type != "VirtualMachine")
        {
            throw new ArgumentException($"{vm} is not a VirtualMachine reference", nameof(vm));
        }

        IReadOnlyList<VimObjectContent> full;
        try
        {
            full = await Vim.RetrieveObjectsAsync([vm], [new("VirtualMachine", VSphereInventory.VmProperties)], ct).ConfigureAwait(false);
        }
        catch (VimFaultException ex) when (ex.FaultType is "ManagedObjectNotFound" or "InvalidArgument")
        {
            throw new FileNotFoundException($"no VM with id {vm.Value} on {Uri} ({ex.FaultType}); run 'v2v inventory {Uri}' to list the VMs", ex);
        }

        if (full.Count == 0)
        {
            throw new FileNotFoundException($"no VM with id {vm.Value} on {Uri}; run 'v2v inventory {Uri}' to list the VMs");
        }

        return VSphereInventory.Build([.. full, .. await RetrieveNamesAsync(ct).ConfigureAwait(false)]).Single();
    }

    /// <summary>Finds a VM by name and downloads its .vmx through /folder.</summary>
    public async Task<VSphereVm> FetchVmAsync(string name, CancellationToken ct) =>
        await FetchVmxAsync(await FindVmAsync(name, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>Finds a VM by its managed object id and downloads its .vmx through /folder.</summary>
    public async Task<VSphereVm> FetchVmAsync(MoRef vm, CancellationToken ct) =>
        await FetchVmxAsync(await FindVmAsync(vm, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<VSphereVm> FetchVmxAsync(VSphereVmInfo info, CancellationToken ct)
    {
        var vmPath = DatastorePath.Parse(info.VmPathName ?? throw new InvalidDataException($"VM {info.Name} ({info.Ref.Value}): config.files.vmPathName is not set (inaccessible VM?)"), $"VM {info.Name} config.files.vmPathName");
        var bytes = await Datastore.ReadAllBytesAsync(vmPath, MaxVmxBytes, ct).ConfigureAwait(false);
        _options.Log.Detail($"fetched {vmPath} ({bytes.Length} bytes)");
        return new VSphereVm(info, bytes, vmPath, DatacenterPath);
    }

    /// <summary>
    /// Downloads every disk file of <paramref name="vm"/> into <paramref name="directory"/>
    /// (file names kept), in parallel up to the configured bound. A VM that is not powered off is
    /// refused unless <paramref name="allowRunning"/>, which warns that the copy is inconsistent.
    /// </summary>
    public async Task<IReadOnlyList<DownloadResult>> DownloadDisksAsync(VSphereVm vm, string directory, bool allowRunning, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vm);
        CheckPowerState(vm.Info, allowRunning, _options.Log);
        Directory.CreateDirectory(directory);
        var items = vm.DiskFiles
            .Select(p => new DownloadItem(p, Path.Combine(directory, p.FileName)))
            .ToArray();
        var clash = items.GroupBy(i => i.LocalPath, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new NotSupportedException($"VM {vm.Name}: two disk files are both named {Path.GetFileName(clash.Key)} (in different folders or datastores)");
        }

        return await Datastore.DownloadAllAsync(items, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Cold migration: refuses a running VM unless allowed, and then warns.</summary>
    public static void CheckPowerState(VSphereVmInfo vm, bool allowRunning, ILogger? log)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (vm.IsPoweredOff)
        {
            return;
        }

        if (!allowRunning)
        {
            throw new InvalidOperationException($"VM {vm.Name} is {vm.PowerState}; shut it down first (this is a cold migration), or pass --allow-running to copy it anyway with inconsistent data");
        }

        log?.Warn($"VM {vm.Name} is {vm.PowerState}: its disks are changing while they are copied, so the copy will be inconsistent (crash-consistent at best)");
    }

    private static string Suggest(IReadOnlyList<string> vms, string name)
    {
        var close = vms.Where(v => v.Contains(name, StringComparison.OrdinalIgnoreCase) || name.Contains(v, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Take(5).ToArray();
        return close.Length > 0 ? $" (did you mean {string.Join(", ", close)}?)" : $" ({vms.Count} VMs there; run 'v2v inventory' to list them)";
    }

    public async ValueTask DisposeAsync()
    {
        if (_loggedIn)
        {
            _loggedIn = false;
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await Vim.LogoutAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or InvalidDataException)
            {
                _options.Log.Detail($"logout failed: {ex.Message}");
            }
        }

        _http.Dispose();
    }
}
