using V2VConverter.Guest.Network;
using V2VConverter.Guest.Tests.Windows.Registry;
using V2VConverter.Guest.Windows.Inspection;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Tests.Windows.Inspection;

/// <summary>The registry side of Windows inspection on real hives (hivexregedit-made): NICs matched to MACs, VMware Tools and services, blockers.</summary>
public sealed class WindowsRegistryFactsTests
{
    private const string Net = "{4d36e972-e325-11ce-bfc1-08002be10318}";

    private static readonly string SystemReg = $$"""
        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Class\{{Net}}\0007]
        "NetCfgInstanceId"=str(1):"{AAAA1111-2222-3333-4444-555566667777}"
        "DriverDesc"=str(1):"Intel(R) 82574L Gigabit Network Connection"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Class\{{Net}}\0011]
        "NetCfgInstanceId"=str(1):"{BBBB1111-2222-3333-4444-555566667777}"
        "DriverDesc"=str(1):"vmxnet3 Ethernet Adapter"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Class\{{Net}}\0012]
        "NetCfgInstanceId"=str(1):"{CCCC1111-2222-3333-4444-555566667777}"
        "DriverDesc"=str(1):"Overridden"
        "NetworkAddress"=str(1):"02AABBCCDDEE"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Enum\PCI\VEN_8086&DEV_10D3&SUBSYS_07D015AD&REV_00\000C29FFFF0A1000]
        "Driver"=str(1):"{{Net}}\\0007"
        "UINumber"=dword:000000c0

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Enum\PCI\VEN_15AD&DEV_07B0&SUBSYS_07B015AD&REV_01\FF565000AB00]
        "Driver"=str(1):"{{Net}}\\0011"
        "UINumber"=dword:000000e0

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Network\{{Net}}\{AAAA1111-2222-3333-4444-555566667777}\Connection]
        "Name"=str(1):"Ethernet0"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip\Parameters\Interfaces\{AAAA1111-2222-3333-4444-555566667777}]
        "EnableDHCP"=dword:00000000
        "IPAddress"=hex(7):{{MultiSz("192.168.50.10", "192.168.50.11")}}
        "SubnetMask"=hex(7):{{MultiSz("255.255.255.0", "255.255.255.0")}}
        "DefaultGateway"=hex(7):{{MultiSz("192.168.50.1")}}
        "NameServer"=str(1):"192.168.50.2,1.1.1.1"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip\Parameters\Interfaces\{BBBB1111-2222-3333-4444-555566667777}]
        "EnableDHCP"=dword:00000001

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip\Parameters\Interfaces\{CCCC1111-2222-3333-4444-555566667777}]
        "EnableDHCP"=dword:00000000
        "IPAddress"=hex(7):{{MultiSz("10.0.0.5")}}
        "SubnetMask"=hex(7):{{MultiSz("255.0.0.0")}}

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip\Parameters\Interfaces\{DDDD1111-2222-3333-4444-555566667777}]
        "EnableDHCP"=dword:00000001

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\vmmouse]
        "Start"=dword:00000003
        "Type"=dword:00000001
        "ImagePath"=str(2):"system32\\DRIVERS\\vmmouse.sys"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\VGAuthService]
        "Start"=dword:00000002
        "Type"=dword:00000010
        "ImagePath"=str(2):"\"C:\\Program Files\\VMware\\VMware Tools\\VMware VGAuth\\VGAuthService.exe\""

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\VendorAgent]
        "Start"=dword:00000002
        "ImagePath"=str(2):"C:\\Program Files\\VMware\\Other\\agent.exe"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\LSI_SAS]
        "Start"=dword:00000000
        "ImagePath"=str(2):"system32\\drivers\\lsi_sas.sys"

        [HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\Session Manager\Power]
        "HiberbootEnabled"=dword:00000001

        """;

    private static readonly IReadOnlyList<NicInfo> SourceNics = [new NicInfo(0, "00:50:56:01:0a:10", 192, "e1000e")];

