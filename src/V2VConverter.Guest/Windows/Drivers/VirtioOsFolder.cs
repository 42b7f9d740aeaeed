namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// The Windows releases virtio-win builds drivers for, as the folders name them. <see cref="Build"/> is the first
/// build the folder serves, and matters only for NT 10.0, where one NT version covers many releases.
/// <see cref="Server"/> is null for <c>2k3</c>, which served both Server 2003 and XP x64 (both NT 5.2).
/// </summary>
internal sealed record VirtioOsFolder(string Name, string RpmName, int Major, int Minor, bool? Server, int Build)
{
    /// <summary>Every folder known, oldest first. RPM names are the legacy <c>drivers/&lt;arch&gt;/WinNN</c> folders.</summary>
    public static readonly IReadOnlyList<VirtioOsFolder> Known =
    [
        new("xp", "WinXP", 5, 1, false, 0),
        new("2k3", "Win2003", 5, 2, null, 0),
        new("vista", "WinVista", 6, 0, false, 0),
        new("2k8", "Win2008", 6, 0, true, 0),
        new("w7", "Win7", 6, 1, false, 0),
        new("2k8R2", "Win2008R2", 6, 1, true, 0),
        new("w8", "Win8", 6, 2, false, 0),
        new("2k12", "Win2012", 6, 2, true, 0),
        new("w8.1", "Win8.1", 6, 3, false, 0),
        new("2k12R2", "Win2012R2", 6, 3, true, 0),
        new("w10", "Win10", 10, 0, false, 10240),
        new("w11", "Win11", 10, 0, false, 22000),
        new("2k16", "Win2016", 10, 0, true, 14393),
        new("2k19", "Win2019", 10, 0, true, 17763),
        new("2k22", "Win2022", 10, 0, true, 20348),
        new("2k25", "Win2025", 10, 0, true, 26100),
    ];

    /// <summary>The folder an on-disk name stands for (ISO <c>w8.1</c> or RPM <c>Win8.1</c>, any case), or null.</summary>
    public static VirtioOsFolder? Find(string onDisk) =>
        Known.FirstOrDefault(f => string.Equals(f.Name, onDisk, StringComparison.OrdinalIgnoreCase)
                                  || string.Equals(f.RpmName, onDisk, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether this folder serves the release's NT version and kind (client or server).</summary>
    public bool Serves(int major, int minor, bool server) =>
        Major == major && Minor == minor && (Server is null || Server == server);
}
