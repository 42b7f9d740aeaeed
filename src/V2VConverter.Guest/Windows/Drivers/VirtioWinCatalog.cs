namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// Chooses, from the file list of a virtio-win tree (a directory or a mounted ISO), the drivers for one Windows release.
/// </summary>
/// <remarks>
/// <para><b>Layouts</b>, tried best first; the first that has any file for the guest's architecture is used and the
/// others are ignored:
/// (1) per driver, <c>&lt;Driver&gt;/&lt;os&gt;/&lt;arch&gt;/file</c> (the ISO) or <c>drivers/by-driver/&lt;Driver&gt;/&lt;os&gt;/&lt;arch&gt;/file</c> (the RPM);
/// (2) <c>drivers/by-os/&lt;arch&gt;/&lt;os&gt;/file</c> (the RPM);
/// (3) <c>drivers/&lt;arch&gt;/&lt;WinNN&gt;/file</c> (the RPM's legacy folders, <c>Win10</c>, <c>Win2008R2</c>, <c>Win8.1</c>...);
/// (4) <c>&lt;arch&gt;/&lt;os&gt;/file</c> at the ISO root (storage drivers only: used only when nothing above exists).
/// Architecture folders are <c>amd64</c> for x86_64 and <c>x86</c> or <c>i386</c> for i386; ARM64 is ignored.
/// Folder names are matched case-insensitively; the set reports them as on disk.</para>
/// <para><b>OS folders</b>: xp (NT 5.1 client), 2k3 (5.2, client or server), vista/2k8 (6.0 client/server),
/// w7/2k8R2 (6.1), w8/2k12 (6.2), w8.1/2k12R2 (6.3). For NT 10.0 each folder serves builds from its first one:
/// w10 (client, 10240), w11 (client, 22000), 2k16 (server, 14393), 2k19 (17763), 2k22 (20348), 2k25 (26100).
/// A 10.0 guest gets the folder of its kind with the highest first build not above the guest's build; when the tree
/// lacks the folder the guest's build calls for, the nearest older one present is used with a warning (Windows 11
/// without w11 gets w10), and when none is older, the oldest present (warning). A server build that is none of the
/// four known ones (a future or semi-annual release) is warned about. Below NT 10.0 the folder must match exactly.</para>
/// <para>A server may use the client folder of the same NT version only when the tree has no server folder for it
/// (warning). 32-bit Windows Server 10.0 does not exist: null. No folder for the NT version (XP in a modern tree): null.</para>
/// <para><b>Drivers</b>: in the per-driver layout a folder's driver is the stem of its only <c>.inf</c> (the vioserial
/// folder holds vioser.inf: "vioser"), else of the <c>.inf</c> named like the folder, else the folder name, lower case.
/// In the flat layouts a file belongs to the <c>.inf</c> whose stem is its stem or the longest prefix of it
/// (netkvmco.dll: netkvm), or to a few known helpers' drivers (blnsvr.exe: balloon, viohidkmdf.sys: vioinput,
/// vgpusrv.exe and viogpuap.exe: viogpudo, virtiofs.exe: viofs); any other file keeps its own lower-case stem.
/// <c>.pdb</c> files are left out.</para>
/// <para><b>Guest agent</b>: <c>guest-agent/qemu-ga-x86_64.msi</c> (or <c>qemu-ga-x64.msi</c>) for x86_64,
/// <c>guest-agent/qemu-ga-i386.msi</c> (or <c>qemu-ga-x86.msi</c>) for i386, anywhere in the tree.</para>
/// </remarks>
public static class VirtioWinCatalog
{
    private static readonly Dictionary<string, string> HelperOwners = new(StringComparer.OrdinalIgnoreCase)
    {
        ["blnsvr"] = "balloon",
        ["viohidkmdf"] = "vioinput",
        ["vgpusrv"] = "viogpudo",
        ["viogpuap"] = "viogpudo",
        ["virtiofs"] = "viofs",
    };

