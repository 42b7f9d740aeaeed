namespace V2VConverter.Formats.Qcow2;

/// <summary>Byte offsets of the qcow2 header fields (QTXT, big-endian), built from field lengths.</summary>
internal static class HeaderFields
{
    public const int Magic = 0;
    public const int Version = Magic + 4;
    public const int BackingFileOffset = Version + 4;
    public const int BackingFileSize = BackingFileOffset + 8;
    public const int ClusterBits = BackingFileSize + 4;
    public const int Size = ClusterBits + 4;
    public const int CryptMethod = Size + 8;
    public const int L1Size = CryptMethod + 4;
    public const int L1TableOffset = L1Size + 4;
    public const int RefcountTableOffset = L1TableOffset + 8;
    public const int RefcountTableClusters = RefcountTableOffset + 8;
    public const int NbSnapshots = RefcountTableClusters + 4;
    public const int SnapshotsOffset = NbSnapshots + 4;

    /// <summary>End of the version 2 header (72 bytes).</summary>
    public const int V2Length = SnapshotsOffset + 8;

    public const int IncompatibleFeatures = V2Length;
    public const int CompatibleFeatures = IncompatibleFeatures + 8;
    public const int AutoclearFeatures = CompatibleFeatures + 8;
    public const int RefcountOrder = AutoclearFeatures + 8;
    public const int HeaderLength = RefcountOrder + 4;

    /// <summary>Minimum version 3 header length (104 bytes).</summary>
    public const int V3MinLength = HeaderLength + 4;

    public const int CompressionType = V3MinLength;

    /// <summary>The header length this writer emits (112: compression_type + 7 bytes padding).</summary>
    public const int V3WrittenLength = CompressionType + 8;
}

/// <summary>qcow2 constants: magic, limits, table entry bits, header extension types.</summary>
internal static class Qcow2Layout
{
    /// <summary>"QFI\xFB" read as a big-endian u32.</summary>
    public const uint MagicValue = 0x514649FB;

    public const int MinClusterBits = 9;
    public const int MaxClusterBits = 21;
    public const int DefaultClusterBits = 16;

    /// <summary>16-bit refcounts: what qemu writes and what this writer emits.</summary>
    public const int WrittenRefcountOrder = 4;
    public const int MaxRefcountOrder = 6;

    /// <summary>qemu's QCOW_MAX_L1_SIZE: the L1 table may be at most 32 MiB.</summary>
    public const long MaxL1Bytes = 32L * 1024 * 1024;

    /// <summary>qemu's QCOW_MAX_REFTABLE_SIZE (8 MiB): bounds what a reader allocates.</summary>
    public const long MaxRefcountTableBytes = 8L * 1024 * 1024;

    /// <summary>Largest virtual size accepted: 2^61 bytes minus a cluster (keeps offsets in 62 bits).</summary>
    public const long MaxVirtualSize = 1L << 61;

    public const int SectorSize = 512;

    // L1 / L2 entry bits.
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL; // bits 9..55
    public const ulong CopiedFlag = 1UL << 63;
    public const ulong CompressedFlag = 1UL << 62;
    public const ulong ZeroFlag = 1UL;
    public const ulong L1ReservedMask = 0x7F00_0000_0000_01FFUL;
    public const ulong L2StandardReservedMask = 0x3F00_0000_0000_01FEUL;
    public const ulong RefcountTableReservedMask = 0x1FFUL;

    // Incompatible feature bits.
    public const ulong IncompatDirty = 1UL << 0;
    public const ulong IncompatCorrupt = 1UL << 1;
    public const ulong IncompatExternalData = 1UL << 2;
    public const ulong IncompatCompressionType = 1UL << 3;
    public const ulong IncompatExtendedL2 = 1UL << 4;
    public const ulong IncompatKnown = IncompatDirty | IncompatCorrupt | IncompatExternalData | IncompatCompressionType | IncompatExtendedL2;

    // Header extensions.
    public const uint ExtEnd = 0x00000000;
    public const uint ExtBackingFormat = 0xE2792ACA;
    public const uint ExtFeatureNameTable = 0x6803F857;
    public const uint ExtBitmaps = 0x23852875;
    public const uint ExtEncryption = 0x0537BE77;
    public const uint ExtExternalData = 0x44415441;

    public const int ExtHeaderLength = 8;
    public const int FeatureNameEntryLength = 48;
    public const int FeatureNameLength = 46;

    /// <summary>Compressed descriptor: the offset field is <c>62 - (cluster_bits - 8)</c> bits wide.</summary>
    public static int CompressedOffsetBits(int clusterBits) => 62 - (clusterBits - 8);

    public static bool IsMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head) == MagicValue;
}
