using System.Runtime.InteropServices;
using System.Xml.Linq;
using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>
/// A libvirt connection (<c>virConnectOpenAuth</c> with libvirt's default authentication callback), local or remote
/// (<c>qemu:///system</c>, <c>qemu+ssh://user@host/system</c>, <c>qemu+tcp://host/system</c> ...). Everything goes
/// through this connection, so it works on whatever host the URI reaches. libvirt connections are thread-safe: one
/// may be used from several threads (a stream, <see cref="VolumeUpload"/>, by one thread at a time).
/// Failures throw <see cref="LibvirtException"/> with a one-line message naming the operation, the object and the URI.
/// </summary>
public sealed class LibvirtConnection : IDisposable
{
    /// <summary>Seconds between keepalive probes on a remote connection (virsh uses 5).</summary>
    public const int KeepAliveInterval = 5;

    /// <summary>Unanswered probes before the connection is declared dead: so a dead peer is noticed in about 20 s.</summary>
    public const uint KeepAliveCount = 3;

    /// <summary>
    /// <c>virConnectAuthPtrDefault</c> is a data symbol (a <c>virConnectAuthPtr</c> variable): its export address holds
    /// the pointer to pass.
    /// </summary>
    private static readonly Lazy<IntPtr> DefaultAuth = new(() =>
    {
        var lib = NativeLibrary.Load(LibvirtNative.Lib, typeof(LibvirtConnection).Assembly, null);
        return Marshal.ReadIntPtr(NativeLibrary.GetExport(lib, "virConnectAuthPtrDefault"));
    });

    private readonly ConnectHandle _handle;

    private LibvirtConnection(ConnectHandle handle, string uri)
    {
        _handle = handle;
        Uri = uri;
    }

    /// <summary>The canonical URI libvirt reports (<c>virConnectGetURI</c>), e.g. qemu:///system for a null URI.</summary>
    public string Uri { get; }

    internal ConnectHandle Handle => _handle;

