namespace V2VConverter.Formats.Ova;

/// <summary>How a member's bytes are stored in its archive.</summary>
public enum MemberStorage
{
    /// <summary>The bytes are in the archive as they are: read them in place at <see cref="ArchiveMember.DataOffset"/>.</summary>
    Stored,

    /// <summary>A DEFLATE stream (zip method 8): one pass through an inflater to a temp file is needed.</summary>
    Deflated,
}

/// <summary>
/// One regular file of a tar or zip archive, as listed without reading its data: its name (relative, normalized,
/// never absolute and never with a <c>..</c> component), its size, and where its bytes start in the archive file.
/// </summary>
/// <param name="Name">Normalized relative name ("./" prefix removed, '/' separators).</param>
/// <param name="Size">Size of the member's content in bytes (uncompressed).</param>
/// <param name="DataOffset">Offset of the member's first stored byte in the archive file.</param>
/// <param name="StoredLength">Number of bytes the member occupies at <paramref name="DataOffset"/> (equals Size when stored).</param>
/// <param name="Storage">Stored (readable in place) or deflated.</param>
public readonly record struct ArchiveMember(string Name, long Size, long DataOffset, long StoredLength, MemberStorage Storage)
{
    /// <summary>True when the member can be read in place, at its offset in the archive, with no temp copy.</summary>
    public bool IsReadableInPlace => Storage == MemberStorage.Stored;
}

/// <summary>An entry the reader left out on purpose (a link, a device, a directory...), with the reason.</summary>
public readonly record struct SkippedMember(string Name, string Reason);

/// <summary>Bounds and name rules shared by the tar and zip readers.</summary>
public static class ArchiveLimits
{
    /// <summary>At most this many entries (an OVA has a handful; this bounds memory on hostile input).</summary>
    public const int MaxMembers = 65_536;

    /// <summary>Longest member name accepted (GNU long name or pax path).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Largest pax extended header read into memory.</summary>
    public const int MaxPaxHeaderBytes = 1 << 20;

    /// <summary>
    /// Checks a raw member name and returns it normalized (leading "./" removed, trailing '/' removed).
    /// Absolute names, names with a ".." component, empty names and names with NUL are refused with an
    /// InvalidDataException naming the archive, the field and the value: they are never followed.
    /// </summary>
    public static string NormalizeName(string archive, string field, string raw)
    {
        var name = raw;
        if (name.Length == 0 || name.Length > MaxNameBytes || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{archive}: field \"{field}\" has the bad value \"{Printable(raw)}\" (empty, too long or with a NUL)");
        }

        if (name[0] == '/' || name[0] == '\\' || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])))
        {
            throw new InvalidDataException($"{archive}: field \"{field}\" has the bad value \"{Printable(raw)}\": an absolute member name is refused");
        }

        var parts = name.Split('/', '\\');
        if (parts.Any(p => p == ".."))
        {
            throw new InvalidDataException($"{archive}: field \"{field}\" has the bad value \"{Printable(raw)}\": a member name with a \"..\" component is refused");
        }

        var kept = parts.Where(p => p.Length > 0 && p != ".").ToArray();
        if (kept.Length == 0)
        {
            return ".";
        }

        return string.Join('/', kept);
    }

    internal static string Printable(string s)
    {
        var cut = s.Length > 200 ? s[..200] + "..." : s;
        return new string(cut.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
