using System.Text;
using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>A domain (VM) defined on the host.</summary>
public sealed class LibvirtDomain : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly DomainHandle _handle;

    internal unsafe LibvirtDomain(LibvirtConnection connection, DomainHandle handle)
    {
        _connection = connection;
        _handle = handle;
        Name = LibvirtNative.PeekString(LibvirtNative.DomainGetName(handle)) ?? "?";
        var buffer = stackalloc byte[LibvirtNative.UuidStringBufferLength];
        Check(LibvirtNative.DomainGetUuidString(handle, buffer), $"reading the UUID of {Described}");
        Uuid = Encoding.ASCII.GetString(buffer, LibvirtNative.UuidStringBufferLength - 1);
    }

    public string Name { get; }

    /// <summary>The UUID, lower-case with dashes.</summary>
    public string Uuid { get; }

    private string Described => $"domain {Quote(Name)} on {_connection.Uri}";

    public bool IsActive => Check(LibvirtNative.DomainIsActive(_handle), $"checking whether {Described} is running") == 1;

    /// <summary>Starts the defined domain (<c>virDomainCreate</c>): the point where libvirt checks networks and disks.</summary>
    public void Start() => Check(LibvirtNative.DomainCreate(_handle), $"starting {Described}");

    /// <summary>Stops the running domain at once (<c>virDomainDestroy</c>: a power cut).</summary>
    public void Destroy() => Check(LibvirtNative.DomainDestroy(_handle), $"stopping {Described}");

    /// <summary>
    /// Removes the definition with its NVRAM, managed-save image, snapshot and checkpoint metadata
    /// (<c>virDomainUndefineFlags</c>); falls back to plain <c>virDomainUndefine</c> on a host that rejects the flags.
    /// Volumes are not deleted.
    /// </summary>
    public void Undefine()
    {
        const uint flags = LibvirtNative.UndefineNvram | LibvirtNative.UndefineManagedSave
            | LibvirtNative.UndefineSnapshotsMetadata | LibvirtNative.UndefineCheckpointsMetadata;
        if (LibvirtNative.DomainUndefineFlags(_handle, flags) >= 0)
        {
            return;
        }

        var e = Last($"undefining {Described}");
        if (e.Code is not (LibvirtException.ErrNoSupport or LibvirtException.ErrInvalidArg))
        {
            throw e;
        }

        Check(LibvirtNative.DomainUndefine(_handle), $"undefining {Described}");
    }

    /// <summary>The domain XML as libvirt holds it (<c>virDomainGetXMLDesc</c>, flags 0).</summary>
    public string XmlDesc() => LibvirtNative.TakeString(LibvirtNative.DomainGetXmlDesc(_handle, 0)) ?? throw Last($"reading the XML of {Described}");

    public void Dispose() => _handle.Dispose();
}
