using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// One NIC's static IPv4 configuration to re-apply at first boot to the adapter with the same MAC
/// (<c>"00:50:56:01:0a:10"</c>, any separator or case). <paramref name="OldConnectionName"/> is only logged.
/// </summary>
public sealed record StaticIpConfig(
    string Mac,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> SubnetMasks,
    IReadOnlyList<string> Gateways,
    IReadOnlyList<string> DnsServers,
    string? OldConnectionName);

/// <summary>
/// What the first-boot plan needs to know of a converted Windows guest: its release, its SystemRoot as the guest names it
/// (<c>C:\Windows</c>, <c>C:\WINDOWS</c>), what was staged (drivers, guest agent MSI), what to remove and restore, and the
/// guest's existing local Group Policy startup scripts (scripts.ini and gpt.ini text, null when absent, and how many
/// numbered <c>Scripts\Startup\0\N</c> subkeys the registry already holds), which the plan keeps and restores.
/// </summary>
public sealed record FirstBootRequest(
    WindowsRelease Release,
    string SystemRoot,
    string? DriverFolder,
    string? GuestAgentMsi,
    IReadOnlyList<string> VmwareToolsProductCodes,
    IReadOnlyList<StaticIpConfig> StaticIps,
    string? ExistingScriptsIni,
    string? ExistingGptIni,
    int ExistingStartupScripts);

/// <summary>A file to write into the guest: '/'-separated path from the root of C:, in the case Windows shows, and its bytes.</summary>
public sealed record GuestFile(string GuestPath, byte[] Content);

/// <summary>A registry value to set in a guest hive (<c>"SOFTWARE"</c>); <paramref name="Key"/> is below the hive root.</summary>
public sealed record RegistryWrite(string Hive, string Key, string Name, RegValue Value);

/// <summary>
/// The files and registry values that make Windows run our first-boot steps once, as a local Group Policy startup
/// script; <paramref name="Steps"/> names the steps in the order they run; <paramref name="LogPath"/> is the Windows
/// path of the log the scripts append to (it stays after the cleanup step).
/// </summary>
public sealed record FirstBootPlan(IReadOnlyList<GuestFile> Files, IReadOnlyList<RegistryWrite> Registry, IReadOnlyList<string> Steps, string LogPath);
