namespace V2VConverter.Formats.Disk;

/// <summary>
/// Disk files that live inside a container (the members of an OVA archive) instead of as host files. A member's path
/// is <see cref="Root"/> + "/" + its name, so a disk's extents and parents resolve relative to it as they would in a
/// folder, and can never leave it (an absolute path or <c>../</c> is refused before the container is asked).
/// </summary>
public interface IDiskContainer
{
    /// <summary>The container's own path (X.ova): the folder its members seem to lie in.</summary>
    string Root { get; }

    /// <summary>Opens the member at <paramref name="path"/> (under <see cref="Root"/>).</summary>
    /// <exception cref="FileNotFoundException">The container has no such member.</exception>
    DiskFile Open(string path);
}
