using System.Buffers.Binary;

namespace V2VConverter.Formats.Vmdk;

/// <summary>Byte offsets of the ESX sparse (COWD, vmfsSparse) header, little-endian.</summary>
internal static class CowdHeaderLayout
{
    public const int Magic = 0;
    public const int Version = 4;
    public const int Flags = 8;
    public const int Capacity = 12;
    public const int GrainSize = 16;
    public const int GdOffset = 20;
    public const int NumGdEntries = 24;
    public const int FreeSector = 28;
    public const int ParentFileName = 32;
    public const int ParentFileNameLength = 1024;
    public const int ParentGeneration = 1056;
    public const int Generation = 1060;
    public const int Name = 1064;
    public const int Description = 1124;
    public const int SavedGeneration = 1636;
    public const int UncleanShutdown = 1648;
    public const int Size = 2048;
}

/// <summary>The 2048-byte header of a COWD extent (ESX redo log / snapshot, VMware 3 disks).</summary>
public readonly struct CowdHeader
{
    /// <summary>"COWD" read as a little-endian u32 (detection: <see cref="VmdkSniffer"/>).</summary>
    public const uint MagicNumber = VmdkSniffer.CowdMagic;

    public uint Version { get; init; }

    public uint Flags { get; init; }

    public uint Capacity { get; init; }

    public uint GrainSize { get; init; }

    public uint GdOffset { get; init; }

    public uint NumGdEntries { get; init; }

    public uint FreeSector { get; init; }

    public uint Generation { get; init; }

    public uint UncleanShutdown { get; init; }

    public static CowdHeader Parse(ReadOnlySpan<byte> data, string source = "VMDK")
    {
        if (data.Length < CowdHeaderLayout.Size)
        {
            throw new EndOfStreamException($"{source}: COWD header needs {CowdHeaderLayout.Size} bytes, only {data.Length} present");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.Magic..]);
        if (magic != MagicNumber)
        {
            throw new InvalidDataException($"{source}: field \"magicNumber\" has the bad value 0x{magic:X8} (expected COWD)");
        }

        return new CowdHeader
        {
            Version = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.Version..]),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.Flags..]),
            Capacity = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.Capacity..]),
            GrainSize = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.GrainSize..]),
            GdOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.GdOffset..]),
            NumGdEntries = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.NumGdEntries..]),
            FreeSector = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.FreeSector..]),
            Generation = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.Generation..]),
            UncleanShutdown = BinaryPrimitives.ReadUInt32LittleEndian(data[CowdHeaderLayout.UncleanShutdown..]),
        };
    }

    public void WriteTo(Span<byte> data)
    {
        if (data.Length < CowdHeaderLayout.Size)
        {
            throw new ArgumentException($"need {CowdHeaderLayout.Size} bytes", nameof(data));
        }

        data[..CowdHeaderLayout.Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.Magic..], MagicNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.Version..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.Flags..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.Capacity..], Capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.GrainSize..], GrainSize);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.GdOffset..], GdOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.NumGdEntries..], NumGdEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.FreeSector..], FreeSector);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.Generation..], Generation);
        BinaryPrimitives.WriteUInt32LittleEndian(data[CowdHeaderLayout.UncleanShutdown..], UncleanShutdown);
    }

    /// <summary>Entries the capacity needs (each GT covers 4096 grains).</summary>
    public long RequiredGdEntries => (long)(((ulong)Capacity + ((ulong)GrainSize * VmdkLimits.CowdGtesPerGt) - 1) / ((ulong)GrainSize * VmdkLimits.CowdGtesPerGt));

    public void Validate(string source, long fileLength, long maxCapacityBytes = VmdkLimits.MaxCapacityBytes)
    {
        if (Version is 0 or > 3)
        {
            throw new NotSupportedException($"{source}: COWD \"version\" {Version} is not supported (1 to 3 are)");
        }

        if (GrainSize < VmdkLimits.MinGrainSectors || GrainSize > VmdkLimits.MaxGrainSectors || (GrainSize & (GrainSize - 1)) != 0)
        {
            throw new InvalidDataException($"{source}: field \"grainSize\" has the bad value {GrainSize} (must be a power of two from {VmdkLimits.MinGrainSectors} to {VmdkLimits.MaxGrainSectors} sectors)");
        }

        if (Capacity == 0 || Capacity > (ulong)(maxCapacityBytes / VmdkLimits.SectorSize))
        {
            throw new InvalidDataException($"{source}: field \"capacity\" has the bad value {Capacity} sectors");
        }

        if (NumGdEntries < RequiredGdEntries)
        {
            throw new InvalidDataException($"{source}: field \"numGDEntries\" has the bad value {NumGdEntries} (the capacity needs {RequiredGdEntries})");
        }

        if (NumGdEntries > VmdkLimits.MaxGdEntries)
        {
            throw new InvalidDataException($"{source}: field \"numGDEntries\" has the bad value {NumGdEntries} (bound {VmdkLimits.MaxGdEntries})");
        }

        var sectors = (ulong)fileLength / VmdkLimits.SectorSize;
        if (GdOffset < CowdHeaderLayout.Size / VmdkLimits.SectorSize)
        {
            throw new InvalidDataException($"{source}: field \"gdOffset\" has the bad value {GdOffset} (overlaps the header)");
        }

        SparseExtentHeader.CheckTableInFile(source, "gdOffset", GdOffset, GdSectors, sectors);
    }

    public long GdSectors => (((long)NumGdEntries * 4) + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize;
}