    [Fact]
    public void A_static_interface_is_matched_to_the_source_NIC_in_the_same_PCI_slot()
    {
        using var system = Hive.Open(HiveFiles.NewHive(WithParents(SystemReg)), writable: false);

        var nics = WindowsRegistryFacts.Nics(system, "ControlSet001", SourceNics);

        var e0 = Assert.Single(nics, n => n.InterfaceGuid == "{AAAA1111-2222-3333-4444-555566667777}");
        Assert.Equal("00:50:56:01:0a:10", e0.Mac);
        Assert.Contains("PCI slot 192", e0.MacMatch, StringComparison.Ordinal);
        Assert.True(e0.IsStatic);
        Assert.Equal(["192.168.50.10", "192.168.50.11"], e0.Addresses);
        Assert.Equal(["255.255.255.0", "255.255.255.0"], e0.SubnetMasks);
        Assert.Equal(["192.168.50.1"], e0.Gateways);
        Assert.Equal(["192.168.50.2", "1.1.1.1"], e0.DnsServers);
        Assert.Equal("Ethernet0", e0.ConnectionName);
        Assert.Equal(@"PCI\VEN_8086&DEV_10D3&SUBSYS_07D015AD&REV_00\000C29FFFF0A1000", e0.PnpInstance);
    }

    [Fact]
    public void A_removed_adapter_gets_no_MAC_and_an_overridden_one_keeps_its_NetworkAddress()
    {
        using var system = Hive.Open(HiveFiles.NewHive(WithParents(SystemReg)), writable: false);

        var nics = WindowsRegistryFacts.Nics(system, "ControlSet001", SourceNics);

        var removed = Assert.Single(nics, n => n.InterfaceGuid.StartsWith("{BBBB", StringComparison.Ordinal));
        Assert.Null(removed.Mac);
        Assert.Contains("no NIC of the source VM is in that slot", removed.MacMatch, StringComparison.Ordinal);
        Assert.True(removed.Dhcp);
        var overridden = Assert.Single(nics, n => n.InterfaceGuid.StartsWith("{CCCC", StringComparison.Ordinal));
        Assert.Equal("02:aa:bb:cc:dd:ee", overridden.Mac);
        Assert.Equal("the adapter's NetworkAddress", overridden.MacMatch);
        Assert.DoesNotContain(nics, n => n.InterfaceGuid.StartsWith("{DDDD", StringComparison.Ordinal)); // DHCP, no adapter: nothing to keep
    }

