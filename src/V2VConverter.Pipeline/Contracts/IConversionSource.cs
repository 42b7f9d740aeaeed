using Serilog;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Catalog;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Pipeline.Contracts;

/// <summary>What the user named as the source: a path or URI, and the options that go with it.</summary>
public sealed record SourceSpec
{
    /// <summary>A .vmx path, an esx:// or vpx:// URI, ... as typed (relative paths resolve against the working directory).</summary>
    public required string Location { get; init; }

    /// <summary>
    /// --vm NAME: the VM inside an inventory. For a vSphere source, <c>moref:vm-123</c> names it by its managed
    /// object id instead (two VMs may share a name in different folders; a batch plan records the id).
    /// </summary>
    public string? VmName { get; init; }

    /// <summary>--password-file FILE.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>--thumbprint SHA1|SHA256: the pinned server certificate.</summary>
    public string? Thumbprint { get; init; }

    /// <summary>--timeout SECONDS: for a vSphere source, the connect, TLS, SOAP call and download timeouts (null: their defaults).</summary>
    public int? TimeoutSeconds { get; init; }

    /// <summary>--allow-running: convert a powered-on VM anyway (the copy may be inconsistent).</summary>
    public bool AllowRunning { get; init; }

    /// <summary>-i KIND: read the location as this kind of source (a source's <see cref="IConversionSource.Name"/>), whatever its name says; null: by scheme or extension.</summary>
    public string? InputKind { get; init; }

    /// <summary>Check an OVF package's manifest digests (false: --no-verify-manifest).</summary>
    public bool VerifyManifest { get; init; } = true;
}

/// <summary>What a source may use while it opens: the run's diagnostics, catalog, environment and cancellation.</summary>
public sealed record SourceContext
{
    /// <summary>The run's logger: warnings (always shown), decisions (-v), details (-vv).</summary>
    public required ILogger Log { get; init; }

    /// <summary>The guest OS catalog, loaded once per run (built in, or --mappings-dir's guest-os.json).</summary>
    public GuestOsCatalog Catalog { get; init; } = GuestOsCatalog.Default;

    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    public Func<string, string?> GetEnv { get; init; } = Environment.GetEnvironmentVariable;

    public VmdkOpenOptions Vmdk { get; init; } = new();

    /// <summary>Null for a dry run (inspect, xml); for a conversion, where the source may stage files it must fetch first.</summary>
    public string? StagingDirectory { get; init; }

    public CancellationToken Cancellation { get; init; }

    public string Resolve(string path) => Path.GetFullPath(path, WorkingDirectory);
}

/// <summary>An opened source: the VM model and how to read its disks. Dispose closes connections and staging.</summary>
public sealed class OpenedSource(VirtualMachine vm, IDiskOpener disks, IDisposable? owner = null) : IDisposable
{
    public VirtualMachine Vm { get; } = vm;

    public IDiskOpener Disks { get; } = disks;

    /// <summary>The VM's firmware variable store (VMware's NAME.nvram), when the source can reach one.</summary>
    public IFirmwareStore? Nvram { get; init; }

    public void Dispose()
    {
        Disks.Dispose();
        owner?.Dispose();
    }
}

/// <summary>
/// One kind of input (a local .vmx, a vSphere inventory, later an OVA). The <see cref="StageRegistry"/>
/// asks each in turn whether it reads a spec; a new input is one class.
/// </summary>
public interface IConversionSource
{
    /// <summary>A short name for logs and errors: "vmx", "vsphere".</summary>
    string Name { get; }

    /// <summary>True when this kind reads <paramref name="spec"/> (by scheme or extension; no I/O).</summary>
    bool Accepts(SourceSpec spec);

    /// <summary>Reads the VM's description into the model. Throws the exception policy's exceptions on bad input.</summary>
    OpenedSource Open(SourceSpec spec, SourceContext context);
}
