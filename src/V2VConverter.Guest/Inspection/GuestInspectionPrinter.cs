using System.Text;
using System.Text.Json;

namespace V2VConverter.Guest.Inspection;

/// <summary>Renders a <see cref="GuestInspection"/> as text (for <c>v2v inspect X.vmx --guest</c>); the JSON is V2VConverter.Pipeline.Documents.GuestInspectionSection.</summary>
public static class GuestInspectionPrinter
{
    public static string ToText(GuestInspection i)
    {
        var sb = new StringBuilder();
        void Row(string k, string v) => sb.Append("  ").Append(k.PadRight(18)).Append(v).Append('\n');
        sb.Append("Guest operating system\n");
        Row("os", $"{i.OsType} / {i.Distro} {i.Version} / {i.Arch}");
        Row("product", i.ProductName);
        Row("hostname", i.Hostname ?? "-");
        Row("root", i.Root);
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

    private static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
}
