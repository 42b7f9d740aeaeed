using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>A volume in a <see cref="StoragePool"/>; its bytes are written with <see cref="Upload"/>.</summary>
public sealed class StorageVolume : IDisposable
{
    private readonly StoragePool _pool;
    private readonly StorageVolHandle _handle;

    internal StorageVolume(StoragePool pool, StorageVolHandle handle)
    {
        _pool = pool;
        _handle = handle;
        Name = LibvirtNative.PeekString(LibvirtNative.StorageVolGetName(handle)) ?? "?";
        Key = LibvirtNative.PeekString(LibvirtNative.StorageVolGetKey(handle)) ?? "";
    }

    public string Name { get; }

    /// <summary>libvirt's unique key of the volume (often its path).</summary>
    public string Key { get; }

    /// <summary>Where the volume lives on the target host (<c>virStorageVolGetPath</c>): a file, an LV, a device...</summary>
    public string Path => LibvirtNative.TakeString(LibvirtNative.StorageVolGetPath(_handle)) ?? throw Last($"reading the path of {Described}");

    internal string Described => $"volume {Quote(Name)} in storage pool {Quote(_pool.Name)} on {_pool.Connection.Uri}";

    /// <summary>Capacity (virtual size) and allocation (space used) in bytes.</summary>
    public (long Capacity, long Allocation) Info()
    {
        Check(LibvirtNative.StorageVolGetInfo(_handle, out var info), $"reading the size of {Described}");
        return (StoragePool.Clamp(info.Capacity), StoragePool.Clamp(info.Allocation));
    }

    /// <summary>Deletes the volume from its pool (<c>virStorageVolDelete</c>).</summary>
    public void Delete() => Check(LibvirtNative.StorageVolDelete(_handle, 0), $"deleting {Described}");

    /// <summary>
    /// Starts an upload of <paramref name="length"/> bytes at <paramref name="offset"/> through the connection
    /// (<c>virStreamNew</c> + <c>virStorageVolUpload</c>); the data then goes through <see cref="VolumeUpload.Send"/>.
    /// With <paramref name="sparse"/>, holes travel as <see cref="VolumeUpload.SendHole"/> records and are not written.
    /// </summary>
    public VolumeUpload Upload(long offset, long length, bool sparse)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var what = $"uploading {length} bytes at offset {offset} into {Described}";
        var stream = Check(LibvirtNative.StreamNew(_pool.Connection.Handle, 0), $"{what}: creating a stream");
        try
        {
            Check(LibvirtNative.StorageVolUpload(_handle, stream, (ulong)offset, (ulong)length, sparse ? LibvirtNative.VolUploadSparseStream : 0), what);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return new VolumeUpload(stream, Described, sparse);
    }

    public void Dispose() => _handle.Dispose();
}
