using System.Globalization;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.Inspection;

/// <summary>
/// What the SYSTEM and SOFTWARE hives say about a Windows guest: version, VMware Tools, VMware services, network adapters
/// with their static IP configuration, and the registry-side blockers. Pure reads over <see cref="Hive"/>: testable on
/// local hives without an appliance.
/// </summary>
public static class WindowsRegistryFacts
{
    /// <summary>The class of network adapters (Control\Class\{GUID}).</summary>
    public const string NetClassGuid = "{4d36e972-e325-11ce-bfc1-08002be10318}";

    private const string CurrentVersionKey = @"Microsoft\Windows NT\CurrentVersion";
    private const string UninstallKey = @"Microsoft\Windows\CurrentVersion\Uninstall";
    private const string Wow64UninstallKey = @"WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall";

    /// <summary>
    /// The services and drivers VMware Tools installs (and VMware's own storage/network drivers): disabled on KVM, where their
    /// devices do not exist. A service whose ImagePath lies under a "\VMware\" folder counts too.
    /// </summary>
    public static readonly IReadOnlySet<string> VmwareServiceNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "VMTools", "VGAuthService", "vmvss", "VMwareCAFManagementAgentHost", "VMwareCAFCommAmqpListener", "vmci", "vsock", "vmhgfs",
        "vmmouse", "vmusbmouse", "vmkbd", "vm3dmp", "vm3dmp_loader", "vm3dmp-debug", "vm3dmp-stats", "vm3dservice", "vmrawdsk",
        "vmmemctl", "vmxnet", "vmxnet3ndis6", "vmxnet3", "pvscsi", "vmStorFl", "vsepflt", "vnetflt", "vnetWFP", "VMUSBArbService",
        "vmx_svga", "vmaudio", "giappdef", "VMware Physical Disk Helper Service",
    };

    public static string? ProductName(Hive software) => software.GetValue(CurrentVersionKey, "ProductName")?.AsString();

    public static int Build(Hive software)
    {
        var s = software.GetValue(CurrentVersionKey, "CurrentBuildNumber")?.AsString() ?? software.GetValue(CurrentVersionKey, "CurrentBuild")?.AsString();
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) ? b : 0;
    }

    public static string? EditionId(Hive software) => software.GetValue(CurrentVersionKey, "EditionID")?.AsString();

    /// <summary>Every Uninstall entry (64- and 32-bit views) whose DisplayName starts with "VMware Tools".</summary>
    public static IReadOnlyList<VmwareToolsInstall> VmwareTools(Hive software)
    {
        var found = new List<VmwareToolsInstall>();
        foreach (var root in new[] { UninstallKey, Wow64UninstallKey })
        {
            foreach (var sub in software.SubkeyNames(root))
            {
                var key = root + "\\" + sub;
                var name = software.GetValue(key, "DisplayName")?.AsString();
                if (name is null || !name.StartsWith("VMware Tools", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                found.Add(new VmwareToolsInstall(
                    name,
                    software.GetValue(key, "DisplayVersion")?.AsString(),
                    ProductCode(sub, software.GetValue(key, "UninstallString")?.AsString()),
                    software.GetValue(key, "InstallLocation")?.AsString(),
                    key));
            }
        }

        return found;
    }

    /// <summary>The MSI product code: the Uninstall subkey when it is a GUID, else the {GUID} after /I or /X in the uninstall command.</summary>
    public static string? ProductCode(string subkey, string? uninstallString)
    {
        if (IsGuid(subkey))
        {
            return subkey.ToUpperInvariant();
        }

        if (uninstallString is null)
        {
            return null;
        }

        var at = uninstallString.IndexOf('{', StringComparison.Ordinal);
        var end = at < 0 ? -1 : uninstallString.IndexOf('}', at);
        return end > at && IsGuid(uninstallString[at..(end + 1)]) ? uninstallString[at..(end + 1)].ToUpperInvariant() : null;
    }

    /// <summary>The VMware services and drivers present under Services.</summary>
    public static IReadOnlyList<WindowsService> VmwareServices(Hive system, string controlSet)
    {
        var list = new List<WindowsService>();
        var services = controlSet + @"\Services";
        foreach (var name in system.SubkeyNames(services))
        {
            var key = services + "\\" + name;
            var image = system.GetValue(key, "ImagePath")?.AsString();
            if (!VmwareServiceNames.Contains(name) && (image is null || !image.Contains(@"\VMware\", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            list.Add(Service(system, controlSet, name));
        }

        return list;
    }

    public static WindowsService Service(Hive system, string controlSet, string name)
    {
        var key = $@"{controlSet}\Services\{name}";
        return new WindowsService(
            name,
            system.GetValue(key, "Start")?.AsDword(),
            system.GetValue(key, "Type")?.AsDword(),
            system.GetValue(key, "ImagePath")?.AsString(),
            system.GetValue(key, "Group")?.AsString(),
            system.GetValue(key, "DisplayName")?.AsString());
    }

    /// <summary>
    /// Every TCP/IP interface with an address configuration, joined to its adapter: class key (NetCfgInstanceId), PnP device
    /// (Enum\PCI\...: Driver points at the class key, UINumber is the PCI slot VMware gave it), connection name. The MAC comes
    /// from, in order: the adapter's NetworkAddress override; the source NIC whose pciSlotNumber equals the device's UINumber;
    /// the only source NIC when the guest has only one present adapter. An adapter with none of these keeps no MAC (its
    /// settings cannot be re-applied, and the report says so).
    /// </summary>
    public static IReadOnlyList<WindowsNic> Nics(Hive system, string controlSet, IReadOnlyList<NicInfo> sourceNics)
    {
        var adapters = Adapters(system, controlSet);
        var interfaces = controlSet + @"\Services\Tcpip\Parameters\Interfaces";
        var result = new List<WindowsNic>();
        var present = adapters.Values.Count(a => a.Slot is not null || a.NetworkAddress is not null);
        foreach (var guid in system.SubkeyNames(interfaces))
        {
            var key = interfaces + "\\" + guid;
            var dhcp = system.GetValue(key, "EnableDHCP")?.AsDword() is not 0u;
            var addresses = Strings(system.GetValue(key, "IPAddress"));
            var masks = Strings(system.GetValue(key, "SubnetMask"));
            var gateways = Strings(system.GetValue(key, "DefaultGateway"));
            var dns = (system.GetValue(key, "NameServer")?.AsString() ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            adapters.TryGetValue(guid.ToUpperInvariant(), out var adapter);
            if (adapter is null && addresses.Count == 0 && dhcp)
            {
                continue; // an interface of a tunnel or a long-gone adapter with nothing to keep
            }

            var (mac, how) = MatchMac(adapter, sourceNics, present);
            result.Add(new WindowsNic(
                guid,
                adapter?.Description,
                system.GetValue($@"{controlSet}\Control\Network\{NetClassGuid}\{guid}\Connection", "Name")?.AsString(),
                adapter?.PnpInstance,
                adapter?.Slot,
                mac,
                how,
                dhcp,
                addresses,
                masks,
                gateways,
                dns));
        }

        return result;
    }

    /// <summary>HiberbootEnabled (Fast Startup): null when the value is absent.</summary>
    public static uint? HiberbootEnabled(Hive system, string controlSet) =>
        system.GetValue($@"{controlSet}\Control\Session Manager\Power", "HiberbootEnabled")?.AsDword();

    /// <summary>A reboot Windows Update or component servicing is waiting for (the keys they create while one is pending).</summary>
    public static string? PendingReboot(Hive software)
    {
        if (software.KeyExists(@"Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired"))
        {
            return @"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
        }

        if (software.KeyExists(@"Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending"))
        {
            return @"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
        }

        return null;
    }

    public static bool HasDriverDatabase(Hive system) => system.KeyExists("DriverDatabase");

    /// <summary>"Client" or "Server": InstallationType (Windows 7 and later: "Client", "Server", "Server Core"), else the product name.</summary>
    public static string Variant(Hive software)
    {
        var type = software.GetValue(CurrentVersionKey, "InstallationType")?.AsString();
        if (type is not null)
        {
            return type.StartsWith("Server", StringComparison.OrdinalIgnoreCase) ? "Server" : "Client";
        }

        return (ProductName(software) ?? "").Contains("Server", StringComparison.OrdinalIgnoreCase) ? "Server" : "Client";
    }

    /// <summary>Where a drive letter of <c>SYSTEM\MountedDevices</c> points: an MBR disk signature and byte offset, or a GPT partition GUID.</summary>
    public sealed record MountedVolume(string Letter, uint? MbrSignature, ulong? Offset, Guid? GptPartition);

    /// <summary>The drive letters (\DosDevices\C: ...) whose data is a basic-disk volume: 12 bytes (MBR) or "DMIO:ID:" and a GUID (GPT).</summary>
    public static IReadOnlyList<MountedVolume> MountedDevices(Hive system)
    {
        var result = new List<MountedVolume>();
        foreach (var (name, value) in system.Values("MountedDevices"))
        {
            const string prefix = @"\DosDevices\";
            if (!name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || name.Length != prefix.Length + 2 || name[^1] != ':')
            {
                continue;
            }

            var letter = name[prefix.Length..(prefix.Length + 1)].ToUpperInvariant();
            var data = value.Data;
            if (data.Length == 12)
            {
                result.Add(new MountedVolume(letter, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data), System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(4)), null));
            }
            else if (data.Length == 24 && System.Text.Encoding.ASCII.GetString(data, 0, 8) == "DMIO:ID:")
            {
                result.Add(new MountedVolume(letter, null, null, new Guid(data.AsSpan(8, 16))));
            }
        }

        return result.OrderBy(v => v.Letter, StringComparer.Ordinal).ToList();
    }

    private sealed record Adapter(string ClassKey, string? Description, string? NetworkAddress, string? PnpInstance, int? Slot);

    /// <summary>Network adapters by NetCfgInstanceId (upper-case), with their PnP device when one points at their class key.</summary>
    private static Dictionary<string, Adapter> Adapters(Hive system, string controlSet)
    {
        var classRoot = $@"{controlSet}\Control\Class\{NetClassGuid}";
        var byClassKey = new Dictionary<string, (string Instance, int? Slot)>(StringComparer.OrdinalIgnoreCase);
        var pci = controlSet + @"\Enum\PCI";
        foreach (var hw in system.SubkeyNames(pci))
        {
            foreach (var inst in system.SubkeyNames(pci + "\\" + hw))
            {
                var key = $@"{pci}\{hw}\{inst}";
                var driver = system.GetValue(key, "Driver")?.AsString();
                if (driver is null || !driver.StartsWith(NetClassGuid, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                byClassKey[driver[(NetClassGuid.Length + 1)..]] = ($@"PCI\{hw}\{inst}", (int?)system.GetValue(key, "UINumber")?.AsDword());
            }
        }

        var adapters = new Dictionary<string, Adapter>(StringComparer.Ordinal);
        foreach (var sub in system.SubkeyNames(classRoot))
        {
            var key = classRoot + "\\" + sub;
            var id = system.GetValue(key, "NetCfgInstanceId")?.AsString();
            if (id is null)
            {
                continue;
            }

            byClassKey.TryGetValue(sub, out var dev);
            adapters[id.ToUpperInvariant()] = new Adapter(sub, system.GetValue(key, "DriverDesc")?.AsString(), system.GetValue(key, "NetworkAddress")?.AsString(), dev.Instance, dev.Slot);
        }

        return adapters;
    }

    private static (string? Mac, string How) MatchMac(Adapter? adapter, IReadOnlyList<NicInfo> sourceNics, int presentAdapters)
    {
        if (adapter is null)
        {
            return (null, "no adapter in the registry for this interface");
        }

        if (adapter.NetworkAddress is { Length: 12 } na && na.All(Uri.IsHexDigit))
        {
            var mac = string.Join(":", Enumerable.Range(0, 6).Select(i => na.Substring(i * 2, 2))).ToLowerInvariant();
            return (mac, "the adapter's NetworkAddress");
        }

        if (adapter.Slot is { } slot)
        {
            var bySlot = sourceNics.Where(n => n.PciSlotNumber == slot).ToList();
            if (bySlot.Count == 1)
            {
                return (bySlot[0].MacAddress, $"PCI slot {slot} (the device's UINumber = ethernet{bySlot[0].Index}.pciSlotNumber)");
            }

            if (sourceNics.Any(n => n.PciSlotNumber is not null))
            {
                return (null, $"PCI slot {slot}: no NIC of the source VM is in that slot (an adapter that was removed)");
            }
        }

        if (presentAdapters == 1 && sourceNics.Count == 1)
        {
            return (sourceNics[0].MacAddress, "the only adapter and the only NIC");
        }

        return (null, "no MAC could be matched (no NetworkAddress, no slot number)");
    }

    private static IReadOnlyList<string> Strings(RegValue? v) => v?.AsMultiSz()?.Where(s => s.Length > 0).ToList() ?? [];

    private static bool IsGuid(string s) => s.Length == 38 && s[0] == '{' && s[^1] == '}' && Guid.TryParse(s, out _);
}
