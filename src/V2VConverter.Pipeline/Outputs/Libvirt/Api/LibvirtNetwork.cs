using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>A libvirt virtual network (<c>&lt;interface type='network'&gt;</c> refers to it by name).</summary>
public sealed class LibvirtNetwork : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly NetworkHandle _handle;

    internal LibvirtNetwork(LibvirtConnection connection, NetworkHandle handle, string name)
    {
        _connection = connection;
        _handle = handle;
        Name = LibvirtNative.PeekString(LibvirtNative.NetworkGetName(handle)) ?? name;
    }

    public string Name { get; }

    private string Described => $"network {Quote(Name)} on {_connection.Uri}";

    /// <summary>Started: a domain using it can start.</summary>
    public bool IsActive => Check(LibvirtNative.NetworkIsActive(_handle), $"checking whether {Described} is active") == 1;

    /// <summary>The bridge the network uses (<c>virNetworkGetBridgeName</c>), or null for networks without one (e.g. macvtap, hostdev).</summary>
    public string? Bridge
    {
        get
        {
            var p = LibvirtNative.NetworkGetBridgeName(_handle);
            if (p != IntPtr.Zero)
            {
                return LibvirtNative.TakeString(p);
            }

            // Networks without a bridge (forward mode passthrough/hostdev/macvtap) fail here: not an error for us.
            LibvirtNative.ResetLastError();
            return null;
        }
    }

    public void Dispose() => _handle.Dispose();
}
