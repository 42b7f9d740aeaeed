namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>The ways a virtio-win tree lays its drivers out, best first (the order <see cref="VirtioWinCatalog"/> tries them).</summary>
internal enum VirtioWinLayoutKind
{
    /// <summary><c>&lt;Driver&gt;/&lt;os&gt;/&lt;amd64|x86&gt;/file</c>: the ISO, and the RPM's <c>drivers/by-driver/</c>.</summary>
    PerDriver,

    /// <summary><c>drivers/by-os/&lt;amd64|i386&gt;/&lt;os&gt;/file</c>: the RPM, every driver of one OS in one folder.</summary>
    ByOs,

    /// <summary><c>drivers/&lt;amd64|i386&gt;/&lt;WinNN&gt;/file</c>: the RPM's legacy folders (storage and network only).</summary>
    RpmLegacy,

    /// <summary><c>&lt;amd64|i386&gt;/&lt;os&gt;/file</c> at the ISO root: copies of the storage drivers for installers.</summary>
    TopLevelArch,
}

/// <summary>
/// One file of a virtio-win tree that lies in an OS folder: its layout, OS folder (as on disk and as known), whether it
/// is for 64-bit x86, the driver folder (per-driver layout only) and the file name.
/// </summary>
internal sealed record VirtioWinEntry(
    VirtioWinLayoutKind Layout, string RelativePath, string OsOnDisk, VirtioOsFolder Os, bool Is64Bit, string? DriverDir, string FileName)
{
    /// <summary>
    /// Places a relative path ('/'-separated) in a layout, or null when it is no driver file of a known OS folder and a
    /// 64-bit or 32-bit x86 architecture folder (ARM64 and unknown folders are left out).
    /// </summary>
    public static VirtioWinEntry? TryParse(string relativePath)
    {
        var s = relativePath.Split('/');
        if (s.Length == 6 && Is(s[0], "drivers") && Is(s[1], "by-driver"))
        {
            return Make(VirtioWinLayoutKind.PerDriver, relativePath, s[3], s[4], s[2], s[5]);
        }

        if (s.Length == 5 && Is(s[0], "drivers") && Is(s[1], "by-os"))
        {
            return Make(VirtioWinLayoutKind.ByOs, relativePath, s[3], s[2], null, s[4]);
        }

        if (s.Length == 4 && Is(s[0], "drivers"))
        {
            return Make(VirtioWinLayoutKind.RpmLegacy, relativePath, s[2], s[1], null, s[3]);
        }

        if (s.Length == 4)
        {
            return Make(VirtioWinLayoutKind.PerDriver, relativePath, s[1], s[2], s[0], s[3]);
        }

        return s.Length == 3 ? Make(VirtioWinLayoutKind.TopLevelArch, relativePath, s[1], s[0], null, s[2]) : null;
    }

    private static VirtioWinEntry? Make(VirtioWinLayoutKind layout, string path, string os, string arch, string? driverDir, string file)
    {
        var folder = VirtioOsFolder.Find(os);
        bool? is64 = arch.ToLowerInvariant() switch
        {
            "amd64" => true,
            "x86" or "i386" => false,
            _ => null,
        };
        return folder is null || is64 is null || file.Length == 0 ? null : new(layout, path, os, folder, is64.Value, driverDir, file);
    }

    private static bool Is(string segment, string name) => string.Equals(segment, name, StringComparison.OrdinalIgnoreCase);
}
