using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.IO;
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

    /// <summary>
    /// Called once the disk has been copied, before anything is put under its final name: a source that can check what
    /// it served (an OVF manifest's digest) does it here, and throws when the bytes were not right.
    /// </summary>
    void Verify(VirtualDisk disk, CancellationToken cancellationToken);
}

/// <summary>
/// Disks that are local files (a .vmx's folder): opened in place. A disk file must really lie in the .vmx's folder,
/// links resolved, as its extents and parents must (<see cref="VmdkOpenOptions.AllowAbsoluteExtents"/> lifts that).
/// </summary>
public sealed class LocalDiskOpener : IDiskOpener
{
    /// <param name="vmFolder">The folder of the .vmx; null: each disk's own folder, and the disk file itself may lie anywhere.</param>
    public LocalDiskOpener(string? vmFolder = null) => VmFolder = vmFolder;

    /// <summary>An opener without a .vmx folder (see the constructor).</summary>
    public static LocalDiskOpener Instance { get; } = new();

    /// <summary>The folder of the .vmx, which no disk file may leave; null when there is none.</summary>
    public string? VmFolder { get; }

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

        try
        {
            return VmdkDisk.Open(disk.ResolvedPath, VmFolder, options with { Cancellation = cancellationToken });
        }
        catch (InputOutsideFolderException ex)
        {
            throw new InvalidDataException($"disk {disk.Key}: {disk.Key}.fileName = \"{disk.FileName}\" resolves to {ex.RealPath}, outside the VM folder {ex.Folder}; refused (pass --allow-absolute-extents to accept it)", ex);
        }
    }

    public string Describe(VirtualDisk disk) => disk.ResolvedPath ?? disk.FileName;

    /// <summary>Local files have nothing to check them against.</summary>
    public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
    {
    }

    public void Dispose()
    {
    }
}
