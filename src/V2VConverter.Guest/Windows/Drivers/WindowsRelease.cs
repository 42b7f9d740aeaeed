namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// Which Windows a guest runs, as the driver choice needs it: NT version (10.0, 6.3, 6.1, 5.1...), build number
/// (tells Windows 11 from 10 and the Server releases apart), client or server, and architecture ("x86_64" or "i386").
/// </summary>
public sealed record WindowsRelease(int Major, int Minor, int Build, bool Server, string Arch, string ProductName)
{
    /// <summary>Windows 8 / Server 2012 and later keep boot-critical device bindings in <c>SYSTEM\DriverDatabase</c>; older ones in <c>CriticalDeviceDatabase</c>.</summary>
    public bool HasDriverDatabase => Major > 6 || (Major == 6 && Minor >= 2);

    public bool Is64Bit => Arch == "x86_64";

    public override string ToString() => $"{ProductName} (NT {Major}.{Minor} build {Build}, {(Server ? "server" : "client")}, {Arch})";
}
