using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Windows;

/// <summary>
/// The phony Windows guests (../shared/fixtures/make-windows-guest.sh, extended with a NIC's static IP by
/// tests/deps/setup.d/windows-fixture.sh) converted with the fake virtio-win tree by the real CLI. They do not boot, so the
/// tests read the output disk back (hivexregedit exports, folder listings, files) and check the exact registry keys,
/// the staged drivers, the first-boot scripts, the report and the XML.
/// </summary>
[Collection(WindowsCollection.Name)]
public sealed class WindowsCliTests(WindowsConversions conversions) : IClassFixture<WindowsConversions>
{
    private const string Cs = "ControlSet001";
    private const string VirtioBlkLegacy = @"PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00";
    private const string VirtioBlkModern = @"PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01";
    private const string VirtioScsiLegacy = @"PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00";
    private const string VirtioScsiModern = @"PCI\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01";

    /// <summary>The four variants (<see cref="WindowsConversions.ArgsFor"/> says how each is converted).</summary>
    public static TheoryData<string> Variants => new() { "win10", "win2k22", "win7-32", "winxp-32" };

    private WindowsRun Converted(string variant)
    {
        var run = conversions.Converted(variant);
        Assert.True(run.Result.ExitCode == 0, run.Result.Err);
        Assert.NotNull(run.System);
        Assert.NotNull(run.Software);
        return run;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_boot_disk_driver_is_boot_critical_with_its_device_binding(string variant)
    {
        var run = Converted(variant);
        var sys = run.System!;
        if (variant == "winxp-32")
        {
            Assert.False(sys.HasKey($@"{Cs}\Services\viostor"));
            Assert.Contains("has no virtio drivers for", run.Result.Err, StringComparison.Ordinal);
            Assert.Contains("compatibility devices", run.Result.Err, StringComparison.Ordinal);
            return;
        }

        var (driver, ids) = variant == "win2k22" ? ("vioscsi", new[] { VirtioScsiLegacy, VirtioScsiModern }) : ("viostor", new[] { VirtioBlkLegacy, VirtioBlkModern });
        var service = $@"{Cs}\Services\{driver}";
        Assert.Equal(RegValue.Dword(0), sys.Get(service, "Start"));
        Assert.Equal(RegValue.Dword(1), sys.Get(service, "Type"));
        Assert.Equal(RegValue.Sz("SCSI miniport"), sys.Get(service, "Group"));
        Assert.Equal(RegValue.ExpandSz($@"system32\drivers\{driver}.sys"), sys.Get(service, "ImagePath"));
        // Before and after, as the report lists them: the service did not exist on VMware.
        var startEdit = Assert.Single(Fixup(run, "virtio-drivers").GetProperty("registry").EnumerateArray(), e => e.GetProperty("key").GetString() == service && e.GetProperty("value").GetString() == "Start");
        Assert.Equal(JsonValueKind.Null, startEdit.GetProperty("before").ValueKind);
        Assert.Equal("dword:00000000", startEdit.GetProperty("after").GetString());
        var sysFile = run.Snapshot!.Files.Single(f => f.Key.EndsWith($"/drivers/{driver}.sys", StringComparison.Ordinal)).Value;
        Assert.True(sysFile is not null, $"no {driver}.sys in the output's drivers folder: {string.Join(", ", run.Snapshot.Dirs.Last().Value ?? [])}");
        Assert.Equal("MZ", Encoding.ASCII.GetString(sysFile.Head, 0, 2));

        if (variant == "win7-32")
        {
            // Before Windows 8: CriticalDeviceDatabase, each ID and its general forms, legacy and modern.
            foreach (var id in new[] { VirtioBlkLegacy, @"PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4", @"PCI\VEN_1AF4&DEV_1001", VirtioBlkModern, @"PCI\VEN_1AF4&DEV_1042" })
            {
                var cdd = $@"{Cs}\Control\CriticalDeviceDatabase\{id.Replace('\\', '#').ToLowerInvariant()}";
                Assert.Equal(RegValue.Sz(driver), sys.Get(cdd, "Service"));
                Assert.Equal(RegValue.Sz("{4D36E97B-E325-11CE-BFC1-08002BE10318}"), sys.Get(cdd, "ClassGUID"));
            }

            Assert.False(sys.HasKey("DriverDatabase"));
            return;
        }

        // Windows 8 and later: DriverDatabase, the INF published as oemN.inf with its package, for both PCI IDs.
        var infFiles = sys.SubkeysOf(@"DriverDatabase\DriverInfFiles").Where(k => k.StartsWith("oem", StringComparison.OrdinalIgnoreCase)).ToList();
        var oem = Assert.Single(infFiles);
        var package = sys.Get($@"DriverDatabase\DriverInfFiles\{oem}", "Active")!.Value.AsString()!;
        Assert.StartsWith($"{driver}.inf_amd64_", package, StringComparison.Ordinal);
        Assert.Equal(RegValue.MultiSz(package), sys.Get($@"DriverDatabase\DriverInfFiles\{oem}", ""));
        var configuration = sys.Get($@"DriverDatabase\DriverInfFiles\{oem}", "Configurations")!.Value.AsMultiSz()!.Single();
        Assert.Equal(RegValue.Sz(oem), sys.Get($@"DriverDatabase\DriverPackages\{package}", ""));
        Assert.Equal(RegValue.Sz(driver), sys.Get($@"DriverDatabase\DriverPackages\{package}\Configurations\{configuration}", "Service"));
        foreach (var id in ids)
        {
            Assert.Equal(RegValue.Binary([0x01, 0xff, 0x00, 0x00]), sys.Get($@"DriverDatabase\DeviceIds\{id}", oem));
            Assert.Equal(RegValue.Sz(configuration), sys.Get($@"DriverDatabase\DriverPackages\{package}\Descriptors\{id}", "Configuration"));
        }

        // The fixture's own LSI SAS binding is untouched.
        Assert.NotNull(sys.Get(@"DriverDatabase\DeviceIds\PCI\VEN_1000&DEV_0054", "lsi_sas.inf"));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_driver_set_is_staged_and_added_to_DevicePath(string variant)
    {
        var run = Converted(variant);
        var root = WindowsFixture.Manifest(variant).GetProperty("sysroot").GetString()!;
        var staged = run.Snapshot!.Dirs[$"{WindowsConversions.Root}/Drivers/VirtIO"];
        var devicePath = run.Software!.Get(@"Microsoft\Windows\CurrentVersion", "DevicePath")!.Value.AsString()!;
        if (variant == "winxp-32")
        {
            Assert.Null(staged);
            Assert.Equal(@"%SystemRoot%\inf", devicePath);
            return;
        }

        Assert.NotNull(staged);
        foreach (var f in new[] { "viostor.sys", "viostor.inf", "vioscsi.inf", "netkvm.inf", "balloon.inf", "vioser.inf", "viorng.inf" })
        {
            Assert.Contains(f, staged, StringComparer.OrdinalIgnoreCase);
        }

        Assert.Contains(variant == "win7-32" ? "qemu-ga-i386.msi" : "qemu-ga-x86_64.msi", staged, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(staged, f => f.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(@"%SystemRoot%\inf;%SystemRoot%\Drivers\VirtIO", devicePath);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void VMware_Tools_is_removed_offline_with_its_filters_and_Run_entries(string variant)
    {
        var run = Converted(variant);
        var sys = run.System!;
        foreach (var s in new[] { "VMTools", "vmci", "vmhgfs", "vmmouse", "vmxnet3ndis6", "pvscsi" })
        {
            Assert.Equal(RegValue.Dword(4), sys.Get($@"{Cs}\Services\{s}", "Start"));
        }

        // vmmouse leaves the mouse class's filters together with its service; mouclass (Microsoft's) stays.
        Assert.Equal(RegValue.MultiSz("mouclass"), sys.Get($@"{Cs}\Control\Class\{{4d36e96f-e325-11ce-bfc1-08002be10318}}", "UpperFilters"));
        Assert.Equal(RegValue.Dword(0), sys.Get($@"{Cs}\Services\LSI_SAS", "Start"));
        Assert.Null(run.Software!.Get(@"Microsoft\Windows\CurrentVersion\Run", "VMware User Process"));
        Assert.Null(run.Software.Get(@"Microsoft\Windows\CurrentVersion\Run", "VMware VM3DService Process"));

        // Each edit is in the report with its value before and after.
        var edits = Fixup(run, "vmware-tools").GetProperty("registry").EnumerateArray().ToList();
        var start = Assert.Single(edits, e => e.GetProperty("key").GetString() == $@"{Cs}\Services\vmmouse" && e.GetProperty("value").GetString() == "Start");
        Assert.Equal("dword:00000003", start.GetProperty("before").GetString());
        Assert.Equal("dword:00000004", start.GetProperty("after").GetString());
        Assert.Equal("SYSTEM", start.GetProperty("hive").GetString());
        Assert.Contains(edits, e => e.GetProperty("value").GetString() == "VMware User Process" && e.GetProperty("action").GetString() == "delete-value");
        Assert.Contains("{6D5B1F7A-3C2E-4B8D-9A10-0F1E2D3C4B5A}", Fixup(run, "vmware-tools").GetProperty("actions")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_first_boot_script_is_a_local_Group_Policy_startup_script_that_restores_the_static_IP(string variant)
    {
        var run = Converted(variant);
        var manifest = WindowsFixture.Manifest(variant);
        var root = manifest.GetProperty("sysroot").GetString()!;
        var nic = manifest.GetProperty("nic");
        var shot = run.Snapshot!;

        var scriptsIni = shot.Files[$"{WindowsConversions.Root}/System32/GroupPolicy/Machine/Scripts/scripts.ini"]!;
        Assert.Equal([0xFF, 0xFE], scriptsIni.Head[..2]);
        var ini = Encoding.Unicode.GetString(scriptsIni.Head, 2, scriptsIni.Head.Length - 2);
        Assert.Contains($@"0CmdLine=C:\{root}\V2V\Firstboot\firstboot.cmd", ini, StringComparison.Ordinal);
        var gpt = Encoding.ASCII.GetString(shot.Files[$"{WindowsConversions.Root}/System32/GroupPolicy/gpt.ini"]!.Head);
        Assert.Contains("{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}", gpt, StringComparison.Ordinal);

        var scriptKey = variant == "winxp-32"
            ? @"Policies\Microsoft\Windows\System\Scripts\Startup\0\0"
            : @"Microsoft\Windows\CurrentVersion\Group Policy\Scripts\Startup\0\0";
        Assert.Equal(RegValue.Sz($@"C:\{root}\V2V\Firstboot\firstboot.cmd"), run.Software!.Get(scriptKey, "Script"));

        // Every script is CRLF-only ASCII; the runner runs each step once and the last step removes it all.
        foreach (var name in shot.Dirs[$"{WindowsConversions.Root}/V2V/Firstboot"]!)
        {
            Assert.True(name.EndsWith(".cmd", StringComparison.Ordinal) || name.EndsWith(".ps1", StringComparison.Ordinal) || name.EndsWith(".vbs", StringComparison.Ordinal) || !name.Contains('.', StringComparison.Ordinal), name);
        }

        var runner = Text(shot.Files[$"{WindowsConversions.Root}/V2V/Firstboot/firstboot.cmd"]!);
        var cleanup = Text(shot.Files[$"{WindowsConversions.Root}/V2V/Firstboot/99-cleanup.cmd"]!);
        Assert.Contains(@"\V2V\firstboot.log", runner, StringComparison.Ordinal);
        Assert.Contains("rd /s /q", cleanup, StringComparison.Ordinal);
        Assert.Contains("reg delete", cleanup, StringComparison.Ordinal);

        var ipScript = shot.Files[$"{WindowsConversions.Root}/V2V/Firstboot/04-static-ip.{(variant == "winxp-32" ? "vbs" : "ps1")}"];
        Assert.NotNull(ipScript);
        var ip = Text(ipScript);
        var mac = nic.GetProperty("mac").GetString()!;
        Assert.Contains(mac.Replace(":", "", StringComparison.Ordinal), ip.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        foreach (var a in nic.GetProperty("static").GetProperty("ipAddresses").EnumerateArray())
        {
            Assert.Contains(a.GetString()!, ip, StringComparison.Ordinal);
        }

        Assert.Contains("192.168.50.1", ip, StringComparison.Ordinal);
        Assert.Contains("192.168.50.2", ip, StringComparison.Ordinal);

        var drivers = shot.Files[$"{WindowsConversions.Root}/V2V/Firstboot/01-install-drivers.cmd"];
        if (variant == "winxp-32")
        {
            Assert.Null(drivers);
        }
        else
        {
            Assert.Contains(variant == "win7-32" ? "pnputil -i -a" : "pnputil /add-driver", Text(drivers!), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_domain_XML_has_virtio_only_for_the_injected_drivers_and_keeps_the_MAC(string variant)
    {
        var run = Converted(variant);
        XmlValidator.AssertValidDomain(run.Xml!, variant);
        var xml = XElement.Parse(run.Xml!);
        var devices = xml.Element("devices")!;
        var mac = WindowsFixture.Manifest(variant).GetProperty("nic").GetProperty("mac").GetString()!;
        var nic = devices.Elements("interface").Single();
        Assert.Equal(mac, nic.Element("mac")!.Attribute("address")!.Value);
        Assert.Equal("localtime", xml.Element("clock")!.Attribute("offset")!.Value);
        var disk = devices.Elements("disk").First(d => d.Attribute("device")!.Value == "disk");
        var bus = disk.Element("target")!.Attribute("bus")!.Value;
        if (variant == "winxp-32")
        {
            Assert.Equal("ide", bus);
            Assert.Equal("rtl8139", nic.Element("model")!.Attribute("type")!.Value);
            Assert.Null(xml.Element("features")!.Element("hyperv"));
            Assert.Equal("none", devices.Element("memballoon")!.Attribute("model")!.Value);
            Assert.Null(devices.Element("rng"));
            return;
        }

        Assert.Equal(variant == "win2k22" ? "scsi" : "virtio", bus);
        Assert.Equal(variant == "win2k22", devices.Elements("controller").Any(c => c.Attribute("model")?.Value == "virtio-scsi"));
        Assert.Equal("virtio", nic.Element("model")!.Attribute("type")!.Value);
        Assert.Equal("virtio", devices.Element("memballoon")!.Attribute("model")!.Value);
        Assert.NotNull(devices.Element("rng"));
        Assert.Contains(devices.Elements("channel"), c => c.Element("target")?.Attribute("name")?.Value == "org.qemu.guest_agent.0");
        Assert.Equal("q35", xml.Element("os")!.Element("type")!.Attribute("machine")!.Value);
        var hyperv = xml.Element("features")!.Element("hyperv");
        if (xml.Attribute("type")!.Value == "kvm")
        {
            Assert.NotNull(hyperv);
            foreach (var f in new[] { "relaxed", "vapic", "spinlocks", "vpindex", "synic", "stimer", "frequencies" })
            {
                Assert.Equal("on", hyperv.Element(f)!.Attribute("state")!.Value);
            }

            Assert.Contains(xml.Element("clock")!.Elements("timer"), t => t.Attribute("name")!.Value == "hypervclock");
        }

        Assert.Null(devices.Element("tpm")); // the sources have no vTPM
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Libguestfs_still_inspects_the_result_as_the_same_Windows(string variant)
    {
        var run = Converted(variant);
        var inspection = run.Snapshot!.Inspection;
        Assert.Equal("windows", inspection["type"]);
        var report = run.Report!.RootElement.GetProperty("guest").GetProperty("inspection");
        Assert.Equal(report.GetProperty("productName").GetString(), inspection["product-name"]);
        Assert.Equal(variant is "win7-32" or "winxp-32" ? "i386" : "x86_64", inspection["arch"]);
    }

    [Fact]
    public void A_UEFI_guest_keeps_Windows_Boot_Manager_as_the_fallback_and_loses_graphicsmodedisabled()
    {
        var run = Converted("win10");
        var uefi = Fixup(run, "uefi-boot");
        Assert.Equal("applied", uefi.GetProperty("status").GetString());
        Assert.Contains(uefi.GetProperty("verification").EnumerateArray(), v => v.GetString()!.Contains("bootx64.efi is Windows Boot Manager", StringComparison.Ordinal));
        var edit = Assert.Single(uefi.GetProperty("registry").EnumerateArray());
        Assert.Equal("BCD", edit.GetProperty("hive").GetString());
        Assert.EndsWith(@"\Elements\16000046", edit.GetProperty("key").GetString(), StringComparison.Ordinal);
        Assert.Equal("delete-key", edit.GetProperty("action").GetString());
    }

    [Fact]
    public void Without_virtio_win_a_guest_gets_compatibility_devices_and_a_warning()
    {
        WindowsConversions.Vmx("win10-bitlocker");
        var run = conversions.Run("win10-bitlocker", "--force");
        Assert.True(run.Result.ExitCode == 0, run.Result.Err);
        Assert.Contains("no virtio-win drivers (give --virtio-win DIR|ISO", run.Result.Err, StringComparison.Ordinal);
        var devices = XElement.Parse(run.Xml!).Element("devices")!;
        Assert.All(devices.Elements("disk").Where(d => d.Attribute("device")!.Value == "disk"), d => Assert.Equal("sata", d.Element("target")!.Attribute("bus")!.Value));
        Assert.Equal("e1000", devices.Element("interface")!.Element("model")!.Attribute("type")!.Value);
        Assert.Contains("--force: converting despite", run.Result.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("win10-hiber", "hibernated")]
    [InlineData("win10-bitlocker", "BitLocker")]
    public void A_blocked_guest_stops_with_a_clear_message_and_leaves_nothing(string variant, string word)
    {
        WindowsConversions.Vmx(variant);
        var run = conversions.Run(variant, "--virtio-win", WindowsFixture.VirtioWinTree);
        Assert.Equal(3, run.Result.ExitCode);
        var last = Assert.Single(run.Result.Err.Split('\n'), l => l.StartsWith("v2v: error:", StringComparison.Ordinal));
        Assert.Contains(word, last, StringComparison.Ordinal);
        Assert.Contains("--force", last, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Result.Err, StringComparison.Ordinal);
        var left = System.IO.Directory.Exists(run.OutDir) ? System.IO.Directory.GetFiles(run.OutDir).Where(f => !f.EndsWith(".log.json", StringComparison.Ordinal)).ToList() : [];
        Assert.Empty(left);
    }

    [Fact]
    public void Inspect_guest_shows_the_Windows_facts()
    {
        var vmx = WindowsConversions.Vmx("win10");
        var r = CliRunner.Run(conversions.Directory, "inspect", vmx, "--guest");
        Assert.True(r.ExitCode == 0, r.Err);
        var nic = WindowsFixture.Manifest("win10").GetProperty("nic");
        foreach (var expected in new[]
        {
            "Windows 10", "windows 10.0", "Client", "x86_64", @"C:\Windows", "ControlSet001", "DriverDatabase", "UEFI",
            "VMware Tools 12.3.5.22544099", "{6D5B1F7A-3C2E-4B8D-9A10-0F1E2D3C4B5A}", "vmmouse", "Ethernet0",
            "static 192.168.50.10/255.255.255.0, 192.168.50.11/255.255.255.0 gw 192.168.50.1 dns 192.168.50.2, 1.1.1.1",
            nic.GetProperty("mac").GetString()!, "PCI slot 192",
        })
        {
            Assert.Contains(expected, r.Out, StringComparison.Ordinal);
        }
    }

    private static JsonElement Fixup(WindowsRun run, string name) =>
        run.Report!.RootElement.GetProperty("guest").GetProperty("fixups").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    /// <summary>A script's text, after checking it is ASCII with CRLF line ends only.</summary>
    private static string Text(GuestFile file)
    {
        Assert.True(file.Size <= GuestSnapshot.MaxHeadBytes, $"{file.Path} is larger than the snapshot keeps");
        Assert.All(file.Head, b => Assert.True(b < 0x80, $"{file.Path} is not ASCII"));
        var text = Encoding.ASCII.GetString(file.Head);
        Assert.DoesNotContain("\n", text.Replace("\r\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        return text;
    }
}

/// <summary>The Windows conversions run one at a time (each is an appliance launch on a 2-core machine).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WindowsCollection
{
    public const string Name = "windows-guests";
}
