namespace V2VConverter.Model.Vm;

public enum GuestFamily
{
    Unknown,
    Linux,
    Windows,
    Bsd,
    Solaris,
    Darwin,
    Other,
}

public enum GuestArchitecture
{
    I686,
    X86_64,
    Aarch64,
}

/// <summary>The guest OS as <c>guestOS</c> names it, and what the catalog says about it.</summary>
public sealed record GuestOs(
    string VmxId,
    GuestFamily Family,
    string Distribution,
    string Version,
    GuestArchitecture Architecture,
    bool HasVirtioDrivers,
    string Description)
{
    /// <summary>An old OS (XP, 2003...) that wants the legacy i440fx machine and IDE disks.</summary>
    public bool Legacy { get; init; }

    public static GuestOs Unknown(string vmxId, GuestArchitecture arch) =>
        new(vmxId, GuestFamily.Unknown, "unknown", "", arch, false, $"unknown guestOS \"{vmxId}\"");
}
