using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Ova;

/// <summary>Signatures and field offsets of the zip records read (APPNOTE 6.3), little-endian.</summary>
internal static class ZipLayout
{
    public const uint EocdSignature = 0x06054B50;
    public const int EocdSize = 22;
    public const int EocdDisk = 4;
    public const int EocdCdDisk = 6;
    public const int EocdEntriesTotal = 10;
    public const int EocdCdSize = 12;
    public const int EocdCdOffset = 16;
    public const int MaxCommentLength = ushort.MaxValue;

    public const uint Zip64LocatorSignature = 0x07064B50;
    public const int Zip64LocatorSize = 20;
    public const int Zip64LocatorEocdOffset = 8;

    public const uint Zip64EocdSignature = 0x06064B50;
    public const int Zip64EocdSize = 56;
    public const int Zip64EocdDisk = 16;
    public const int Zip64EocdCdDisk = 20;
    public const int Zip64EocdEntriesTotal = 32;
    public const int Zip64EocdCdSize = 40;
    public const int Zip64EocdCdOffset = 48;

    public const uint CentralSignature = 0x02014B50;
    public const int CentralSize = 46;
    public const int CentralVersionMadeBy = 4;
    public const int CentralFlags = 8;
    public const int CentralMethod = 10;
    public const int CentralCompressedSize = 20;
    public const int CentralUncompressedSize = 24;
    public const int CentralNameLength = 28;
    public const int CentralExtraLength = 30;
    public const int CentralCommentLength = 32;
    public const int CentralDiskStart = 34;
    public const int CentralExternalAttributes = 38;
    public const int CentralLocalHeaderOffset = 42;

    public const uint LocalSignature = 0x04034B50;
    public const int LocalSize = 30;
    public const int LocalNameLength = 26;
    public const int LocalExtraLength = 28;

    public const ushort Zip64ExtraId = 0x0001;
    public const ushort FlagEncrypted = 0x0001;
    public const ushort FlagUtf8 = 0x0800;
    public const ushort MethodStored = 0;
    public const ushort MethodDeflated = 8;
    public const uint Unix = 3;
    public const uint UnixTypeMask = 0xF000;
    public const uint UnixRegular = 0x8000;
    public const uint UnixDirectory = 0x4000;
    public const uint Marker32 = 0xFFFFFFFF;
    public const ushort Marker16 = 0xFFFF;

    /// <summary>Largest central directory read into memory.</summary>
    public const long MaxCentralDirectoryBytes = 64L << 20;
}

/// <summary>
/// Lists the members of a zip archive from its central directory (with Zip64 sizes and offsets), without reading
/// their data. A STORED member is exposed as its (offset, length) in the zip file, so it can be read in place; a
/// DEFLATED member is flagged <see cref="MemberStorage.Deflated"/>: it needs one pass through an inflater to a temp
/// file (<see cref="OvaArchive.ExtractToTemp"/>). The same name rules as for tar apply (absolute and <c>..</c> names
/// refused, links skipped). Encrypted members, multi-disk archives and other methods are NotSupportedException.
/// </summary>
public static class ZipCentralDirectory
{
    public static ArchiveListing List(string path, CancellationToken cancellationToken = default)
    {
        using var handle = V2VConverter.Model.IO.InputFile.Open(path, new V2VConverter.Model.IO.InputFileOptions { What = "OVA" });
        return List(handle, path, cancellationToken);
    }

    public static ArchiveListing List(SafeFileHandle handle, string archive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var length = RandomAccess.GetLength(handle);
        var (eocdAt, entries, cdOffset, cdSize) = FindDirectory(handle, archive, length);
        if (entries > ArchiveLimits.MaxMembers)
        {
            throw new InvalidDataException($"{archive}: zip field \"total entries\" has the bad value {entries} (bound {ArchiveLimits.MaxMembers})");
        }

        if (cdSize > ZipLayout.MaxCentralDirectoryBytes || cdOffset > eocdAt || cdSize > eocdAt - cdOffset)
        {
            throw new InvalidDataException($"{archive}: zip central directory (offset {cdOffset}, size {cdSize}) does not lie before the end record at {eocdAt} (or exceeds {ZipLayout.MaxCentralDirectoryBytes} bytes)");
        }

        var cd = new byte[cdSize];
        ReadExactly(handle, cd, cdOffset, archive, "central directory");
        var members = new List<ArchiveMember>();
        var skipped = new List<SkippedMember>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var local = new byte[ZipLayout.LocalSize];
        var pos = 0;
        for (ulong i = 0; i < entries; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = cd.AsSpan(pos);
            if (e.Length < ZipLayout.CentralSize || BinaryPrimitives.ReadUInt32LittleEndian(e) != ZipLayout.CentralSignature)
            {
                throw new InvalidDataException($"{archive}: zip central directory entry {i} at offset {cdOffset + pos}: field \"signature\" is missing or bad");
            }

            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralNameLength..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralExtraLength..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralCommentLength..]);
            var total = ZipLayout.CentralSize + nameLen + extraLen + commentLen;
            if (total > e.Length)
            {
                throw new InvalidDataException($"{archive}: zip central directory entry {i} at offset {cdOffset + pos} runs past the directory's end");
            }

