using System.Buffers.Binary;

namespace V2VConverter.Formats.Vmdk;

/// <summary>Offsets of the streamOptimized markers (VDF 1.1 "Stream-Optimized Compressed Sparse Extents").</summary>
internal static class MarkerLayout
{
    /// <summary>Grain marker: lba; metadata marker: numSectors.</summary>
    public const int Value = 0;
    public const int Size = 8;
    public const int Type = 12;

    /// <summary>Bytes before the compressed data of a grain marker.</summary>
    public const int GrainHeaderSize = 12;

    /// <summary>A metadata marker fills one sector.</summary>
    public const int MetadataMarkerSize = 512;

    /// <summary>Footer marker + footer + EOS marker at the end of a VMware stream.</summary>
    public const int TailSize = 3 * 512;
}

public enum StreamMarkerType : uint
{
    EndOfStream = 0,
    GrainTable = 1,
    GrainDirectory = 2,
    Footer = 3,
}

/// <summary>A grain or metadata marker at a sector boundary of a streamOptimized extent.</summary>
public readonly struct StreamMarker
{
    /// <summary>Guest LBA for a grain marker, numSectors for a metadata marker.</summary>
    public ulong Value { get; init; }

    /// <summary>Compressed byte count (non-zero means a grain marker).</summary>
    public uint Size { get; init; }

    /// <summary>Metadata type; meaningful only when <see cref="Size"/> is 0.</summary>
    public StreamMarkerType Type { get; init; }

    public bool IsGrain => Size != 0;

    public static StreamMarker Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < MarkerLayout.GrainHeaderSize)
        {
            throw new EndOfStreamException($"stream marker needs {MarkerLayout.GrainHeaderSize} bytes, only {data.Length} present");
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(data[MarkerLayout.Size..]);
        var type = size == 0 && data.Length >= MarkerLayout.Type + 4
            ? (StreamMarkerType)BinaryPrimitives.ReadUInt32LittleEndian(data[MarkerLayout.Type..])
            : StreamMarkerType.EndOfStream;
        return new StreamMarker
        {
            Value = BinaryPrimitives.ReadUInt64LittleEndian(data[MarkerLayout.Value..]),
            Size = size,
            Type = type,
        };
    }

    /// <summary>Writes a grain marker header (12 bytes) or a whole metadata marker sector (512 bytes).</summary>
    public void WriteTo(Span<byte> data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(data[MarkerLayout.Value..], Value);
        BinaryPrimitives.WriteUInt32LittleEndian(data[MarkerLayout.Size..], Size);
        if (!IsGrain)
        {
            data[MarkerLayout.Type..MarkerLayout.MetadataMarkerSize].Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(data[MarkerLayout.Type..], (uint)Type);
        }
    }
}