    /// <summary>
    /// Opens <paramref name="uri"/>; null means libvirt's default, the one virsh uses (LIBVIRT_DEFAULT_URI, uri_default in
    /// libvirt.conf, then probing). Authentication uses libvirt's default callback (<c>virConnectAuthPtrDefault</c>).
    /// </summary>
    public static LibvirtConnection Open(string? uri)
    {
        EnsureInitialized();
        var shown = uri ?? "the default URI";
        var handle = Check(LibvirtNative.ConnectOpenAuth(uri, DefaultAuth.Value, 0), $"cannot connect to {shown}");
        try
        {
            // Remote connections: a keepalive every KeepAliveInterval s; after KeepAliveCount unanswered ones the
            // connection is closed and a blocked call (an upload) fails instead of hanging. Local ones answer 1: none needed.
            if (LibvirtNative.ConnectSetKeepAlive(handle, KeepAliveInterval, KeepAliveCount) < 0)
            {
                LibvirtNative.ResetLastError();
            }

            var actual = LibvirtNative.TakeString(LibvirtNative.ConnectGetUri(handle)) ?? throw Last($"reading the URI of {shown}");
            return new LibvirtConnection(handle, actual);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The storage pool, or null when the host has none of that name.</summary>
    public StoragePool? FindPool(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var h = Lookup(LibvirtNative.StoragePoolLookupByName(_handle, name), $"looking up storage pool {Quote(name)} on {Uri}");
        return h is null ? null : new StoragePool(this, h, name);
    }

    /// <summary>The domain, or null when none has that name.</summary>
    public LibvirtDomain? FindDomain(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var h = Lookup(LibvirtNative.DomainLookupByName(_handle, name), $"looking up domain {Quote(name)} on {Uri}");
        return h is null ? null : new LibvirtDomain(this, h);
    }

    /// <summary>The domain with that UUID (e.g. 4dea22b3-1d52-d8f3-2516-782e98ab3fa0), or null.</summary>
    public LibvirtDomain? FindDomainByUuid(string uuid)
    {
        ArgumentException.ThrowIfNullOrEmpty(uuid);
        var h = Lookup(LibvirtNative.DomainLookupByUuidString(_handle, uuid), $"looking up domain with UUID {uuid} on {Uri}");
        return h is null ? null : new LibvirtDomain(this, h);
    }

    /// <summary>The virtual network, or null when none has that name.</summary>
    public LibvirtNetwork? FindNetwork(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var h = Lookup(LibvirtNative.NetworkLookupByName(_handle, name), $"looking up network {Quote(name)} on {Uri}");
        return h is null ? null : new LibvirtNetwork(this, h, name);
    }

    /// <summary>
    /// Whether the target host has a network interface (a bridge, a NIC) of that name: <c>virInterfaceLookupByName</c>,
    /// which asks the interface driver of the host the URI reaches (so it works remotely) and sees every interface
    /// of the daemon's network namespace, up or down. libvirt's node-device view was not used: it depends on udev
    /// events and misses interfaces outside the daemon's view (it saw only lo in the test host's namespace).
    /// </summary>
    public bool HostInterfaceExists(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var h = Lookup(LibvirtNative.InterfaceLookupByName(_handle, name), $"looking up host interface {Quote(name)} on {Uri}");
        return h is not null;
    }

    /// <summary>
    /// The host's capabilities for a domain of this virt type (kvm, qemu), architecture and machine type
    /// (<c>virConnectGetDomainCapabilities</c>): it fails when the host cannot run such a domain, e.g. kvm without KVM.
    /// </summary>
    public string DomainCapabilities(string virtType, string arch, string? machine)
    {
        ArgumentException.ThrowIfNullOrEmpty(virtType);
        ArgumentException.ThrowIfNullOrEmpty(arch);
        return LibvirtNative.TakeString(LibvirtNative.ConnectGetDomainCapabilities(_handle, null, arch, machine, virtType, 0))
            ?? throw Last($"asking {Uri} for {virtType} {arch} {machine} domain capabilities");
    }

    /// <summary>Defines (does not start) a persistent domain from its XML (<c>virDomainDefineXML</c>).</summary>
    public LibvirtDomain DefineDomain(string xml)
    {
        ArgumentException.ThrowIfNullOrEmpty(xml);
        var h = Check(LibvirtNative.DomainDefineXml(_handle, xml), $"defining a domain on {Uri}");
        return new LibvirtDomain(this, h);
    }

    /// <summary>The names of every domain defined or running on the host (<c>virConnectListAllDomains</c>).</summary>
    public IReadOnlyList<string> ListDomainNames() =>
        ListAll(LibvirtNative.ConnectListAllDomains(_handle, out var list, 0), list, p => LibvirtNative.PeekString(LibvirtNative.DomainGetName(p)),
            LibvirtNative.DomainFree, $"listing the domains of {Uri}");

    /// <summary>The names of every virtual network, active or not (<c>virConnectListAllNetworks</c>).</summary>
    public IReadOnlyList<string> ListNetworkNames() =>
        ListAll(LibvirtNative.ConnectListAllNetworks(_handle, out var list, 0), list, p => LibvirtNative.PeekString(LibvirtNative.NetworkGetName(p)),
            LibvirtNative.NetworkFree, $"listing the networks of {Uri}");

    /// <summary>The names of every storage pool, active or not (<c>virConnectListAllStoragePools</c>).</summary>
    public IReadOnlyList<string> ListPoolNames() =>
        ListAll(LibvirtNative.ConnectListAllStoragePools(_handle, out var list, 0), list, p => LibvirtNative.PeekString(LibvirtNative.StoragePoolGetName(p)),
            LibvirtNative.StoragePoolFree, $"listing the storage pools of {Uri}");

    /// <summary>
    /// The host interfaces that are bridges (<c>virConnectListAllInterfaces</c>, then <c>&lt;interface type='bridge'&gt;</c>
    /// in each one's XML), as the interface driver of the host the URI reaches sees them (see <see cref="HostInterfaceExists"/>).
    /// </summary>
    public IReadOnlyList<string> ListHostBridgeNames() =>
        ListAll(LibvirtNative.ConnectListAllInterfaces(_handle, out var list, 0), list, BridgeName, LibvirtNative.InterfaceFree, $"listing the host interfaces of {Uri}");

    private static string? BridgeName(IntPtr iface)
    {
        var xml = LibvirtNative.TakeString(LibvirtNative.InterfaceGetXmlDesc(iface, 0));
        return xml is not null && XDocument.Parse(xml).Root?.Attribute("type")?.Value == "bridge"
            ? LibvirtNative.PeekString(LibvirtNative.InterfaceGetName(iface))
            : null;
    }

    /// <summary>
    /// Reads the names out of a <c>virConnectListAll*</c> array of <paramref name="count"/> objects, then releases every
    /// object and the array, even when reading one fails. Null names are left out.
    /// </summary>
    private static unsafe List<string> ListAll(int count, IntPtr array, Func<IntPtr, string?> name, Func<IntPtr, int> free, string what)
    {
        if (count < 0)
        {
            throw Last(what);
        }

        var names = new List<string>(count);
        var items = (IntPtr*)array;
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (name(items[i]) is { } n)
                {
                    names.Add(n);
                }
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                free(items[i]);
            }

            NativeMemory.Free((void*)array);
        }

        return names;
    }

    public void Dispose() => _handle.Dispose();
}
