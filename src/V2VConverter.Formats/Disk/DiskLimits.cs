namespace V2VConverter.Formats.Disk;

/// <summary>Bounds every reader applies to sizes read from a file, whatever the format.</summary>
public static class DiskLimits
{
    /// <summary>The largest virtual size of a disk read (the sum of all extents of a VMDK, a qcow2's size): 64 TiB.</summary>
    public const long MaxVirtualSizeBytes = 64L << 40;

    /// <summary>The bound as people read it, for messages.</summary>
    public const string MaxVirtualSizeText = "64 TiB";
}
