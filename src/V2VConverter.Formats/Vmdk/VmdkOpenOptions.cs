namespace V2VConverter.Formats.Vmdk;

/// <summary>How <see cref="VmdkDisk.Open(string, VmdkOpenOptions?)"/> treats the files it meets.</summary>
public sealed record VmdkOpenOptions
{
    /// <summary>Accept a child whose <c>parentCID</c> differs from its parent's <c>CID</c>.</summary>
    public bool IgnoreCid { get; init; }

    /// <summary>Accept extent, parent and .vmx disk paths that are absolute, leave the VM folder through <c>../</c>, or are links to a file outside it.</summary>
    public bool AllowAbsoluteExtents { get; init; }

    /// <summary>The deepest snapshot chain accepted (the base disk counts as one layer).</summary>
    public int MaxChainDepth { get; init; } = VmdkLimits.DefaultMaxChainDepth;

    /// <summary>The largest virtual size accepted, in bytes.</summary>
    public long MaxCapacityBytes { get; init; } = VmdkLimits.MaxCapacityBytes;
}

/// <summary>Bounds applied to every size read from a VMDK file before anything is allocated.</summary>
public static class VmdkLimits
{
    public const int SectorSize = 512;

    /// <summary>A text descriptor (or embedded descriptor) over this many bytes is refused.</summary>
    public const int MaxDescriptorBytes = 1 << 20;

    /// <summary>64 TiB.</summary>
    public const long MaxCapacityBytes = 64L << 40;

    public const int DefaultMaxChainDepth = 255;

    /// <summary>Grain sizes are powers of two between these bounds, in sectors (4 KiB .. 1 MiB).</summary>
    public const long MinGrainSectors = 1;

    public const long MaxGrainSectors = 2048;

    /// <summary>qemu rejects more than 512 entries per hosted-sparse grain table.</summary>
    public const int MaxGtesPerGt = 512;

    /// <summary>COWD grain tables always hold 4096 entries.</summary>
    public const int CowdGtesPerGt = 4096;

    /// <summary>A compressed grain may take up to twice the grain (qemu's bound).</summary>
    public const int MaxCompressedGrainFactor = 2;

    /// <summary>At most this many grain-directory entries (64 MiB of GD; 64 TiB needs 2M with default grains).</summary>
    public const long MaxGdEntries = 1 << 24;

    /// <summary>At most this many extent lines in one descriptor.</summary>
    public const int MaxExtents = 4096;
}
