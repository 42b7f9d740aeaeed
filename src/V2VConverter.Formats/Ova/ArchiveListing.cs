namespace V2VConverter.Formats.Ova;

/// <summary>The container an OVA comes in, as detected from its first bytes (never only from its extension).</summary>
public enum ArchiveFormat
{
    Unknown,
    Tar,
    Zip,
    Gzip,
    Xz,
}

/// <summary>The members of one archive, as listed from its headers; <see cref="Skipped"/> says what was left out and why.</summary>
public sealed class ArchiveListing
{
    public ArchiveListing(string archive, ArchiveFormat format, IReadOnlyList<ArchiveMember> members, IReadOnlyList<SkippedMember> skipped)
    {
        Archive = archive;
        Format = format;
        Members = members;
        Skipped = skipped;
    }

    /// <summary>The archive's path, as used in messages.</summary>
    public string Archive { get; }

    public ArchiveFormat Format { get; }

    /// <summary>Regular files, in archive order.</summary>
    public IReadOnlyList<ArchiveMember> Members { get; }

    public IReadOnlyList<SkippedMember> Skipped { get; }

    /// <summary>The member of that (normalized) name, or null.</summary>
    public ArchiveMember? Find(string name)
    {
        foreach (var m in Members)
        {
            if (string.Equals(m.Name, name, StringComparison.Ordinal))
            {
                return m;
            }
        }

        return null;
    }
}
