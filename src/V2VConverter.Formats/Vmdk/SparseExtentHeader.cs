using System.Buffers.Binary;

namespace V2VConverter.Formats.Vmdk;

/// <summary>Byte offsets of the hosted sparse extent header (VDF 1.1), little-endian, packed.</summary>
internal static class SparseHeaderLayout
{
    public const int Magic = 0;
    public const int Version = 4;
    public const int Flags = 8;
    public const int Capacity = 12;
    public const int GrainSize = 20;
    public const int DescriptorOffset = 28;
    public const int DescriptorSize = 36;
    public const int NumGtesPerGt = 44;
    public const int RgdOffset = 48;
    public const int GdOffset = 56;
    public const int OverHead = 64;
    public const int UncleanShutdown = 72;
    public const int SingleEndLineChar = 73;
    public const int NonEndLineChar = 74;
    public const int DoubleEndLineChar1 = 75;
    public const int DoubleEndLineChar2 = 76;
    public const int CompressAlgorithm = 77;
    public const int Size = 512;
}

/// <summary>Flag bits of the hosted sparse header.</summary>
[Flags]
public enum SparseExtentFlags : uint
{
    None = 0,
    ValidNewLineDetection = 0x1,
    RedundantGrainTable = 0x2,
    ZeroedGrainGte = 0x4,
    CompressedGrains = 0x10000,
    Markers = 0x20000,
}

