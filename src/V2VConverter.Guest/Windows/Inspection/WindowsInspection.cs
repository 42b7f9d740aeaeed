using V2VConverter.Guest.Windows.Drivers;

namespace V2VConverter.Guest.Windows.Inspection;

/// <summary>How serious a finding is: a blocker stops the conversion unless <c>--force</c>.</summary>
public enum WindowsConcernSeverity
{
    Info,
    Warning,
    Blocker,
}

/// <summary>Something about the guest the user must know before it moves (hibernation, BitLocker, a pending reboot...), with a one-line fix.</summary>
public sealed record WindowsConcern(string Kind, WindowsConcernSeverity Severity, string Message, string Fix)
{
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()}: {Kind}: {Message} (fix: {Fix})";
}

/// <summary>VMware Tools as the Uninstall keys list it.</summary>
public sealed record VmwareToolsInstall(string DisplayName, string? Version, string? ProductCode, string? InstallLocation, string UninstallKey);

/// <summary>A service or driver of the guest (SYSTEM\ControlSetNNN\Services\Name).</summary>
public sealed record WindowsService(string Name, uint? Start, uint? Type, string? ImagePath, string? Group, string? DisplayName);

/// <summary>
/// One network adapter the guest configured: the TCP/IP interface (<c>Tcpip\Parameters\Interfaces\{GUID}</c>), the adapter
/// behind it (its class key and PnP device), and the MAC it was matched to, with how.
/// </summary>
public sealed record WindowsNic(
    string InterfaceGuid,
    string? Description,
    string? ConnectionName,
    string? PnpInstance,
    int? SlotNumber,
    string? Mac,
    string MacMatch,
    bool Dhcp,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> SubnetMasks,
    IReadOnlyList<string> Gateways,
    IReadOnlyList<string> DnsServers)
{
    public bool IsStatic => !Dhcp && Addresses.Any(a => a.Length > 0 && a != "0.0.0.0");
}

/// <summary>What <c>v2v inspect X.vmx --guest</c> shows for a Windows guest, and what the Windows fixups decide on.</summary>
public sealed record WindowsInspection
{
    public required string ProductName { get; init; }

    public required int Major { get; init; }

    public required int Minor { get; init; }

    /// <summary>CurrentBuildNumber (0 when the registry has none).</summary>
    public int Build { get; init; }

    /// <summary>"Client", "Server" (libguestfs's product variant).</summary>
    public required string Variant { get; init; }

    public string? EditionId { get; init; }

    /// <summary>"x86_64" or "i386".</summary>
    public required string Arch { get; init; }

    /// <summary>%SystemRoot% as a guest path of the mounted C: ("/Windows").</summary>
    public required string SystemRoot { get; init; }

    /// <summary>%SystemRoot% as Windows writes it ("C:\Windows").</summary>
    public string SystemRootWindows => "C:" + SystemRoot.Replace('/', '\\');

    /// <summary>"ControlSet001".</summary>
    public required string ControlSet { get; init; }

    public IReadOnlyList<(string Letter, string Device)> DriveLetters { get; init; } = [];

    public IReadOnlyList<VmwareToolsInstall> VmwareTools { get; init; } = [];

    /// <summary>The VMware services and drivers present (enabled or not).</summary>
    public IReadOnlyList<WindowsService> VmwareServices { get; init; } = [];

    public IReadOnlyList<WindowsNic> Nics { get; init; } = [];

    /// <summary>Windows 8 / 2012 and later: <c>SYSTEM\DriverDatabase</c> exists.</summary>
    public bool HasDriverDatabase { get; init; }

    /// <summary>The EFI system partition (appliance device) when the guest boots UEFI.</summary>
    public string? EspDevice { get; init; }

    public IReadOnlyList<WindowsConcern> Concerns { get; init; } = [];

    public bool Server => string.Equals(Variant, "Server", StringComparison.OrdinalIgnoreCase);

    public WindowsRelease Release => new(Major, Minor, Build, Server, Arch, ProductName);

    public IEnumerable<WindowsConcern> Blockers => Concerns.Where(c => c.Severity == WindowsConcernSeverity.Blocker);
}
