using System.Xml.Linq;
using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>A storage pool of any type (dir, fs, logical, disk, iscsi, rbd ...): what libvirt can create volumes in.</summary>
public sealed class StoragePool : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly StoragePoolHandle _handle;

    internal StoragePool(LibvirtConnection connection, StoragePoolHandle handle, string name)
    {
        _connection = connection;
        _handle = handle;
        Name = LibvirtNative.PeekString(LibvirtNative.StoragePoolGetName(handle)) ?? name;
    }

    public string Name { get; }

    internal LibvirtConnection Connection => _connection;

    private string Described => $"storage pool {Quote(Name)} on {_connection.Uri}";

    /// <summary>The pool type, <c>&lt;pool type='...'&gt;</c> of its XML (dir, fs, logical ...).</summary>
    public string Type
    {
        get
        {
            var xml = LibvirtNative.TakeString(LibvirtNative.StoragePoolGetXmlDesc(_handle, 0)) ?? throw Last($"reading the XML of {Described}");
            return XDocument.Parse(xml).Root?.Attribute("type")?.Value
                ?? throw new LibvirtException($"libvirt: the XML of {Described} has no <pool type='...'>");
        }
    }

    public bool IsActive => Check(LibvirtNative.StoragePoolIsActive(_handle), $"checking whether {Described} is active") == 1;

    /// <summary>Capacity, allocation and available space in bytes (<c>virStoragePoolGetInfo</c>).</summary>
    public (long Capacity, long Allocation, long Available) Info()
    {
        Check(LibvirtNative.StoragePoolGetInfo(_handle, out var info), $"reading the size of {Described}");
        return (Clamp(info.Capacity), Clamp(info.Allocation), Clamp(info.Available));
    }

    /// <summary>Rescans the pool (after volumes changed behind libvirt's back, or to update <see cref="Info"/>).</summary>
    public void Refresh() => Check(LibvirtNative.StoragePoolRefresh(_handle, 0), $"refreshing {Described}");

    /// <summary>The volume, or null when the pool has none of that name.</summary>
    public StorageVolume? FindVolume(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var h = Lookup(LibvirtNative.StorageVolLookupByName(_handle, name), $"looking up volume {Quote(name)} in {Described}");
        return h is null ? null : new StorageVolume(this, h);
    }

    /// <summary>Creates a volume from its XML (<c>virStorageVolCreateXML</c>); an existing name fails.</summary>
    public StorageVolume CreateVolume(string xml)
    {
        ArgumentException.ThrowIfNullOrEmpty(xml);
        var name = XDocument.Parse(xml).Root?.Element("name")?.Value ?? "?";
        var h = Check(LibvirtNative.StorageVolCreateXml(_handle, xml, 0), $"creating volume {Quote(name)} in {Described}");
        return new StorageVolume(this, h);
    }

    internal static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;

    public void Dispose() => _handle.Dispose();
}