/// <summary>The 512-byte <c>KDMV</c> header at sector 0 of a hosted sparse or streamOptimized extent.</summary>
public readonly struct SparseExtentHeader
{
    /// <summary>"KDMV" read as a little-endian u32 (detection: <see cref="VmdkSniffer"/>).</summary>
    public const uint MagicNumber = VmdkSniffer.HostedSparseMagic;

    /// <summary>gdOffset value meaning "the grain directory is at the end, see the footer".</summary>
    public const ulong GdAtEnd = 0xFFFFFFFFFFFFFFFF;

    public const ushort CompressionNone = 0;

    public const ushort CompressionDeflate = 1;

    public uint Version { get; init; }

    public SparseExtentFlags Flags { get; init; }

    public ulong Capacity { get; init; }

    public ulong GrainSize { get; init; }

    public ulong DescriptorOffset { get; init; }

    public ulong DescriptorSize { get; init; }

    public uint NumGtesPerGt { get; init; }

    public ulong RgdOffset { get; init; }

    public ulong GdOffset { get; init; }

    public ulong OverHead { get; init; }

    public byte UncleanShutdown { get; init; }

    /// <summary>Bytes 73..76: '\n', ' ', '\r', '\n' when intact.</summary>
    public uint NewLineChars { get; init; }

    public ushort CompressAlgorithm { get; init; }

    public bool IsCompressed => (Flags & SparseExtentFlags.CompressedGrains) != 0;

    public bool HasMarkers => (Flags & SparseExtentFlags.Markers) != 0;

    public bool HasZeroedGrainGte => (Flags & SparseExtentFlags.ZeroedGrainGte) != 0;

    public bool HasRedundantGd => (Flags & SparseExtentFlags.RedundantGrainTable) != 0;

    /// <summary>Reads the fields; checks only the size and the magic (call <see cref="Validate"/> next).</summary>
    public static SparseExtentHeader Parse(ReadOnlySpan<byte> data, string source = "VMDK")
    {
        if (data.Length < SparseHeaderLayout.Size)
        {
            throw new EndOfStreamException($"{source}: sparse extent header needs {SparseHeaderLayout.Size} bytes, only {data.Length} present");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data[SparseHeaderLayout.Magic..]);
        if (magic != MagicNumber)
        {
            throw new InvalidDataException($"{source}: field \"magicNumber\" has the bad value 0x{magic:X8} (expected KDMV)");
        }

        return new SparseExtentHeader
        {
            Version = BinaryPrimitives.ReadUInt32LittleEndian(data[SparseHeaderLayout.Version..]),
            Flags = (SparseExtentFlags)BinaryPrimitives.ReadUInt32LittleEndian(data[SparseHeaderLayout.Flags..]),
            Capacity = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.Capacity..]),
            GrainSize = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.GrainSize..]),
            DescriptorOffset = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.DescriptorOffset..]),
            DescriptorSize = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.DescriptorSize..]),
            NumGtesPerGt = BinaryPrimitives.ReadUInt32LittleEndian(data[SparseHeaderLayout.NumGtesPerGt..]),
            RgdOffset = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.RgdOffset..]),
            GdOffset = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.GdOffset..]),
            OverHead = BinaryPrimitives.ReadUInt64LittleEndian(data[SparseHeaderLayout.OverHead..]),
            UncleanShutdown = data[SparseHeaderLayout.UncleanShutdown],
            NewLineChars = BinaryPrimitives.ReadUInt32LittleEndian(data[SparseHeaderLayout.SingleEndLineChar..]),
            CompressAlgorithm = BinaryPrimitives.ReadUInt16LittleEndian(data[SparseHeaderLayout.CompressAlgorithm..]),
        };
    }

    public void WriteTo(Span<byte> data)
    {
        if (data.Length < SparseHeaderLayout.Size)
        {
            throw new ArgumentException($"need {SparseHeaderLayout.Size} bytes", nameof(data));
        }

        data[..SparseHeaderLayout.Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(data[SparseHeaderLayout.Magic..], MagicNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(data[SparseHeaderLayout.Version..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(data[SparseHeaderLayout.Flags..], (uint)Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.Capacity..], Capacity);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.GrainSize..], GrainSize);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.DescriptorOffset..], DescriptorOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.DescriptorSize..], DescriptorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(data[SparseHeaderLayout.NumGtesPerGt..], NumGtesPerGt);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.RgdOffset..], RgdOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.GdOffset..], GdOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(data[SparseHeaderLayout.OverHead..], OverHead);
        data[SparseHeaderLayout.UncleanShutdown] = UncleanShutdown;
        BinaryPrimitives.WriteUInt32LittleEndian(data[SparseHeaderLayout.SingleEndLineChar..], NewLineChars);
        BinaryPrimitives.WriteUInt16LittleEndian(data[SparseHeaderLayout.CompressAlgorithm..], CompressAlgorithm);
    }

    /// <summary>'\n' ' ' '\r' '\n' as a little-endian u32.</summary>
    public const uint IntactNewLineChars = 0x0A0D200A;

    /// <summary>Number of grain directory entries the capacity needs.</summary>
    public long GdEntries => (long)((Capacity + (GrainSize * NumGtesPerGt) - 1) / (GrainSize * NumGtesPerGt));

    /// <summary>
    /// Checks every field against its bounds and the file length. Throws InvalidDataException
    /// naming the field, or NotSupportedException for valid but unsupported values.
    /// </summary>
    public void Validate(string source, long fileLength, long maxCapacityBytes = VmdkLimits.MaxCapacityBytes)
    {
        if (Version is 0 or > 3)
        {
            throw new NotSupportedException($"{source}: sparse extent \"version\" {Version} is not supported (1 to 3 are)");
        }

        if ((Flags & SparseExtentFlags.ValidNewLineDetection) != 0 && NewLineChars != IntactNewLineChars)
        {
            throw new InvalidDataException($"{source}: field \"newline detection characters\" has the bad value 0x{NewLineChars:X8}: the file was damaged by a text-mode transfer");
        }

        if (GrainSize < VmdkLimits.MinGrainSectors || GrainSize > VmdkLimits.MaxGrainSectors || (GrainSize & (GrainSize - 1)) != 0)
        {
            throw new InvalidDataException($"{source}: field \"grainSize\" has the bad value {GrainSize} (must be a power of two from {VmdkLimits.MinGrainSectors} to {VmdkLimits.MaxGrainSectors} sectors)");
        }

        if (Capacity == 0 || Capacity > (ulong)(maxCapacityBytes / VmdkLimits.SectorSize))
        {
            throw new InvalidDataException($"{source}: field \"capacity\" has the bad value {Capacity} sectors (bound {maxCapacityBytes / VmdkLimits.SectorSize})");
        }

        if (NumGtesPerGt == 0 || NumGtesPerGt > VmdkLimits.MaxGtesPerGt)
        {
            throw new InvalidDataException($"{source}: field \"numGTEsPerGT\" has the bad value {NumGtesPerGt} (1 to {VmdkLimits.MaxGtesPerGt})");
        }

        if (IsCompressed && CompressAlgorithm != CompressionDeflate)
        {
            throw new NotSupportedException($"{source}: field \"compressAlgorithm\" value {CompressAlgorithm} is not supported (1 = DEFLATE is)");
        }

        if (IsCompressed && !HasMarkers)
        {
            throw new NotSupportedException($"{source}: compressed grains without markers are not supported");
        }

        if (GdEntries > VmdkLimits.MaxGdEntries)
        {
            throw new InvalidDataException($"{source}: fields \"capacity\" {Capacity}, \"grainSize\" {GrainSize} and \"numGTEsPerGT\" {NumGtesPerGt} need {GdEntries} grain directory entries (bound {VmdkLimits.MaxGdEntries})");
        }

        var sectors = (ulong)fileLength / VmdkLimits.SectorSize;
        if (DescriptorOffset != 0)
        {
            if (DescriptorSize > VmdkLimits.MaxDescriptorBytes / VmdkLimits.SectorSize)
            {
                throw new InvalidDataException($"{source}: field \"descriptorSize\" has the bad value {DescriptorSize} sectors (bound {VmdkLimits.MaxDescriptorBytes} bytes)");
            }

            if (DescriptorOffset > sectors || DescriptorOffset + DescriptorSize > sectors)
            {
                throw new InvalidDataException($"{source}: field \"descriptorOffset\" has the bad value {DescriptorOffset} (descriptor of {DescriptorSize} sectors beyond the end of file at sector {sectors})");
            }
        }

        if (GdOffset != GdAtEnd)
        {
            CheckTableInFile(source, "gdOffset", GdOffset, GdSectors, sectors);
        }
    }

    /// <summary>Size of the grain directory in whole sectors.</summary>
    public long GdSectors => ((GdEntries * 4) + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize;

    internal static void CheckTableInFile(string source, string field, ulong offset, long lengthSectors, ulong fileSectors)
    {
        if (offset == 0 || offset > fileSectors || offset + (ulong)lengthSectors > fileSectors)
        {
            throw new InvalidDataException($"{source}: field \"{field}\" has the bad value {offset} (a table of {lengthSectors} sectors there lies outside the file of {fileSectors} sectors)");
        }
    }
}
