using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;

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

    /// <summary>
    /// Accept a streamOptimized extent that was cut short (a grain cut, or no end-of-stream marker): what is there
    /// is read, the rest reads as zeros, with a warning. Without it a cut stream is an <see cref="EndOfStreamException"/>.
    /// </summary>
    public bool AllowTruncated { get; init; }

    /// <summary>The run's logger: every warning found while opening goes there (and to <see cref="VmdkDisk.Warnings"/>).</summary>
    public ILogger Log { get; init; } = LogExtensions.None;

    /// <summary>
    /// Where the disk files are: null for host files; a container (an OVA) whose members are read in place. The VM folder
    /// is then the container: no extent or parent may leave it.
    /// </summary>
    public IDiskContainer? Container { get; init; }

    /// <summary>Stops the open (a stream scan, an extent walk) and, later, the walks of the disk's allocation map.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Bounds applied to every size read from a VMDK file before anything is allocated.</summary>
public static class VmdkLimits
{
    public const int SectorSize = 512;

    /// <summary>A text descriptor (or embedded descriptor) over this many bytes is refused.</summary>
    public const int MaxDescriptorBytes = 1 << 20;

    /// <summary>64 TiB, for one extent and for the sum of a descriptor's extents.</summary>
    public const long MaxCapacityBytes = DiskLimits.MaxVirtualSizeBytes;

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

    /// <summary>
    /// At most this many grain-directory entries (16 MiB of GD): 64 TiB needs 2M with default grains (32 MiB per grain
    /// table), a 2 TiB vmfsSparse 1M. The GD is held in memory, so its size is bounded before it is read.
    /// </summary>
    public const long MaxGdEntries = 1 << 22;

    /// <summary>At most this many extent lines in one descriptor.</summary>
    public const int MaxExtents = 4096;
}
