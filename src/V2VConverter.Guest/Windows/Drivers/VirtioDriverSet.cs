namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// One file of a chosen virtio-win driver set: its path relative to the tree root as found there
/// (<c>viostor/w10/amd64/viostor.sys</c>), the driver it belongs to (<c>viostor</c>, lower case, the INF/SYS stem)
/// and its file name as on disk (<c>viostor.sys</c>).
/// </summary>
public sealed record VirtioDriverFile(string RelativePath, string Driver, string FileName);

/// <summary>
/// The virtio-win drivers chosen for one Windows release: the OS folder used (<c>w10</c>, <c>2k22</c>, or <c>Win10</c>
/// in the RPM's legacy layout), one line saying why, every file of every driver of that folder and architecture
/// (program databases, <c>.pdb</c>, left out), the QEMU guest agent installer when the tree has one, and the warnings
/// the choice raised (a fallback to an older or a client folder).
/// </summary>
public sealed record VirtioDriverSet(
    string OsFolder,
    string Why,
    IReadOnlyList<VirtioDriverFile> Files,
    string? GuestAgentMsi,
    IReadOnlyList<string> Warnings)
{
    /// <summary>
    /// The drivers present: the <see cref="VirtioDriverFile.Driver"/> of every <c>.inf</c> file of the set
    /// ("viostor", "vioscsi", "netkvm", "balloon", "vioser", "viorng", "pvpanic"...). Helper files that belong to no
    /// INF (a WDF co-installer, a readme) are in <see cref="Files"/> but name no driver here.
    /// </summary>
    public IReadOnlyCollection<string> Drivers =>
        Files.Where(f => f.FileName.EndsWith(".inf", StringComparison.OrdinalIgnoreCase))
             .Select(f => f.Driver)
             .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the set has the driver (case-insensitive), e.g. <c>Has("viostor")</c>.</summary>
    public bool Has(string driver) => Drivers.Contains(driver, StringComparer.OrdinalIgnoreCase);

    /// <summary>The files of one driver (case-insensitive), e.g. the viostor .sys, .inf and .cat.</summary>
    public IEnumerable<VirtioDriverFile> FilesOf(string driver) =>
        Files.Where(f => string.Equals(f.Driver, driver, StringComparison.OrdinalIgnoreCase));
}
