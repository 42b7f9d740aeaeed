using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Ova;

/// <summary>
/// Lists the members of an uncompressed tar archive without reading their data: only the header blocks are
/// read, and each member's data is skipped by its size. Formats: v7, POSIX ustar (with the 155-byte prefix),
/// GNU (<c>././@LongLink</c> long names, base-256 sizes for members of 8 GiB and more) and pax (<c>path</c> and
/// <c>size</c> records of an extended header; global headers are read past and ignored). Every header's checksum
/// is verified. Members may come in any order.
/// <para>
/// Refused (InvalidDataException): an absolute name, a name with a <c>..</c> component, a duplicate name, a bad
/// checksum or size. Skipped with a reason, never followed: hard and symbolic links, devices, FIFOs, directories.
/// GNU sparse members are not supported (NotSupportedException). A member whose data runs past the end of the
/// file, or a cut header, is an EndOfStreamException naming the archive and the member. The archive ends at a
/// zero block, or at the end of the file right after a complete member (as GNU tar accepts).
/// </para>
/// </summary>
public static class TarArchive
{
    /// <summary>Lists the members of the tar file at <paramref name="path"/>.</summary>
    public static ArchiveListing List(string path, CancellationToken cancellationToken = default)
    {
        using var handle = V2VConverter.Model.IO.InputFile.Open(path, new V2VConverter.Model.IO.InputFileOptions { What = "OVA" });
        return List(handle, path, cancellationToken);
    }

    /// <summary>Lists the members of the tar archive open as <paramref name="handle"/>; <paramref name="archive"/> names it in messages.</summary>
    public static ArchiveListing List(SafeFileHandle handle, string archive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var length = RandomAccess.GetLength(handle);
        var members = new List<ArchiveMember>();
        var skipped = new List<SkippedMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var block = new byte[TarLayout.BlockSize];
        string? longName = null;
        string? paxPath = null;
        long? paxSize = null;
        var previous = "(start of archive)";
        long at = 0;
        var entries = 0;

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (at == length)
            {
                if (longName is not null || paxPath is not null || paxSize is not null)
                {
                    throw new EndOfStreamException($"{archive}: the archive ends after an extended header, before its member (after \"{ArchiveLimits.Printable(previous)}\")");
                }

                break;
            }

            var got = RandomAccess.Read(handle, block, at);
            if (got < TarLayout.BlockSize)
            {
                throw new EndOfStreamException($"{archive}: tar header at offset {at} is cut ({got} of {TarLayout.BlockSize} bytes; the member before it is \"{ArchiveLimits.Printable(previous)}\")");
            }

            if (TarHeader.IsZeroBlock(block))
            {
                break;
            }

            if (++entries > ArchiveLimits.MaxMembers)
            {
                throw new InvalidDataException($"{archive}: more than {ArchiveLimits.MaxMembers} tar entries (bound)");
            }

            var header = TarHeader.Parse(block, archive, at);
            var dataOffset = at + TarLayout.BlockSize;
            var size = header.Type is TarType.PaxExtended or TarType.PaxGlobal or TarType.GnuLongName or TarType.GnuLongLink
                ? header.Size
                : paxSize ?? header.Size;
            var rawName = header.Type is TarType.PaxExtended or TarType.PaxGlobal or TarType.GnuLongName or TarType.GnuLongLink
                ? header.Name
                : paxPath ?? longName ?? header.Name;

            if (size > length - dataOffset)
            {
                throw new EndOfStreamException($"{archive}: member \"{ArchiveLimits.Printable(rawName)}\" is cut: its {size} bytes of data at offset {dataOffset} run past the end of the archive ({length} bytes)");
            }

            var next = dataOffset + RoundUp(size);
            switch (header.Type)
            {
                case TarType.GnuLongName:
                    longName = Encoding.UTF8.GetString(ReadBytes(handle, archive, "GNU long name (././@LongLink)", dataOffset, size, ArchiveLimits.MaxNameBytes)).TrimEnd('\0');
                    break;

                case TarType.GnuLongLink:
                    // The long link target of the next entry: not needed, links are never followed.
                    ReadBytes(handle, archive, "GNU long link name", dataOffset, size, ArchiveLimits.MaxNameBytes);
                    break;

                case TarType.PaxExtended:
                    ParsePax(ReadBytes(handle, archive, "pax extended header", dataOffset, size, ArchiveLimits.MaxPaxHeaderBytes), archive, at, ref paxPath, ref paxSize);
                    break;

                case TarType.PaxGlobal:
                    // Global pax records (mtime, charset...) do not name or size members: ignored.
                    break;

                default:
                    var name = ArchiveLimits.NormalizeName(archive, "name", rawName);
                    // A v7 archive marks a directory only by the '/' at the end of its name.
                    var reason = rawName.EndsWith('/') ? SkipReason(TarType.Directory) : SkipReason(header.Type);
                    if (header.Type == TarType.GnuSparse)
                    {
                        throw new NotSupportedException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" is a GNU sparse file (type 'S'), which is not supported: repack the OVA without --sparse");
                    }

                    if (reason is not null)
                    {
                        skipped.Add(new SkippedMember(name, reason));
                    }
                    else
                    {
                        if (!seen.Add(name))
                        {
                            throw new InvalidDataException($"{archive}: member name \"{ArchiveLimits.Printable(name)}\" appears twice: ambiguous, refused");
                        }

                        members.Add(new ArchiveMember(name, size, dataOffset, size, MemberStorage.Stored));
                    }

                    previous = name;
                    longName = null;
                    paxPath = null;
                    paxSize = null;
                    break;
            }

