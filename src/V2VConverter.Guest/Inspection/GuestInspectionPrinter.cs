using System.Text;
using System.Text.Json;

namespace V2VConverter.Guest.Inspection;

/// <summary>Renders a <see cref="GuestInspection"/> as text (for <c>v2v inspect X.vmx --guest</c>); the JSON is V2VConverter.Pipeline.Documents.GuestInspectionSection.</summary>
public static class GuestInspectionPrinter
{
    public static string ToText(GuestInspection i)
    {
        ArgumentNullException.ThrowIfNull(i);
        if (i.Windows is { } windows)
        {
            return WindowsText(i, windows);
        }

        var sb = new StringBuilder();
        void Row(string k, string v) => sb.Append("  ").Append(k.PadRight(18)).Append(v).Append('\n');
        sb.Append("Guest operating system\n");
        Row("os", $"{i.Os.OsType} / {i.Os.Distro} {i.Version} / {i.Os.Arch}");
        Row("product", i.Os.ProductName);
        Row("hostname", i.Os.Hostname ?? "-");
        Row("root", i.Os.Root);
        Row("packages", $"{i.PackageFormat} ({i.PackageManager})");
        Row("initramfs", Name(i.InitramfsTool));
        Row("bootloader", $"{Name(i.Bootloader.Kind)}{(i.Bootloader.ConfigPath is null ? "" : $" ({i.Bootloader.ConfigPath})")}");
        Row("kernels", i.Kernels.Count == 0 ? "-" : string.Join(", ", i.Kernels.Select(k => k.Version + (k.InitrdPath is null ? " (no initrd)" : ""))));
        Row("vmware tools", $"{Name(i.VmwareTools.Flavour)}{(i.VmwareTools.Packages.Count > 0 ? $" ({string.Join(' ', i.VmwareTools.Packages)})" : "")}");
        Row("network config", i.Network.Systems.Count == 0 ? "-" : string.Join(", ", i.Network.Systems.Select(Name)));
        Row("interfaces", i.Network.Interfaces.Count == 0 ? "-" : string.Join(", ", i.Network.Interfaces.Select(n => $"{n.Name ?? "(by MAC)"}{(n.MacAddress is null ? "" : " " + n.MacAddress)} [{Name(n.System)}]")));
        Row("lvm", i.VolumeGroups.Count == 0 ? "-" : $"VGs {string.Join(' ', i.VolumeGroups)}; LVs {string.Join(' ', i.LogicalVolumes)}");
        sb.Append("Filesystems\n");
        foreach (var f in i.Filesystems)
        {
            sb.Append("  ").Append(f.Device.PadRight(18)).Append(f.Type.PadRight(8)).Append((f.MountPoint ?? "-").PadRight(10))
              .Append(f.Uuid is null ? "" : "UUID=" + f.Uuid).Append(f.Label is null ? "" : $" LABEL={f.Label}").Append('\n');
        }

        foreach (var w in i.Warnings)
        {
            sb.Append("warning: ").Append(w).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A Windows guest: version, registry facts, VMware Tools and services, NICs with their static IPs, concerns.</summary>
    private static string WindowsText(GuestInspection i, V2VConverter.Guest.Windows.Inspection.WindowsInspection w)
    {
        var sb = new StringBuilder();
        void Row(string k, string v) => sb.Append("  ").Append(k.PadRight(18)).Append(v).Append('\n');
        sb.Append("Guest operating system\n");
        Row("os", $"windows {w.Major}.{w.Minor} build {w.Build} / {w.Variant} / {w.Arch}");
        Row("product", w.ProductName + (w.EditionId is null ? "" : $" ({w.EditionId})"));
        Row("hostname", i.Os.Hostname ?? "-");
        Row("root", i.Os.Root);
        Row("system root", w.SystemRootWindows);
        Row("control set", w.ControlSet);
        Row("drive letters", w.DriveLetters.Count == 0 ? "-" : string.Join(", ", w.DriveLetters.Select(d => $"{d.Letter}: {d.Device}")));
        Row("driver binding", w.HasDriverDatabase ? "DriverDatabase (Windows 8 and later)" : "CriticalDeviceDatabase (before Windows 8)");
        Row("firmware", w.EspDevice is null ? "BIOS (no EFI system partition)" : $"UEFI (EFI system partition {w.EspDevice})");
        Row("vmware tools", w.VmwareTools.Count == 0 ? "none" : string.Join("; ", w.VmwareTools.Select(t => $"{t.DisplayName} {t.Version} ({t.ProductCode ?? "no product code"})")));
        Row("vmware services", w.VmwareServices.Count == 0 ? "none" : string.Join(", ", w.VmwareServices.Select(s => $"{s.Name} (start {s.Start?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"})")));
        sb.Append("Network adapters\n");
        foreach (var n in w.Nics)
        {
            var ip = n.Dhcp ? "DHCP" : $"static {string.Join(", ", n.Addresses.Zip(n.SubnetMasks.Concat(Enumerable.Repeat("?", n.Addresses.Count)), (a, m) => $"{a}/{m}"))} gw {Join(n.Gateways)} dns {Join(n.DnsServers)}";
            Row(n.ConnectionName ?? n.InterfaceGuid, $"{n.Description ?? "(no adapter)"}; {ip}; MAC {n.Mac ?? "-"} ({n.MacMatch})");
        }

        if (w.Nics.Count == 0)
        {
            sb.Append("  (none configured)\n");
        }

        sb.Append("Filesystems\n");
        foreach (var f in i.Filesystems)
        {
            sb.Append("  ").Append(f.Device.PadRight(18)).Append(f.Type.PadRight(8)).Append((f.MountPoint ?? "-").PadRight(10))
              .Append(f.Uuid is null ? "" : "UUID=" + f.Uuid).Append(f.Label is null ? "" : $" LABEL={f.Label}").Append('\n');
        }

        foreach (var c in w.Concerns)
        {
            sb.Append(c.ToString()).Append('\n');
        }

        return sb.ToString();
    }

    private static string Join(IReadOnlyList<string> items) => items.Count == 0 ? "-" : string.Join(", ", items);

    private static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
