using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Pipeline.Sources;

/// <summary>The disk opener of a dry run whose source was not kept open (a vSphere VM after logout).</summary>
internal sealed class NoDisks : IDiskOpener
{
    public static NoDisks Instance { get; } = new();

    public int MaxParallelDisks => 1;

    public void Check(VirtualDisk disk, VmdkOpenOptions options) =>
        throw new InvalidOperationException($"disk {disk?.Key}: the source was opened for a dry run; its disks cannot be read");

    public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"disk {disk?.Key}: the source was opened for a dry run; its disks cannot be read");

    public string Describe(VirtualDisk disk) => disk?.FileName ?? "";

    public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
    {
    }

    public void Dispose()
    {
    }
}
