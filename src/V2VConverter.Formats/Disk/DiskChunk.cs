using System.Buffers;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// One unit of the copy pipeline: a block-aligned guest range read into a pooled buffer and classified per block
/// (zero, plain, or compressed into <see cref="Compressed"/>). A chunk without <see cref="Data"/> only advances progress.
/// </summary>
internal sealed class DiskChunk
{
    /// <summary><see cref="BlockState"/> value: the block is all zeros.</summary>
    public const int Zero = -2;

    /// <summary><see cref="BlockState"/> value: the block is stored as is.</summary>
    public const int Plain = -1;

    public long Offset { get; init; }

    /// <summary>Valid guest bytes (the last chunk of a disk may end mid-block; the buffer is zero-padded).</summary>
    public int Length { get; init; }

    public int BlockSize { get; init; }

    /// <summary>Guest offset up to which the copy is complete once this chunk is written.</summary>
    public long ProgressEnd { get; init; }

    /// <summary>The pool the byte buffers come from and go back to (the copy engine's process-wide <see cref="DiskConverter.ChunkBuffers"/>).</summary>
    public ArrayPool<byte> Pool { get; init; } = ArrayPool<byte>.Shared;

    public byte[]? Data { get; set; }

    /// <summary>Per block: <see cref="Zero"/>, <see cref="Plain"/>, or the compressed length (&gt;= 0).</summary>
    public int[]? BlockState { get; set; }

    /// <summary>Per block: where its compressed bytes start in <see cref="Compressed"/>.</summary>
    public int[]? CompressedOffset { get; set; }

    public byte[]? Compressed { get; set; }

    public int PaddedLength => (Length + BlockSize - 1) / BlockSize * BlockSize;

    public int BlockCount => PaddedLength / BlockSize;

    public void Release()
    {
        if (Data is not null)
        {
            Pool.Return(Data);
            Data = null;
        }

        if (Compressed is not null)
        {
            Pool.Return(Compressed);
            Compressed = null;
        }

        if (BlockState is not null)
        {
            ArrayPool<int>.Shared.Return(BlockState);
            BlockState = null;
        }

        if (CompressedOffset is not null)
        {
            ArrayPool<int>.Shared.Return(CompressedOffset);
            CompressedOffset = null;
        }
    }
}

/// <summary>The single writer at the end of the pipeline: receives chunks strictly in guest order.</summary>
internal interface IDiskTarget
{
    /// <summary>Granularity of zero detection and of chunk alignment.</summary>
    int BlockSize { get; }

    /// <summary>Whether the transform stage should deflate blocks.</summary>
    bool WantsCompression { get; }

    void Write(DiskChunk chunk);

    /// <summary>
    /// Writes trailing metadata (qcow2: tables, then the header last) through the sink, setting its final length and
    /// flushing it before any header; returns the image's length. The caller commits the output afterwards.
    /// </summary>
    long Finish();
}