    [Fact]
    public void VMware_services_are_found_by_name_and_by_install_folder_and_Microsoft_drivers_are_not()
    {
        using var system = Hive.Open(HiveFiles.NewHive(WithParents(SystemReg)), writable: false);

        var services = WindowsRegistryFacts.VmwareServices(system, "ControlSet001").Select(s => s.Name).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["VGAuthService", "VendorAgent", "vmmouse"], services);
        Assert.Equal(1u, WindowsRegistryFacts.HiberbootEnabled(system, "ControlSet001"));
    }

    [Fact]
    public void VMware_Tools_is_found_in_both_uninstall_views_with_its_product_code()
    {
        const string software = """
            [HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows\CurrentVersion\Uninstall\{6D5B1F7A-3C2E-4B8D-9A10-0F1E2D3C4B5A}]
            "DisplayName"=str(1):"VMware Tools"
            "DisplayVersion"=str(1):"12.3.5.22544099"

            [HKEY_LOCAL_MACHINE\SYSTEM\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\VMwareToolsOld]
            "DisplayName"=str(1):"VMware Tools (legacy)"
            "UninstallString"=str(2):"MsiExec.exe /X{11111111-2222-3333-4444-555555555555}"

            [HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows\CurrentVersion\Uninstall\Other]
            "DisplayName"=str(1):"Something else"

            [HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired]

            """;
        using var hive = Hive.Open(HiveFiles.NewHive(WithParents(software)), writable: false);

        var tools = WindowsRegistryFacts.VmwareTools(hive);

        Assert.Equal(2, tools.Count);
        Assert.Equal("{6D5B1F7A-3C2E-4B8D-9A10-0F1E2D3C4B5A}", tools[0].ProductCode);
        Assert.Equal("12.3.5.22544099", tools[0].Version);
        Assert.Equal("{11111111-2222-3333-4444-555555555555}", tools[1].ProductCode);
        Assert.Equal(@"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired", WindowsRegistryFacts.PendingReboot(hive));
    }

    [Fact]
    public void Drive_letters_decode_MBR_and_GPT_entries_and_match_partitions_by_blkid_tags()
    {
        const string mounted = """
            [HKEY_LOCAL_MACHINE\SYSTEM\MountedDevices]
            "\\DosDevices\\C:"=hex(3):d2,04,00,00,00,00,50,06,00,00,00,00
            "\\DosDevices\\D:"=hex(3):44,4d,49,4f,3a,49,44,3a,5e,7a,8f,8c,2d,1b,3e,4c,9f,40,5a,6b,7c,8d,9e,01
            "\\??\\Volume{11111111-2222-3333-4444-555555555555}"=hex(3):d2,04,00,00,00,00,10,00,00,00,00,00

            [HKEY_LOCAL_MACHINE\SYSTEM\Select]
            "Current"=dword:00000002

            """;
        using var system = Hive.Open(HiveFiles.NewHive(WithParents(mounted)), writable: false);

        var volumes = WindowsRegistryFacts.MountedDevices(system);
        var tags = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["/dev/sda1"] = new Dictionary<string, string> { ["PTUUID"] = "000004d2", ["PART_ENTRY_OFFSET"] = "2048" },
            ["/dev/sda2"] = new Dictionary<string, string> { ["PTUUID"] = "000004d2", ["PART_ENTRY_OFFSET"] = "206848" },
            ["/dev/sdb3"] = new Dictionary<string, string> { ["PART_ENTRY_UUID"] = "8c8f7a5e-1b2d-4c3e-9f40-5a6b7c8d9e01" },
        };

        Assert.Equal(2, volumes.Count); // the \??\Volume{...} entry is not a drive letter
        Assert.Equal(("C", (uint?)0x4d2, (ulong?)(206848UL * 512)), (volumes[0].Letter, volumes[0].MbrSignature, volumes[0].Offset));
        Assert.Equal(Guid.Parse("8C8F7A5E-1B2D-4C3E-9F40-5A6B7C8D9E01"), volumes[1].GptPartition);
        Assert.Equal([("C", "/dev/sda2"), ("D", "/dev/sdb3")], WindowsInspector.DriveLetters(volumes, tags));
        Assert.Equal("ControlSet002", WindowsQuickIdentify.ControlSet(system));
    }

    [Fact]
    public void The_NT_version_comes_from_the_major_and_minor_numbers_or_from_CurrentVersion()
    {
        const string win10 = """
            [HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]
            "CurrentVersion"=str(1):"6.3"
            "CurrentMajorVersionNumber"=dword:0000000a
            "CurrentMinorVersionNumber"=dword:00000000
            "InstallationType"=str(1):"Server Core"

            """;
        const string win7 = """
            [HKEY_LOCAL_MACHINE\SYSTEM\Microsoft\Windows NT\CurrentVersion]
            "CurrentVersion"=str(1):"6.1"
            "ProductName"=str(1):"Windows 7 Professional"

            """;
        using var ten = Hive.Open(HiveFiles.NewHive(WithParents(win10)), writable: false);
        using var seven = Hive.Open(HiveFiles.NewHive(WithParents(win7)), writable: false);

        Assert.Equal((10, 0), WindowsQuickIdentify.Version(ten));
        Assert.Equal("Server", WindowsRegistryFacts.Variant(ten));
        Assert.Equal((6, 1), WindowsQuickIdentify.Version(seven));
        Assert.Equal("Client", WindowsRegistryFacts.Variant(seven));
    }

    /// <summary>hivexregedit --merge creates a key only under an existing parent: list every ancestor first.</summary>
    private static string WithParents(string reg)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { @"HKEY_LOCAL_MACHINE\SYSTEM" };
        var sb = new System.Text.StringBuilder();
        foreach (var line in reg.Split('\n'))
        {
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                var path = line[1..^1];
                var parts = path.Split('\\');
                for (var n = 3; n < parts.Length; n++)
                {
                    var parent = string.Join('\\', parts.Take(n));
                    if (seen.Add(parent))
                    {
                        sb.Append('[').Append(parent).Append("]\n\n");
                    }
                }

                seen.Add(path);
            }

            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }

    private static string MultiSz(params string[] items) =>
        string.Join(",", RegValue.MultiSz(items).Data.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
