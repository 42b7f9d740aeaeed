using System.Text;

namespace V2VConverter.Formats.Ova;

/// <summary>Field offsets and lengths of a 512-byte tar header block (POSIX ustar; GNU uses the same places).</summary>
internal static class TarLayout
{
    public const int BlockSize = 512;
    public const int Name = 0;
    public const int NameLength = 100;
    public const int Mode = 100;
    public const int Size = 124;
    public const int SizeLength = 12;
    public const int Checksum = 148;
    public const int ChecksumLength = 8;
    public const int TypeFlag = 156;
    public const int LinkName = 157;
    public const int Magic = 257;
    public const int MagicLength = 6;
    public const int Version = 263;
    public const int Prefix = 345;
    public const int PrefixLength = 155;
}

/// <summary>Tar type flags (the byte at <see cref="TarLayout.TypeFlag"/>).</summary>
internal static class TarType
{
    public const byte RegularOld = 0;
    public const byte Regular = (byte)'0';
    public const byte HardLink = (byte)'1';
    public const byte SymLink = (byte)'2';
    public const byte CharDevice = (byte)'3';
    public const byte BlockDevice = (byte)'4';
    public const byte Directory = (byte)'5';
    public const byte Fifo = (byte)'6';
    public const byte Contiguous = (byte)'7';
    public const byte PaxExtended = (byte)'x';
    public const byte PaxGlobal = (byte)'g';
    public const byte GnuLongName = (byte)'L';
    public const byte GnuLongLink = (byte)'K';
    public const byte GnuSparse = (byte)'S';
    public const byte GnuVolumeHeader = (byte)'V';
}

/// <summary>One tar header block: the fields a member listing needs. Formats: v7, ustar, GNU (base-256 sizes).</summary>
internal readonly struct TarHeader
{
    public static ReadOnlySpan<byte> UstarMagic => "ustar\0"u8;

    public static ReadOnlySpan<byte> GnuMagic => "ustar "u8;

    public string Name { get; init; }

    public long Size { get; init; }

    public byte Type { get; init; }

    public bool IsUstar { get; init; }

    /// <summary>True when the block is all zeros (end-of-archive marker).</summary>
    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => block[..TarLayout.BlockSize].IndexOfAnyExcept((byte)0) < 0;

    /// <summary>True when the block's checksum field matches its bytes (used to detect a tar).</summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> block)
    {
        if (block.Length < TarLayout.BlockSize || !TryParseOctal(block.Slice(TarLayout.Checksum, TarLayout.ChecksumLength), out var stored))
        {
            return false;
        }

        var (unsignedSum, signedSum) = Sums(block);
        return stored == unsignedSum || stored == signedSum;
    }

    /// <summary>Parses a header block; the checksum is verified here. <paramref name="at"/> is the block's offset (for messages).</summary>
    public static TarHeader Parse(ReadOnlySpan<byte> block, string archive, long at)
    {
        if (block.Length < TarLayout.BlockSize)
        {
            throw new EndOfStreamException($"{archive}: tar header at offset {at} is cut ({block.Length} of {TarLayout.BlockSize} bytes)");
        }

        var isUstar = block.Slice(TarLayout.Magic, TarLayout.MagicLength).SequenceEqual(UstarMagic);
        var name = CString(block.Slice(TarLayout.Name, TarLayout.NameLength));
        if (isUstar)
        {
            var prefix = CString(block.Slice(TarLayout.Prefix, TarLayout.PrefixLength));
            if (prefix.Length > 0)
            {
                name = prefix + "/" + name;
            }
        }

        var checksumField = block.Slice(TarLayout.Checksum, TarLayout.ChecksumLength);
        if (!TryParseOctal(checksumField, out var stored))
        {
            throw new InvalidDataException($"{archive}: tar header at offset {at} (member \"{ArchiveLimits.Printable(name)}\"): field \"chksum\" has the bad value \"{Field(checksumField)}\" (not octal): not a tar archive, or a damaged one");
        }

        var (unsignedSum, signedSum) = Sums(block);
        if (stored != unsignedSum && stored != signedSum)
        {
            throw new InvalidDataException($"{archive}: tar header at offset {at} (member \"{ArchiveLimits.Printable(name)}\"): field \"chksum\" has the bad value {stored} (the header sums to {unsignedSum}): the header is damaged");
        }

        var type = block[TarLayout.TypeFlag];
        var size = ParseSize(block.Slice(TarLayout.Size, TarLayout.SizeLength), archive, name, at);
        return new TarHeader { Name = name, Size = size, Type = type, IsUstar = isUstar };
    }

    /// <summary>Octal (NUL/space terminated) or GNU base-256 (high bit of the first byte set, big-endian two's complement).</summary>
    internal static long ParseSize(ReadOnlySpan<byte> field, string archive, string member, long at)
    {
        if ((field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x40) != 0)
            {
                throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(member)}\" at offset {at}: field \"size\" is a negative base-256 number");
            }

            // 95 bits of magnitude: anything above 63 bits does not fit a long and is refused.
            var value = (ulong)(field[0] & 0x3F);
            for (var i = 1; i < field.Length; i++)
            {
                if (value > (ulong.MaxValue >> 8))
                {
                    throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(member)}\" at offset {at}: field \"size\" (base-256) is larger than 2^63");
                }

                value = (value << 8) | field[i];
            }

            if (value > long.MaxValue)
            {
                throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(member)}\" at offset {at}: field \"size\" (base-256) {value} is larger than 2^63");
            }

            return (long)value;
        }

        if (!TryParseOctal(field, out var size))
        {
            throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(member)}\" at offset {at}: field \"size\" has the bad value \"{Field(field)}\" (not octal)");
        }

        return size;
    }

    internal static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var i = 0;
        while (i < field.Length && field[i] == (byte)' ')
        {
            i++;
        }


        for (; i < field.Length; i++)
        {
            var b = field[i];
            if (b is 0 or (byte)' ')
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'7' || value > (long.MaxValue >> 3))
            {
                return false;
            }

            value = (value << 3) | (long)(b - '0');

        }

        // After the terminator only NULs and spaces are allowed.
        for (; i < field.Length; i++)
        {
            if (field[i] is not (0 or (byte)' '))
            {
                return false;
            }
        }

        // An empty field (all NULs or spaces) reads as 0, as GNU tar does.
        return true;
    }

    private static (long Unsigned, long Signed) Sums(ReadOnlySpan<byte> block)
    {
        long u = 0, s = 0;
        for (var i = 0; i < TarLayout.BlockSize; i++)
        {
            var b = i is >= TarLayout.Checksum and < TarLayout.Checksum + TarLayout.ChecksumLength ? (byte)' ' : block[i];
            u += b;
            s += (sbyte)b;
        }

        return (u, s);
    }

    internal static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    private static string Field(ReadOnlySpan<byte> field) => ArchiveLimits.Printable(Encoding.ASCII.GetString(field));
}
