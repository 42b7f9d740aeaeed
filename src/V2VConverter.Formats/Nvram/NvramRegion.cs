using System.Buffers.Binary;
using System.Text;
using L = V2VConverter.Formats.Nvram.VmwareNvramLayout;

namespace V2VConverter.Formats.Nvram;

/// <summary>Finds the EFI variable region of a VMware <c>.nvram</c> file and reads its append log of records.</summary>
internal static class NvramRegion
{
    /// <summary>Every record in file order, duplicates included.</summary>
    public static List<EfiVariable> ReadRecords(ReadOnlySpan<byte> file, string origin)
    {
        var start = file.IndexOf(L.RegionSignature);
        if (start < 0)
        {
            throw new InvalidDataException($"{origin}: no VMWNVRAM variable region (not a VMware UEFI NVRAM file?)");
        }

        if (file.Length - start < L.RegionHeaderSize)
        {
            throw new InvalidDataException($"{origin}: NVRAM variable region at offset 0x{start:X}: only {file.Length - start} bytes follow the signature, the header needs {L.RegionHeaderSize}");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(file[(start + L.RegionLength)..]);
        if (length < L.RegionHeaderSize || length > (uint)(file.Length - start))
        {
            throw new InvalidDataException($"{origin}: NVRAM variable region at offset 0x{start:X}: field region length has the bad value {length} (must be {L.RegionHeaderSize}..{file.Length - start}, the bytes from the signature to the end of the file)");
        }

        var end = start + (int)length;
        var records = new List<EfiVariable>();
        for (var off = start + L.RegionHeaderSize; off < end;)
        {
            records.Add(ReadRecord(file[..end], off, origin, out var size));
            off += size;
        }

        return records;
    }

    /// <summary>Reads the record at <paramref name="off"/>; <paramref name="region"/> ends where the region ends.</summary>
    private static EfiVariable ReadRecord(ReadOnlySpan<byte> region, int off, string origin, out int size)
    {
        var left = region.Length - off;
        if (left < L.RecordHeaderSize)
        {
            throw new InvalidDataException($"{origin}: NVRAM variable record at offset 0x{off:X}: only {left} bytes left before the region end 0x{region.Length:X}, a record header needs {L.RecordHeaderSize} (field region length is too large?)");
        }

        var rec = region[off..];
        var guid = new Guid(rec.Slice(L.RecordGuid, L.GuidSize));
        var attributes = BinaryPrimitives.ReadUInt32LittleEndian(rec[L.RecordAttributes..]);
        var totalLength = BinaryPrimitives.ReadUInt32LittleEndian(rec[L.RecordTotalLength..]);
        var nameLength = BinaryPrimitives.ReadUInt32LittleEndian(rec[L.RecordNameLength..]);
        if (nameLength < L.MinNameBytes || nameLength > L.MaxNameBytes || nameLength % 2 != 0)
        {
            throw Bad(origin, off, "name_len", nameLength, $"must be even and {L.MinNameBytes}..{L.MaxNameBytes}: UTF-16LE bytes including the NUL");
        }

        var room = left - L.RecordHeaderSize;
        if (totalLength < nameLength || totalLength > room)
        {
            throw Bad(origin, off, "total_len", totalLength, $"must be at least name_len {nameLength} and at most the {room} bytes left in the region");
        }

        var nameBytes = rec.Slice(L.RecordHeaderSize, (int)nameLength);
        var name = Encoding.Unicode.GetString(nameBytes);
        var nul = name.IndexOf('\0', StringComparison.Ordinal);
        name = nul < 0 ? name : name[..nul];
        var data = rec.Slice(L.RecordHeaderSize + (int)nameLength, (int)(totalLength - nameLength)).ToArray();
        size = L.RecordHeaderSize + (int)totalLength;
        return new EfiVariable(guid, name, attributes, data);
    }

    private static InvalidDataException Bad(string origin, int off, string field, long value, string why) =>
        new($"{origin}: NVRAM variable record at offset 0x{off:X}: field {field} has the bad value {value} ({why})");
}