            var flags = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralFlags..]);
            var method = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralMethod..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(e[ZipLayout.CentralCompressedSize..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(e[ZipLayout.CentralUncompressedSize..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(e[ZipLayout.CentralLocalHeaderOffset..]);
            var diskStart = BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralDiskStart..]);
            var madeBy = (uint)BinaryPrimitives.ReadUInt16LittleEndian(e[ZipLayout.CentralVersionMadeBy..]) >> 8;
            var external = BinaryPrimitives.ReadUInt32LittleEndian(e[ZipLayout.CentralExternalAttributes..]);
            var nameBytes = e.Slice(ZipLayout.CentralSize, nameLen);
            var rawName = (flags & ZipLayout.FlagUtf8) != 0 ? Encoding.UTF8.GetString(nameBytes) : Encoding.Latin1.GetString(nameBytes);
            ApplyZip64(e.Slice(ZipLayout.CentralSize + nameLen, extraLen), archive, rawName, ref uncompressed, ref compressed, ref localOffset, diskStart);
            pos += total;

            var name = ArchiveLimits.NormalizeName(archive, "file name", rawName);
            var unixType = madeBy == ZipLayout.Unix ? (external >> 16) & ZipLayout.UnixTypeMask : 0;
            if (rawName.EndsWith('/') || unixType == ZipLayout.UnixDirectory)
            {
                skipped.Add(new SkippedMember(name, "a directory"));
                continue;
            }

            if (unixType != 0 && unixType != ZipLayout.UnixRegular)
            {
                skipped.Add(new SkippedMember(name, $"not a regular file (unix file type 0{System.Convert.ToString(unixType >> 12, 8)}: a link or device, never followed)"));
                continue;
            }

            if ((flags & ZipLayout.FlagEncrypted) != 0)
            {
                throw new NotSupportedException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" is encrypted, which is not supported");
            }

            var storage = method switch
            {
                ZipLayout.MethodStored => MemberStorage.Stored,
                ZipLayout.MethodDeflated => MemberStorage.Deflated,
                _ => throw new NotSupportedException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" uses zip compression method {method}, which is not supported (0 = stored and 8 = deflated are)"),
            };
            if (storage == MemberStorage.Stored && compressed != uncompressed)
            {
                throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" is stored but its field \"compressed size\" {compressed} differs from its \"uncompressed size\" {uncompressed}");
            }

            if (localOffset > length - ZipLayout.LocalSize)
            {
                throw new EndOfStreamException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": its local header at offset {localOffset} lies past the end of the archive ({length} bytes)");
            }

            ReadExactly(handle, local, localOffset, archive, $"local header of \"{ArchiveLimits.Printable(name)}\"");
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != ZipLayout.LocalSignature)
            {
                throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": field \"local header signature\" at offset {localOffset} is bad");
            }

            var dataOffset = localOffset + ZipLayout.LocalSize
                + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(ZipLayout.LocalNameLength))
                + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(ZipLayout.LocalExtraLength));
            if (compressed > length - dataOffset)
            {
                throw new EndOfStreamException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" is cut: its {compressed} bytes at offset {dataOffset} run past the end of the archive ({length} bytes)");
            }

            if (!seen.Add(name))
            {
                throw new InvalidDataException($"{archive}: member name \"{ArchiveLimits.Printable(name)}\" appears twice: ambiguous, refused");
            }

            members.Add(new ArchiveMember(name, uncompressed, dataOffset, compressed, storage));
        }

        return new ArchiveListing(archive, ArchiveFormat.Zip, members, skipped);
    }

    private static (long EocdAt, ulong Entries, long CdOffset, long CdSize) FindDirectory(SafeFileHandle handle, string archive, long length)
    {
        if (length < ZipLayout.EocdSize)
        {
            throw new EndOfStreamException($"{archive}: {length} bytes is too short for a zip archive (the end record needs {ZipLayout.EocdSize})");
        }

        var tailLength = (int)Math.Min(length, ZipLayout.EocdSize + ZipLayout.MaxCommentLength);
        var tail = new byte[tailLength];
        var tailAt = length - tailLength;
        ReadExactly(handle, tail, tailAt, archive, "end of central directory");
        var found = -1;
        for (var i = tailLength - ZipLayout.EocdSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) == ZipLayout.EocdSignature)
            {
                found = i;
                break;
            }
        }

        if (found < 0)
        {
            throw new EndOfStreamException($"{archive}: no zip end of central directory record: the archive is cut or not a zip");
        }

        var eocd = tail.AsSpan(found);
        var eocdAt = tailAt + found;
        if (BinaryPrimitives.ReadUInt16LittleEndian(eocd[ZipLayout.EocdDisk..]) != BinaryPrimitives.ReadUInt16LittleEndian(eocd[ZipLayout.EocdCdDisk..]))
        {
            throw new NotSupportedException($"{archive}: a multi-disk (split) zip archive is not supported");
        }

        ulong entries = BinaryPrimitives.ReadUInt16LittleEndian(eocd[ZipLayout.EocdEntriesTotal..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(eocd[ZipLayout.EocdCdSize..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(eocd[ZipLayout.EocdCdOffset..]);
        var locatorAt = eocdAt - ZipLayout.Zip64LocatorSize;
        if (locatorAt >= 0)
        {
            var locator = new byte[ZipLayout.Zip64LocatorSize];
            ReadExactly(handle, locator, locatorAt, archive, "zip64 locator");
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) == ZipLayout.Zip64LocatorSignature)
            {
                var z64At = BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(ZipLayout.Zip64LocatorEocdOffset));
                if (z64At > (ulong)(locatorAt - ZipLayout.Zip64EocdSize))
                {
                    throw new InvalidDataException($"{archive}: zip64 locator field \"offset of zip64 end record\" has the bad value {z64At}");
                }

                var z64 = new byte[ZipLayout.Zip64EocdSize];
                ReadExactly(handle, z64, (long)z64At, archive, "zip64 end record");
                if (BinaryPrimitives.ReadUInt32LittleEndian(z64) != ZipLayout.Zip64EocdSignature)
                {
                    throw new InvalidDataException($"{archive}: zip64 end record at offset {z64At}: field \"signature\" is bad");
                }

                if (BinaryPrimitives.ReadUInt32LittleEndian(z64.AsSpan(ZipLayout.Zip64EocdDisk)) != BinaryPrimitives.ReadUInt32LittleEndian(z64.AsSpan(ZipLayout.Zip64EocdCdDisk)))
                {
                    throw new NotSupportedException($"{archive}: a multi-disk (split) zip archive is not supported");
                }

                entries = BinaryPrimitives.ReadUInt64LittleEndian(z64.AsSpan(ZipLayout.Zip64EocdEntriesTotal));
                var size64 = BinaryPrimitives.ReadUInt64LittleEndian(z64.AsSpan(ZipLayout.Zip64EocdCdSize));
                var offset64 = BinaryPrimitives.ReadUInt64LittleEndian(z64.AsSpan(ZipLayout.Zip64EocdCdOffset));
                if (size64 > (ulong)length || offset64 > (ulong)length)
                {
                    throw new InvalidDataException($"{archive}: zip64 end record: central directory offset {offset64} or size {size64} is beyond the archive ({length} bytes)");
                }

                cdSize = (long)size64;
                cdOffset = (long)offset64;
                eocdAt = (long)z64At;
            }
        }

        return (eocdAt, entries, cdOffset, cdSize);
    }

    /// <summary>Zip64 extended information: the 8-byte values present are those whose 32-bit field is 0xFFFFFFFF, in this order.</summary>
    private static void ApplyZip64(ReadOnlySpan<byte> extra, string archive, string name, ref long uncompressed, ref long compressed, ref long localOffset, ushort diskStart)
    {
        var needU = uncompressed == ZipLayout.Marker32;
        var needC = compressed == ZipLayout.Marker32;
        var needO = localOffset == ZipLayout.Marker32;
        while (extra.Length >= 4)
        {
            var id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            var len = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (4 + len > extra.Length)
            {
                throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": extra field 0x{id:X4} of {len} bytes runs past the extra area");
            }

            if (id == ZipLayout.Zip64ExtraId)
            {
                var data = extra.Slice(4, len);
                uncompressed = Take64(ref data, needU, uncompressed, archive, name, "uncompressed size");
                compressed = Take64(ref data, needC, compressed, archive, name, "compressed size");
                localOffset = Take64(ref data, needO, localOffset, archive, name, "local header offset");
                needU = needC = needO = false;
            }

            extra = extra[(4 + len)..];
        }

        if (needU || needC || needO)
        {
            throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": a size or offset is 0xFFFFFFFF but no zip64 extra field gives it");
        }

        if (diskStart != 0 && diskStart != ZipLayout.Marker16)
        {
            throw new NotSupportedException($"{archive}: member \"{ArchiveLimits.Printable(name)}\" starts on disk {diskStart}: multi-disk zip archives are not supported");
        }
    }

    private static long Take64(ref ReadOnlySpan<byte> data, bool needed, long current, string archive, string name, string field)
    {
        if (!needed)
        {
            return current;
        }

        if (data.Length < 8)
        {
            throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": zip64 extra field lacks the \"{field}\"");
        }

        var v = BinaryPrimitives.ReadUInt64LittleEndian(data);
        data = data[8..];
        if (v > long.MaxValue)
        {
            throw new InvalidDataException($"{archive}: member \"{ArchiveLimits.Printable(name)}\": zip64 field \"{field}\" has the bad value {v}");
        }

        return (long)v;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string archive, string what)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n == 0)
            {
                throw new EndOfStreamException($"{archive}: the {what} at offset {offset} is cut ({done} of {buffer.Length} bytes)");
            }

            done += n;
        }
    }
}
