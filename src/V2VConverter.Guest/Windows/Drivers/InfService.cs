namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// A service an INF installs (<c>AddService=name,flags,install-section</c>) with the values of its install section:
/// ServiceType (1 kernel driver), StartType (0 boot, 3 demand), ErrorControl, ServiceBinary as written with
/// %strings% substituted (<c>%12%\viostor.sys</c>: %12% is the drivers directory) and LoadOrderGroup. A value the
/// section does not set is null.
/// </summary>
public sealed record InfService(string Name, int? ServiceType, int? StartType, int? ErrorControl, string? ServiceBinary, string? LoadOrderGroup);
