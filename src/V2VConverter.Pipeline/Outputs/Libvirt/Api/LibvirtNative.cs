using System.Runtime.InteropServices;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>
/// The part of libvirt's C API (<c>libvirt.so.0</c>, Debian libvirt0) the libvirt output uses. Object handles are
/// <see cref="SafeHandle"/>s (see LibvirtHandles.cs). Strings returned as <c>char*</c> that the caller owns are
/// returned as <see cref="IntPtr"/> and go through <see cref="TakeString"/>; strings owned by the object
/// (<c>virStoragePoolGetName</c> ...) through <see cref="PeekString"/>.
/// </summary>
internal static partial class LibvirtNative
{
    internal const string Lib = "libvirt.so.0";

    /// <summary>VIR_UUID_STRING_BUFLEN: 36 characters and the NUL.</summary>
    internal const int UuidStringBufferLength = 37;

    /// <summary>virStorageVolUploadFlags: VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM.</summary>
    internal const uint VolUploadSparseStream = 1u << 0;

    /// <summary>virDomainUndefineFlagsValues.</summary>
    internal const uint UndefineManagedSave = 1u << 0;
    internal const uint UndefineSnapshotsMetadata = 1u << 1;
    internal const uint UndefineNvram = 1u << 2;
    internal const uint UndefineCheckpointsMetadata = 1u << 4;

    /// <summary>virStoragePoolInfo: int state, then unsigned long long capacity, allocation, available (bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StoragePoolInfo
    {
        public int State;
        public ulong Capacity;
        public ulong Allocation;
        public ulong Available;
    }

    /// <summary>virStorageVolInfo: int type, then unsigned long long capacity, allocation (bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StorageVolInfo
    {
        public int Type;
        public ulong Capacity;
        public ulong Allocation;
    }

    /// <summary>The head of struct _virError (virterror.h): code, domain, message; the rest is not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ErrorHead
    {
        public int Code;
        public int Domain;
        public IntPtr Message;
    }

    [LibraryImport(Lib, EntryPoint = "virInitialize")]
    internal static partial int Initialize();

    [LibraryImport(Lib, EntryPoint = "virSetErrorFunc")]
    internal static unsafe partial void SetErrorFunc(IntPtr userData, delegate* unmanaged<IntPtr, IntPtr, void> handler);

    /// <summary>The calling thread's last error (owned by libvirt, may be NULL).</summary>
    [LibraryImport(Lib, EntryPoint = "virGetLastError")]
    internal static partial IntPtr GetLastError();

    [LibraryImport(Lib, EntryPoint = "virResetLastError")]
    internal static partial void ResetLastError();

    [LibraryImport(Lib, EntryPoint = "virEventRegisterDefaultImpl")]
    internal static partial int EventRegisterDefaultImpl();

    [LibraryImport(Lib, EntryPoint = "virEventRunDefaultImpl")]
    internal static partial int EventRunDefaultImpl();

