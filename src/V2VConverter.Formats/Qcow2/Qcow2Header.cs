using System.Buffers.Binary;

namespace V2VConverter.Formats.Qcow2;

/// <summary>The qcow2 header (versions 2 and 3), big-endian. Extensions are handled separately.</summary>
public readonly struct Qcow2Header
{
    public uint Version { get; init; }

    public ulong BackingFileOffset { get; init; }

    public uint BackingFileSize { get; init; }

    public int ClusterBits { get; init; }

    public ulong Size { get; init; }

    public uint CryptMethod { get; init; }

    public uint L1Size { get; init; }

    public ulong L1TableOffset { get; init; }

    public ulong RefcountTableOffset { get; init; }

    public uint RefcountTableClusters { get; init; }

    public uint NbSnapshots { get; init; }

    public ulong SnapshotsOffset { get; init; }

    public ulong IncompatibleFeatures { get; init; }

    public ulong CompatibleFeatures { get; init; }

    public ulong AutoclearFeatures { get; init; }

    public int RefcountOrder { get; init; }

    public uint HeaderLength { get; init; }

    public byte CompressionType { get; init; }

    public long ClusterSize => 1L << ClusterBits;

    /// <summary>Number of L1 entries needed to map <paramref name="size"/> bytes with 2^<paramref name="clusterBits"/> clusters.</summary>
    public static long RequiredL1Size(ulong size, int clusterBits)
    {
        var bytesPerL2 = (1UL << clusterBits) * ((1UL << clusterBits) / 8);
        return (long)((size + bytesPerL2 - 1) / bytesPerL2);
    }

    /// <summary>Parses the fixed header. <paramref name="data"/> must hold at least 72 bytes (104 for v3).</summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderFields.V2Length)
        {
            throw new EndOfStreamException($"qcow2 header: need {HeaderFields.V2Length} bytes, got {data.Length}");
        }

        var magic = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.Magic..]);
        if (magic != Qcow2Layout.MagicValue)
        {
            throw new InvalidDataException($"qcow2 header: field magic is 0x{magic:X8}, expected 0x{Qcow2Layout.MagicValue:X8}");
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.Version..]);
        var h = new Qcow2Header
        {
            Version = version,
            BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.BackingFileOffset..]),
            BackingFileSize = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.BackingFileSize..]),
            ClusterBits = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.ClusterBits..]), 64),
            Size = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.Size..]),
            CryptMethod = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.CryptMethod..]),
            L1Size = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.L1Size..]),
            L1TableOffset = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.L1TableOffset..]),
            RefcountTableOffset = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.RefcountTableOffset..]),
            RefcountTableClusters = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.RefcountTableClusters..]),
            NbSnapshots = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.NbSnapshots..]),
            SnapshotsOffset = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.SnapshotsOffset..]),
            RefcountOrder = 4,
            HeaderLength = HeaderFields.V2Length,
        };

        if (version < 3)
        {
            return h;
        }

        if (data.Length < HeaderFields.V3MinLength)
        {
            throw new EndOfStreamException($"qcow2 v3 header: need {HeaderFields.V3MinLength} bytes, got {data.Length}");
        }

        var headerLength = BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.HeaderLength..]);
        return h with
        {
            IncompatibleFeatures = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.IncompatibleFeatures..]),
            CompatibleFeatures = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.CompatibleFeatures..]),
            AutoclearFeatures = BinaryPrimitives.ReadUInt64BigEndian(data[HeaderFields.AutoclearFeatures..]),
            RefcountOrder = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[HeaderFields.RefcountOrder..]), 64),
            HeaderLength = headerLength,
            CompressionType = headerLength > HeaderFields.CompressionType && data.Length > HeaderFields.CompressionType
                ? data[HeaderFields.CompressionType]
                : (byte)0,
        };
    }

    /// <summary>Writes the fixed header (<see cref="HeaderLength"/> bytes, v3 layout) into <paramref name="dest"/>.</summary>
    public void WriteTo(Span<byte> dest)
    {
        if (Version != 3)
        {
            throw new ArgumentException("only version 3 headers are written", nameof(dest));
        }

        var length = (int)HeaderLength;
        if (dest.Length < length || length < HeaderFields.V3MinLength)
        {
            throw new ArgumentException($"header needs {length} bytes, destination has {dest.Length}", nameof(dest));
        }

        dest[..length].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.Magic..], Qcow2Layout.MagicValue);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.Version..], Version);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.BackingFileOffset..], BackingFileOffset);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.BackingFileSize..], BackingFileSize);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.ClusterBits..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.Size..], Size);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.CryptMethod..], CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.L1Size..], L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.L1TableOffset..], L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.RefcountTableOffset..], RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.RefcountTableClusters..], RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.NbSnapshots..], NbSnapshots);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.SnapshotsOffset..], SnapshotsOffset);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.IncompatibleFeatures..], IncompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.CompatibleFeatures..], CompatibleFeatures);
        BinaryPrimitives.WriteUInt64BigEndian(dest[HeaderFields.AutoclearFeatures..], AutoclearFeatures);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.RefcountOrder..], (uint)RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(dest[HeaderFields.HeaderLength..], HeaderLength);
        if (length > HeaderFields.CompressionType)
        {
            dest[HeaderFields.CompressionType] = CompressionType;
        }
    }

    /// <summary>
    /// Checks the header against the spec and this implementation's bounds. <paramref name="source"/> names the file in
    /// messages; <paramref name="fileLength"/> bounds the table offsets.
    /// </summary>
    public void Validate(string source, long fileLength)
    {
        if (Version is not (2 or 3))
        {
            throw new NotSupportedException($"{source}: qcow2 version {Version} is not supported (only 2 and 3)");
        }

        if (ClusterBits is < Qcow2Layout.MinClusterBits or > Qcow2Layout.MaxClusterBits)
        {
            throw new InvalidDataException($"{source}: qcow2 header field cluster_bits is {ClusterBits}, expected {Qcow2Layout.MinClusterBits}..{Qcow2Layout.MaxClusterBits}");
        }

        if (Size > Qcow2Layout.MaxVirtualSize)
        {
            throw new InvalidDataException($"{source}: qcow2 header field size is {Size}, larger than the supported {Qcow2Layout.MaxVirtualSize}");
        }

        if (Size > (ulong)Disk.DiskLimits.MaxVirtualSizeBytes)
        {
            throw new InvalidDataException($"{source}: qcow2 header field size is {Size} bytes (l1_size {L1Size}), above the {Disk.DiskLimits.MaxVirtualSizeText} ({Disk.DiskLimits.MaxVirtualSizeBytes}-byte) bound on a disk's virtual size");
        }

        if (CryptMethod != 0)
        {
            throw new NotSupportedException($"{source}: encrypted qcow2 images (crypt_method {CryptMethod}) are not supported");
        }

        if (Version >= 3)
        {
            if (HeaderLength < HeaderFields.V3MinLength || HeaderLength % 8 != 0 || HeaderLength > ClusterSize)
            {
                throw new InvalidDataException($"{source}: qcow2 header field header_length is {HeaderLength}, expected a multiple of 8 in {HeaderFields.V3MinLength}..{ClusterSize}");
            }

            if (RefcountOrder > Qcow2Layout.MaxRefcountOrder)
            {
                throw new InvalidDataException($"{source}: qcow2 header field refcount_order is {RefcountOrder}, expected 0..{Qcow2Layout.MaxRefcountOrder}");
            }

            var unknown = IncompatibleFeatures & ~Qcow2Layout.IncompatKnown;
            if (unknown != 0)
            {
                throw new NotSupportedException($"{source}: qcow2 incompatible_features has unknown bits 0x{unknown:X}");
            }

            if ((IncompatibleFeatures & Qcow2Layout.IncompatExternalData) != 0)
            {
                throw new NotSupportedException($"{source}: qcow2 images with an external data file are not supported");
            }

            if ((IncompatibleFeatures & Qcow2Layout.IncompatExtendedL2) != 0)
            {
                throw new NotSupportedException($"{source}: qcow2 images with extended L2 entries are not supported");
            }

            if ((IncompatibleFeatures & Qcow2Layout.IncompatCompressionType) != 0 || CompressionType != 0)
            {
                throw new NotSupportedException($"{source}: qcow2 compression type {CompressionType} (zstd) is not supported, only zlib");
            }
        }

        if (BackingFileOffset != 0)
        {
            throw new NotSupportedException($"{source}: qcow2 images with a backing file are not supported; run 'qemu-img convert' or 'qemu-img rebase' to flatten the chain first");
        }

        var cs = (ulong)ClusterSize;
        var required = RequiredL1Size(Size, ClusterBits);

        // An L1 may be longer than the size needs (after a shrink), but not longer than the bounded virtual size needs.
        var l1Bound = Math.Max(required, Math.Min(RequiredL1Size((ulong)Disk.DiskLimits.MaxVirtualSizeBytes, ClusterBits), Qcow2Layout.MaxL1Bytes / 8));
        if (L1Size < required || L1Size > l1Bound)
        {
            throw new InvalidDataException($"{source}: qcow2 header field l1_size is {L1Size}, expected {required}..{l1Bound} (size {Size} bytes, cluster_bits {ClusterBits})");
        }

        if (L1Size > 0 && (L1TableOffset % cs != 0 || L1TableOffset == 0 || L1TableOffset + (ulong)L1Size * 8 > (ulong)fileLength))
        {
            throw new InvalidDataException($"{source}: qcow2 header field l1_table_offset is 0x{L1TableOffset:X}, not cluster aligned or outside the file ({fileLength} bytes)");
        }
    }
}