    /// <summary>
    /// The driver set for <paramref name="release"/>, or null with the reason when the tree has nothing for it.
    /// </summary>
    /// <param name="relativePaths">Every file of the tree, relative to its root, '/'-separated, any case as on disk.</param>
    public static VirtioDriverSet? Select(IEnumerable<string> relativePaths, WindowsRelease release, out string reason)
    {
        ArgumentNullException.ThrowIfNull(relativePaths);
        ArgumentNullException.ThrowIfNull(release);
        var kind = release.Server ? "server" : "client";
        var guest = $"{release.ProductName} (NT {release.Major}.{release.Minor} build {release.Build}, {kind}, {release.Arch})";
        if (release.Arch is not ("x86_64" or "i386"))
        {
            reason = $"{guest}: virtio-win has no drivers for architecture {release.Arch}";
            return null;
        }

        if (release.Major == 10 && release.Server && !release.Is64Bit)
        {
            reason = $"{guest}: there is no 32-bit Windows Server 10.0, so virtio-win has no drivers for it";
            return null;
        }

        var paths = relativePaths.Select(Normalize).Where(p => p.Length > 0).ToList();
        var entries = paths.Select(VirtioWinEntry.TryParse).OfType<VirtioWinEntry>().Where(e => e.Is64Bit == release.Is64Bit).ToList();
        if (entries.Count == 0)
        {
            reason = $"{guest}: the tree has no driver folder for {release.Arch} in any known virtio-win layout";
            return null;
        }

        var layout = entries.Min(e => e.Layout);
        var inLayout = entries.Where(e => e.Layout == layout).ToList();
        var warnings = new List<string>();
        var folder = VirtioFolderChoice.Choose(inLayout.Select(e => e.Os).Distinct().ToList(), release, warnings, out var decision);
        if (folder is null)
        {
            reason = $"{guest}: {decision}";
            return null;
        }

        var chosen = inLayout.Where(e => e.Os == folder && !e.FileName.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase)).ToList();
        var files = (layout == VirtioWinLayoutKind.PerDriver ? PerDriverFiles(chosen) : FlatFiles(chosen))
            .OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList();
        var onDisk = chosen[0].OsOnDisk;
        var agent = GuestAgent(paths, release.Is64Bit);
        if (agent is null)
        {
            warnings.Add($"the tree has no QEMU guest agent installer for {release.Arch} (guest-agent/qemu-ga-*.msi)");
        }

        var set = new VirtioDriverSet(onDisk, $"{guest}: {decision} ({LayoutName(layout)} layout)", files, agent, warnings);
        reason = set.Why;
        return set;
    }

    private static string Normalize(string path)
    {
        var p = path.Replace('\\', '/').Trim();
        while (p.StartsWith("./", StringComparison.Ordinal))
        {
            p = p[2..];
        }

        return p.TrimStart('/');
    }

    private static string LayoutName(VirtioWinLayoutKind layout) => layout switch
    {
        VirtioWinLayoutKind.PerDriver => "per-driver",
        VirtioWinLayoutKind.ByOs => "by-os",
        VirtioWinLayoutKind.RpmLegacy => "RPM legacy",
        _ => "top-level storage",
    };

    private static IEnumerable<VirtioDriverFile> PerDriverFiles(List<VirtioWinEntry> chosen)
    {
        foreach (var dir in chosen.GroupBy(e => e.DriverDir!, StringComparer.OrdinalIgnoreCase))
        {
            var infs = dir.Where(e => IsInf(e.FileName)).Select(e => Stem(e.FileName)).ToList();
            var driver = infs.Count == 1 ? infs[0]
                : infs.FirstOrDefault(i => string.Equals(i, dir.Key, StringComparison.OrdinalIgnoreCase)) ?? dir.Key.ToLowerInvariant();
            foreach (var e in dir)
            {
                yield return new VirtioDriverFile(e.RelativePath, driver, e.FileName);
            }
        }
    }

    private static IEnumerable<VirtioDriverFile> FlatFiles(List<VirtioWinEntry> chosen)
    {
        var infs = chosen.Where(e => IsInf(e.FileName)).Select(e => Stem(e.FileName)).ToHashSet(StringComparer.Ordinal);
        foreach (var e in chosen)
        {
            var stem = Stem(e.FileName);
            var owner = infs.Contains(stem) ? stem
                : infs.Where(i => stem.StartsWith(i, StringComparison.Ordinal)).MaxBy(i => i.Length)
                  ?? (HelperOwners.TryGetValue(stem, out var o) && infs.Contains(o) ? o : stem);
            yield return new VirtioDriverFile(e.RelativePath, owner, e.FileName);
        }
    }

    private static string? GuestAgent(List<string> paths, bool is64)
    {
        string[] names = is64 ? ["qemu-ga-x86_64.msi", "qemu-ga-x64.msi"] : ["qemu-ga-i386.msi", "qemu-ga-x86.msi"];
        foreach (var name in names)
        {
            var hit = paths.Where(p => p.Split('/') is [.., var dir, var file]
                                       && string.Equals(dir, "guest-agent", StringComparison.OrdinalIgnoreCase)
                                       && string.Equals(file, name, StringComparison.OrdinalIgnoreCase))
                           .OrderBy(p => p.Length).ThenBy(p => p, StringComparer.Ordinal).FirstOrDefault();
            if (hit is not null)
            {
                return hit;
            }
        }

        return null;
    }

    private static bool IsInf(string fileName) => fileName.EndsWith(".inf", StringComparison.OrdinalIgnoreCase);

    private static string Stem(string fileName) => Path.GetFileNameWithoutExtension(fileName).ToLowerInvariant();
}
