using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

// One SafeHandle per libvirt object type: released with its own virXxxFree (virConnectClose for connections).
// libvirt reference-counts: an object keeps its connection alive, so the order of release does not matter.

internal sealed class ConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ConnectHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.ConnectClose(handle) >= 0;
}

internal sealed class StoragePoolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StoragePoolHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.StoragePoolFree(handle) == 0;
}

internal sealed class StorageVolHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StorageVolHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.StorageVolFree(handle) == 0;
}

internal sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StreamHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.StreamFree(handle) == 0;
}

internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DomainHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.DomainFree(handle) == 0;
}

internal sealed class NetworkHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public NetworkHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.NetworkFree(handle) == 0;
}

internal sealed class InterfaceHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public InterfaceHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => LibvirtNative.InterfaceFree(handle) == 0;
}
