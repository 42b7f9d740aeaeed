namespace V2VConverter.Formats.Disk;

/// <summary>Output image formats the converter writes.</summary>
public enum DiskOutputFormat
{
    Raw,
    Qcow2,
}

/// <summary>Raw output preallocation (qemu-img's <c>preallocation=</c> option for raw files).</summary>
public enum DiskPreallocation
{
    /// <summary>Sparse: holes for zero and unallocated ranges.</summary>
    Off,

    /// <summary>Reserve the whole size with posix_fallocate; unwritten ranges read as zeros.</summary>
    Falloc,

    /// <summary>Write every byte, zeros included.</summary>
    Full,
}

/// <summary>What <see cref="DiskConverter"/> writes and how. Check with <see cref="Validate"/> before copying.</summary>
public sealed record DiskConvertOptions
{
    public const int DefaultClusterSize = 64 * 1024;
    public const int MinClusterSize = 512;
    public const int MaxClusterSize = 2 * 1024 * 1024;

    public DiskOutputFormat Format { get; init; } = DiskOutputFormat.Raw;

    /// <summary>qcow2 only: deflate each cluster, keeping it only when smaller.</summary>
    public bool Compress { get; init; }

    /// <summary>zlib level 1..9 for <see cref="Compress"/>; 6 is what qemu uses.</summary>
    public int CompressionLevel { get; init; } = 6;

    /// <summary>qcow2 cluster size: a power of two, 512 B to 2 MiB.</summary>
    public int ClusterSize { get; init; } = DefaultClusterSize;

    /// <summary>fsync the output (and its directory) before and after the header/rename.</summary>
    public bool Fsync { get; init; }

    /// <summary>Raw only.</summary>
    public DiskPreallocation Preallocation { get; init; } = DiskPreallocation.Off;

    /// <summary>Worker count for reading and compressing; defaults to the processor count.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Bytes per read request (rounded up to the cluster size).</summary>
    public int ChunkSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Format))
        {
            throw new ArgumentException($"unknown output format {Format}");
        }

        if (ClusterSize is < MinClusterSize or > MaxClusterSize || (ClusterSize & (ClusterSize - 1)) != 0)
        {
            throw new ArgumentException($"cluster size {ClusterSize} must be a power of two from {MinClusterSize} to {MaxClusterSize}");
        }

        if (Compress && Format != DiskOutputFormat.Qcow2)
        {
            throw new ArgumentException("compression needs the qcow2 output format");
        }

        if (CompressionLevel is < 1 or > 9)
        {
            throw new ArgumentException($"compression level {CompressionLevel} must be 1..9");
        }

        if (Preallocation != DiskPreallocation.Off && Format != DiskOutputFormat.Raw)
        {
            throw new ArgumentException("preallocation is supported for raw output only");
        }

        if (Parallelism < 1 || ChunkSize < 4096 || ChunkSize > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"parallelism {Parallelism} must be >= 1 and chunk size {ChunkSize} within 4 KiB..64 MiB");
        }
    }
}

/// <summary>Progress of one copy: guest bytes handled (copied or skipped) out of the virtual size.</summary>
public readonly record struct DiskProgress(long Done, long Total);

/// <summary>What a finished copy did.</summary>
public sealed record DiskConvertResult(string OutputPath, long VirtualSize, long DataBytesRead, long OutputFileSize, TimeSpan Elapsed);