    // ---- connection ----
    /// <summary>0 on success, 1 when the driver has no keepalive (local connections), -1 on error.</summary>
    [LibraryImport(Lib, EntryPoint = "virConnectSetKeepAlive")]
    internal static partial int ConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);

    [LibraryImport(Lib, EntryPoint = "virConnectOpenAuth", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle ConnectOpenAuth(string? name, IntPtr auth, uint flags);

    [LibraryImport(Lib, EntryPoint = "virConnectClose")]
    internal static partial int ConnectClose(IntPtr conn);

    [LibraryImport(Lib, EntryPoint = "virConnectGetURI")]
    internal static partial IntPtr ConnectGetUri(ConnectHandle conn);

    [LibraryImport(Lib, EntryPoint = "virConnectGetDomainCapabilities", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ConnectGetDomainCapabilities(ConnectHandle conn, string? emulatorbin, string? arch, string? machine, string? virttype, uint flags);

    // ---- storage pools ----
    [LibraryImport(Lib, EntryPoint = "virStoragePoolLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle StoragePoolLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolFree")]
    internal static partial int StoragePoolFree(IntPtr pool);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolGetName")]
    internal static partial IntPtr StoragePoolGetName(StoragePoolHandle pool);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolGetXMLDesc")]
    internal static partial IntPtr StoragePoolGetXmlDesc(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolIsActive")]
    internal static partial int StoragePoolIsActive(StoragePoolHandle pool);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolGetInfo")]
    internal static partial int StoragePoolGetInfo(StoragePoolHandle pool, out StoragePoolInfo info);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolRefresh")]
    internal static partial int StoragePoolRefresh(StoragePoolHandle pool, uint flags);

    // ---- storage volumes ----
    [LibraryImport(Lib, EntryPoint = "virStorageVolLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle StorageVolLookupByName(StoragePoolHandle pool, string name);

    [LibraryImport(Lib, EntryPoint = "virStorageVolCreateXML", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle StorageVolCreateXml(StoragePoolHandle pool, string xml, uint flags);

    [LibraryImport(Lib, EntryPoint = "virStorageVolFree")]
    internal static partial int StorageVolFree(IntPtr vol);

    [LibraryImport(Lib, EntryPoint = "virStorageVolGetName")]
    internal static partial IntPtr StorageVolGetName(StorageVolHandle vol);

    [LibraryImport(Lib, EntryPoint = "virStorageVolGetKey")]
    internal static partial IntPtr StorageVolGetKey(StorageVolHandle vol);

    [LibraryImport(Lib, EntryPoint = "virStorageVolGetPath")]
    internal static partial IntPtr StorageVolGetPath(StorageVolHandle vol);

    [LibraryImport(Lib, EntryPoint = "virStorageVolGetInfo")]
    internal static partial int StorageVolGetInfo(StorageVolHandle vol, out StorageVolInfo info);

    [LibraryImport(Lib, EntryPoint = "virStorageVolDelete")]
    internal static partial int StorageVolDelete(StorageVolHandle vol, uint flags);

    [LibraryImport(Lib, EntryPoint = "virStorageVolUpload")]
    internal static partial int StorageVolUpload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    // ---- streams ----
    [LibraryImport(Lib, EntryPoint = "virStreamNew")]
    internal static partial StreamHandle StreamNew(ConnectHandle conn, uint flags);

    [LibraryImport(Lib, EntryPoint = "virStreamFree")]
    internal static partial int StreamFree(IntPtr stream);

    /// <summary>Bytes sent (&gt; 0), -1 on error, -2 when a non-blocking stream would block.</summary>
    [LibraryImport(Lib, EntryPoint = "virStreamSend")]
    internal static unsafe partial int StreamSend(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib, EntryPoint = "virStreamSendHole")]
    internal static partial int StreamSendHole(StreamHandle stream, long length, uint flags);

    [LibraryImport(Lib, EntryPoint = "virStreamFinish")]
    internal static partial int StreamFinish(StreamHandle stream);

    [LibraryImport(Lib, EntryPoint = "virStreamAbort")]
    internal static partial int StreamAbort(StreamHandle stream);

    // ---- domains ----
    [LibraryImport(Lib, EntryPoint = "virDomainLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle DomainLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, EntryPoint = "virDomainLookupByUUIDString", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle DomainLookupByUuidString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, EntryPoint = "virDomainDefineXML", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle DomainDefineXml(ConnectHandle conn, string xml);

    [LibraryImport(Lib, EntryPoint = "virDomainFree")]
    internal static partial int DomainFree(IntPtr domain);

    [LibraryImport(Lib, EntryPoint = "virDomainGetName")]
    internal static partial IntPtr DomainGetName(DomainHandle domain);

    [LibraryImport(Lib, EntryPoint = "virDomainGetUUIDString")]
    internal static unsafe partial int DomainGetUuidString(DomainHandle domain, byte* buffer);

    [LibraryImport(Lib, EntryPoint = "virDomainIsActive")]
    internal static partial int DomainIsActive(DomainHandle domain);

    [LibraryImport(Lib, EntryPoint = "virDomainCreate")]
    internal static partial int DomainCreate(DomainHandle domain);

    [LibraryImport(Lib, EntryPoint = "virDomainDestroy")]
    internal static partial int DomainDestroy(DomainHandle domain);

    [LibraryImport(Lib, EntryPoint = "virDomainUndefineFlags")]
    internal static partial int DomainUndefineFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib, EntryPoint = "virDomainUndefine")]
    internal static partial int DomainUndefine(DomainHandle domain);

    [LibraryImport(Lib, EntryPoint = "virDomainGetXMLDesc")]
    internal static partial IntPtr DomainGetXmlDesc(DomainHandle domain, uint flags);

    // ---- networks and host interfaces ----
    [LibraryImport(Lib, EntryPoint = "virNetworkLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle NetworkLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, EntryPoint = "virNetworkFree")]
    internal static partial int NetworkFree(IntPtr network);

    [LibraryImport(Lib, EntryPoint = "virNetworkGetName")]
    internal static partial IntPtr NetworkGetName(NetworkHandle network);

    [LibraryImport(Lib, EntryPoint = "virNetworkIsActive")]
    internal static partial int NetworkIsActive(NetworkHandle network);

    [LibraryImport(Lib, EntryPoint = "virNetworkGetBridgeName")]
    internal static partial IntPtr NetworkGetBridgeName(NetworkHandle network);

    [LibraryImport(Lib, EntryPoint = "virInterfaceLookupByName", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial InterfaceHandle InterfaceLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, EntryPoint = "virInterfaceFree")]
    internal static partial int InterfaceFree(IntPtr iface);

    // ---- listings (virConnectListAll*: a malloc'd array of object pointers, each released with its virXxxFree) ----
    [LibraryImport(Lib, EntryPoint = "virConnectListAllDomains")]
    internal static partial int ConnectListAllDomains(ConnectHandle conn, out IntPtr domains, uint flags);

    [LibraryImport(Lib, EntryPoint = "virConnectListAllNetworks")]
    internal static partial int ConnectListAllNetworks(ConnectHandle conn, out IntPtr networks, uint flags);

    [LibraryImport(Lib, EntryPoint = "virConnectListAllStoragePools")]
    internal static partial int ConnectListAllStoragePools(ConnectHandle conn, out IntPtr pools, uint flags);

    [LibraryImport(Lib, EntryPoint = "virConnectListAllInterfaces")]
    internal static partial int ConnectListAllInterfaces(ConnectHandle conn, out IntPtr ifaces, uint flags);

    [LibraryImport(Lib, EntryPoint = "virDomainGetName")]
    internal static partial IntPtr DomainGetName(IntPtr domain);

    [LibraryImport(Lib, EntryPoint = "virNetworkGetName")]
    internal static partial IntPtr NetworkGetName(IntPtr network);

    [LibraryImport(Lib, EntryPoint = "virStoragePoolGetName")]
    internal static partial IntPtr StoragePoolGetName(IntPtr pool);

    [LibraryImport(Lib, EntryPoint = "virInterfaceGetName")]
    internal static partial IntPtr InterfaceGetName(IntPtr iface);

    [LibraryImport(Lib, EntryPoint = "virInterfaceGetXMLDesc")]
    internal static partial IntPtr InterfaceGetXmlDesc(IntPtr iface, uint flags);

    /// <summary>A <c>char*</c> the caller owns (libvirt allocates with malloc): copied, then freed. NULL gives null.</summary>
    internal static unsafe string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            NativeMemory.Free((void*)p);
        }
    }

    /// <summary>A <c>const char*</c> owned by a libvirt object: copied, not freed.</summary>
    internal static string? PeekString(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
}
