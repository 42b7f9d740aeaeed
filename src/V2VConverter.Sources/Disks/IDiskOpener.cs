using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.Disks;

/// <summary>
/// How the conversion pipeline reaches a VM's disks: local files next to a .vmx, or files on a
/// vSphere datastore (streamed or fetched). The pipeline checks every disk first, then opens them
/// one by one (or a few at a time, <see cref="MaxParallelDisks"/>) as it copies.
/// </summary>
public interface IDiskOpener : IDisposable
{
    /// <summary>How many disks may be copied at once (1: one after another).</summary>
    int MaxParallelDisks { get; }

    /// <summary>Throws a clear error when the disk cannot be read. Called for every disk before anything is copied.</summary>
    void Check(VirtualDisk disk, VmdkOpenOptions options);

    /// <summary>Opens the disk for reading as one virtual disk.</summary>
    IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken);

    /// <summary>Where the disk is read from, for the log.</summary>
    string Describe(VirtualDisk disk);
}

/// <summary>Disks that are local files (a .vmx's folder): opened in place.</summary>
public sealed class LocalDiskOpener : IDiskOpener
{
    public static LocalDiskOpener Instance { get; } = new();

    public int MaxParallelDisks => 1;

    /// <summary>The file must exist and open as a VMDK (headers, descriptor, extents and chain are read, no data).</summary>
    public void Check(VirtualDisk disk, VmdkOpenOptions options)
    {
        using var _ = Open(disk, options, CancellationToken.None);
    }

    public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if (disk.ResolvedPath is null || disk.FileState == DiskFileState.Missing)
        {
            throw new FileNotFoundException($"disk {disk.Key}: {disk.ResolvedPath ?? disk.FileName} does not exist; nothing was copied", disk.ResolvedPath ?? disk.FileName);
        }

        return VmdkDisk.Open(disk.ResolvedPath, options with { Cancellation = cancellationToken });
    }

    public string Describe(VirtualDisk disk) => disk.ResolvedPath ?? disk.FileName;

    public void Dispose()
    {
    }
}
