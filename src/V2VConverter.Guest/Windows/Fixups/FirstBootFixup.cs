using V2VConverter.Guest.Fixups;
using System.Formats.Tar;
using System.Text;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Windows.FirstBoot;

namespace V2VConverter.Guest.Windows.Fixups;

/// <summary>
/// Registers the first-boot work as a machine startup script of the local Group Policy (Windows runs it as SYSTEM at boot,
/// before logon; no third-party service wrapper such as rhsrvany): install the staged drivers with pnputil, install the
/// guest agent, try VMware Tools' MSI uninstall, re-apply each static IP configuration to the NIC with the same MAC, then
/// remove itself. The scripts come from <see cref="FirstBootPlanner"/>; this fixup writes them and their registry values.
/// </summary>
public sealed class FirstBootFixup : IWindowsFixup
{
    /// <summary>Bound on the guest's own scripts.ini / gpt.ini read back for merging.</summary>
    public const int MaxIniBytes = 1 << 20;

    public string Name => "firstboot";

    public FixupResult Apply(WindowsFixupContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var r = new WindowsFixupRecorder(Name, c);
        var statics = new List<StaticIpConfig>();
        foreach (var n in c.Inspection.Nics.Where(n => n.IsStatic))
        {
            if (n.Mac is null)
            {
                r.Warn($"static IP {string.Join(", ", n.Addresses)} of {n.ConnectionName ?? n.InterfaceGuid} ({n.Description}): {n.MacMatch}; it is not re-applied");
                continue;
            }

            statics.Add(new StaticIpConfig(n.Mac, n.Addresses, n.SubnetMasks, n.Gateways, n.DnsServers, n.ConnectionName));
            r.Action($"static IP {string.Join(", ", n.Addresses)} gw {string.Join(", ", n.Gateways)} dns {string.Join(", ", n.DnsServers)} of {n.ConnectionName ?? n.InterfaceGuid} re-applied at first boot to the NIC with MAC {n.Mac} (matched by {n.MacMatch})");
        }

        if (c.DriverFolderWindows is null && c.GuestAgentMsiWindows is null && c.ToolsProductCodes.Count == 0 && statics.Count == 0)
        {
            r.Verified("nothing to do at first boot: no first-boot script registered");
            return r.Finish(FixupStatus.NotNeeded);
        }

        var gp = c.Session.ResolveCase(c.Inspection.SystemRoot + "/System32/GroupPolicy");
        var request = new FirstBootRequest(
            c.Inspection.Release,
            c.Inspection.SystemRootWindows,
            c.DriverFolderWindows,
            c.GuestAgentMsiWindows,
            c.ToolsProductCodes,
            statics,
            ReadIni(c.Session, gp + "/Machine/Scripts/scripts.ini"),
            ReadIni(c.Session, gp + "/gpt.ini"),
            c.Software.Hive.SubkeyNames(GpoStartupRegistry.Roots(c.Inspection.Release)[0] + @"\0").Count);
        var plan = FirstBootPlanner.Build(request);
        // One tar for every file (a single transfer; an upload per file costs a round trip each under TCG). The folders that
        // exist are named as the guest spells them, so that nothing is created twice on a case-sensitive NTFS mount.
        var tar = Path.Combine(Path.GetTempPath(), $"v2v-firstboot-{Guid.NewGuid():N}.tar");
        try
        {
            using (var stream = File.Create(tar))
            using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false))
            {
                foreach (var f in plan.Files)
                {
                    var path = c.Session.ResolveCase(f.GuestPath);
                    var existed = c.Session.Exists(path);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, path.TrimStart('/')) { DataStream = new MemoryStream(f.Content), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead };
                    writer.WriteEntry(entry);
                    r.File(path, !existed, $"{f.Content.Length} bytes");
                }
            }

            c.Session.TarIn(tar, "/");
        }
        finally
        {
            File.Delete(tar);
        }

        foreach (var w in plan.Registry)
        {
            var editor = w.Hive.Equals("SYSTEM", StringComparison.OrdinalIgnoreCase) ? c.System : c.Software;
            editor.SetValue(w.Key, w.Name, w.Value, "first-boot startup script (local Group Policy)");
        }

        r.Action($"first-boot steps registered as a local Group Policy startup script: {string.Join(", ", plan.Steps)}; log {plan.LogPath}");
        return r.Finish();
    }

    /// <summary>An INI file of the guest as text (UTF-16 with a BOM, or ANSI); null when it does not exist.</summary>
    private static string? ReadIni(GuestfsSession s, string path)
    {
        if (!s.IsFile(path))
        {
            return null;
        }

        var bytes = s.ReadAllBytes(path, MaxIniBytes);
        return bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE
            ? Encoding.Unicode.GetString(bytes, 2, bytes.Length - 2)
            : Encoding.Latin1.GetString(bytes);
    }
}
