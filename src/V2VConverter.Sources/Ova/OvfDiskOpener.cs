using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Ova;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Sources.Ova;

/// <summary>
/// The disks of an OVF package (an OVA or an unpacked folder), read through the <see cref="OvfPackage"/>: in place
/// when the package allows it, the disk engine reading the member at its offset; every VMDK layout works, its extents
/// and parents resolved inside the package. Each disk's manifest digest is taken as the copy reads it and checked in
/// <see cref="Verify"/>. Owns the package.
/// </summary>
public sealed class OvfDiskOpener(OvfPackage package) : IDiskOpener
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>> _files = new(StringComparer.Ordinal);

    public OvfPackage Package { get; } = package ?? throw new ArgumentNullException(nameof(package));

    public int MaxParallelDisks => 1;

    /// <summary>The disk must be in the package and open as a disk (headers, descriptor, extents and chain are read, no data).</summary>
    public void Check(VirtualDisk disk, VmdkOpenOptions options)
    {
        using var _ = Open(disk, options, CancellationToken.None);
    }

    public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(options);
        var path = PathOf(disk);
        if (disk.Compression is { } compression)
        {
            Package.SetCompression(path, compression);
        }

        string format;
        using (var probe = Package.Open(path))
        {
            format = DiskImage.DetectFormat(probe);
        }

        switch (format)
        {
            case "vmdk":
                var vmdk = VmdkDisk.Open(path, null, options with { Container = Package, Cancellation = cancellationToken });

                // Every file the disk is made of (its extents, a snapshot chain's layers) has its own manifest line.
                _files[disk.Key] = vmdk.Chain.SelectMany(l => l.Extents.Select(e => e.ResolvedPath).Prepend(l.Path))
                    .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
                return vmdk;
            case "raw":
                _files[disk.Key] = [path];
                return RawDisk.Open(Package.Open(path));
            default:
                throw new NotSupportedException($"disk {disk.Key}: {path} is a {format} image; inside an OVF package only VMDK and raw disks are read (convert it with qemu-img first)");
        }
    }

    public string Describe(VirtualDisk disk) => $"{PathOf(disk)} ({Package.Kind}{(Package.TempBytes == 0 && disk.Compression is null ? ", read in place" : "")})";

    /// <summary>Checks the manifest digest of every file the disk was read from (see <see cref="OvfPackage.Verify"/>).</summary>
    public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disk);
        foreach (var file in _files.GetValueOrDefault(disk.Key) ?? [PathOf(disk)])
        {
            Package.Verify(file, cancellationToken);
        }
    }

    public void Dispose() => Package.Dispose();

    private string PathOf(VirtualDisk disk)
    {
        var path = disk.ResolvedPath ?? Package.PathOf(disk.FileName);
        if (!Package.Exists(path))
        {
            throw new FileNotFoundException($"disk {disk.Key}: {disk.FileName} is not in {Package.Origin} ({Package.Kind}); nothing was copied", path);
        }

        return path;
    }
}
