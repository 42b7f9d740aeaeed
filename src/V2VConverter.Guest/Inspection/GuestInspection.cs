using System.Text.Json.Serialization;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Inspection;

public enum InitramfsTool
{
    Unknown,
    InitramfsTools,
    Dracut,
    Mkinitrd,
}

public enum BootloaderKind
{
    Unknown,
    Grub2,
    GrubLegacy,
}

/// <summary>A filesystem on the guest's disks (appliance device name, as libguestfs sees it).</summary>
public sealed record GuestFilesystem(string Device, string Type, string? Uuid, string? Label, string? MountPoint);

/// <summary>An installed kernel: its version, image and initramfs (null when none was found).</summary>
public sealed record GuestKernel(string Version, string ImagePath, string? InitrdPath, bool HasModules);

public sealed record BootloaderInfo(BootloaderKind Kind, string? ConfigPath, string? DefaultsPath, string? DeviceMapPath, string? RegenerateCommand);

public sealed record VmwareToolsInfo(VmwareToolsFlavour Flavour, IReadOnlyList<string> Packages, string? Uninstaller, IReadOnlyList<string> ServiceLinks);

public sealed record NetworkInfo(IReadOnlyList<NetworkConfigSystem> Systems, IReadOnlyList<ConfiguredInterface> Interfaces);

/// <summary>
/// What the converter learned about a guest before changing it: everything the fixups decide on,
/// and what <c>v2v inspect X.vmx --guest</c> prints.
/// </summary>
/// <param name="Os">
/// Who the guest is: root, OS type, distribution, product, version, architecture, hostname. Not
/// serialized as an object: the JSON of <c>inspect --guest --json</c> and of the report keeps the
/// identity's keys at the top level of the inspection (the private <c>Json*</c> members below).
/// </param>
public sealed record GuestInspection([property: JsonIgnore] OsIdentity Os)
{

    public IReadOnlyList<GuestFilesystem> Filesystems { get; init; } = [];

    public IReadOnlyList<string> VolumeGroups { get; init; } = [];

    public IReadOnlyList<string> LogicalVolumes { get; init; } = [];

    /// <summary>deb, rpm, ... (inspect_get_package_format).</summary>
    public required string PackageFormat { get; init; }

    public required string PackageManager { get; init; }

    public InitramfsTool InitramfsTool { get; init; }

    public required BootloaderInfo Bootloader { get; init; }

    public IReadOnlyList<GuestKernel> Kernels { get; init; } = [];

    public required VmwareToolsInfo VmwareTools { get; init; }

    public required NetworkInfo Network { get; init; }

    public bool HasSystemd { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>"major.minor" of <see cref="Os"/>.</summary>
    [JsonPropertyOrder(1)]
    public string Version => $"{Os.MajorVersion}.{Os.MinorVersion}";

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("root")]
    private string JsonRoot => Os.Root;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("osType")]
    private string JsonOsType => Os.OsType;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("distro")]
    private string JsonDistro => Os.Distro;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("productName")]
    private string JsonProductName => Os.ProductName;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("majorVersion")]
    private int JsonMajorVersion => Os.MajorVersion;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("minorVersion")]
    private int JsonMinorVersion => Os.MinorVersion;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("arch")]
    private string JsonArch => Os.Arch;

    [JsonInclude, JsonPropertyOrder(-1), JsonPropertyName("hostname")]
    private string? JsonHostname => Os.Hostname;
}
