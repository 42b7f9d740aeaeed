namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>The OS folder rules of <see cref="VirtioWinCatalog"/> (documented there), apart from any layout.</summary>
internal static class VirtioFolderChoice
{
    /// <summary>
    /// The folder of <paramref name="present"/> for <paramref name="release"/>, or null; <paramref name="decision"/>
    /// says which and why (or why none) in a few words, and fallbacks add to <paramref name="warnings"/>.
    /// </summary>
    public static VirtioOsFolder? Choose(IReadOnlyList<VirtioOsFolder> present, WindowsRelease release, List<string> warnings, out string decision)
    {
        var nt = $"NT {release.Major}.{release.Minor}";
        var server = release.Server;
        var same = present.Where(f => f.Serves(release.Major, release.Minor, server)).ToList();
        if (same.Count == 0 && server)
        {
            same = present.Where(f => f.Serves(release.Major, release.Minor, false)).ToList();
            if (same.Count > 0)
            {
                server = false;
                warnings.Add($"the tree has no server drivers for {nt}; using the client drivers of the same NT version");
            }
        }

        if (same.Count == 0)
        {
            var names = present.Count == 0 ? "none" : string.Join(", ", present.Select(f => f.Name));
            decision = $"the tree has no drivers for {nt} {(release.Server ? "server" : "client")} (folders for {release.Arch}: {names})";
            return null;
        }

        if (release.Major != 10)
        {
            decision = same[0].Name;
            return same[0];
        }

        return ChooseByBuild(same, server, release.Build, warnings, out decision);
    }

    private static VirtioOsFolder ChooseByBuild(List<VirtioOsFolder> same, bool server, int build, List<string> warnings, out string decision)
    {
        var kind = server ? "server" : "client";
        var ideal = VirtioOsFolder.Known.Where(f => f.Serves(10, 0, server) && f.Build <= build).MaxBy(f => f.Build);
        var chosen = same.Where(f => f.Build <= build).MaxBy(f => f.Build) ?? same.MinBy(f => f.Build)!;
        var notes = new List<string>();
        if (server && !VirtioOsFolder.Known.Any(f => f.Server == true && f.Build == build))
        {
            notes.Add($"unknown {kind} build {build}, using the newest {kind} folder not newer than it");
        }

        if (ideal is null)
        {
            notes.Add($"build {build} is older than any {kind} folder serves, using the oldest present");
        }
        else if (ideal != chosen)
        {
            notes.Add($"no {ideal.Name} drivers, using {(chosen.Build < ideal.Build ? "the nearest older" : "the nearest")} folder");
        }

        warnings.AddRange(notes.Select(n => $"{n}: {chosen.Name}"));
        decision = notes.Count == 0 ? chosen.Name : $"{string.Join("; ", notes)}: {chosen.Name}";
        return chosen;
    }
}