            // Data complete but its padding cut by the end of the file: accepted (GNU tar does too).
            at = Math.Min(next, length);
        }

        return new ArchiveListing(archive, ArchiveFormat.Tar, members, skipped);
    }

    private static string? SkipReason(byte type) => type switch
    {
        TarType.Regular or TarType.RegularOld or TarType.Contiguous => null,
        TarType.Directory => "a directory",
        TarType.HardLink => "a hard link (links are never followed)",
        TarType.SymLink => "a symbolic link (links are never followed)",
        TarType.CharDevice => "a character device",
        TarType.BlockDevice => "a block device",
        TarType.Fifo => "a FIFO",
        TarType.GnuVolumeHeader => "a GNU volume header",
        _ => $"an entry of unknown type '{(char)type}'",
    };

    internal static long RoundUp(long size) => size + ((TarLayout.BlockSize - (size % TarLayout.BlockSize)) % TarLayout.BlockSize);

    private static byte[] ReadBytes(SafeFileHandle handle, string archive, string what, long offset, long size, int bound)
    {
        if (size > bound)
        {
            throw new InvalidDataException($"{archive}: {what} at offset {offset} has the bad size {size} (bound {bound})");
        }

        var buffer = new byte[size];
        var got = RandomAccess.Read(handle, buffer, offset);
        if (got < size)
        {
            throw new EndOfStreamException($"{archive}: {what} at offset {offset} is cut ({got} of {size} bytes)");
        }

        return buffer;
    }

    /// <summary>pax records: "LEN key=value\n", LEN counting the whole record in bytes.</summary>
    internal static void ParsePax(byte[] bytes, string archive, long at, ref string? path, ref long? size)
    {
        var pos = 0;
        while (pos < bytes.Length)
        {
            if (bytes[pos] == 0)
            {
                break;
            }

            var space = Array.IndexOf(bytes, (byte)' ', pos);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(bytes, pos, space - pos), NumberStyles.None, CultureInfo.InvariantCulture, out var len)
                || len <= space - pos + 1 || pos + len > bytes.Length || bytes[pos + len - 1] != (byte)'\n')
            {
                throw new InvalidDataException($"{archive}: pax extended header at offset {at}: record at byte {pos} has a bad length");
            }

            var record = Encoding.UTF8.GetString(bytes, space + 1, pos + len - space - 2);
            var eq = record.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InvalidDataException($"{archive}: pax extended header at offset {at}: record \"{ArchiveLimits.Printable(record)}\" has no key=value");
            }

            var key = record[..eq];
            var value = record[(eq + 1)..];
            switch (key)
            {
                case "path":
                    path = value;
                    break;
                case "size":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
                    {
                        throw new InvalidDataException($"{archive}: pax extended header at offset {at}: field \"size\" has the bad value \"{ArchiveLimits.Printable(value)}\"");
                    }

                    size = s;
                    break;
                default:
                    if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal))
                    {
                        throw new NotSupportedException($"{archive}: pax extended header at offset {at} describes a GNU sparse member ({key}), which is not supported: repack the OVA without --sparse");
                    }

                    break;
            }

            pos += len;
        }
    }
}
