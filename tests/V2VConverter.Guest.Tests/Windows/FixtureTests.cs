using System.Text;
using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows;

/// <summary>
/// The Windows fixtures (tests/deps/setup.d/windows-fixture.sh over ../shared/fixtures) build or come from the
/// cache, hold what their fixture.json promises, and the registry additions reach the disk images. Skips without
/// ../shared.
/// </summary>
public sealed class FixtureTests
{
    private const string System = @"HKEY_LOCAL_MACHINE\SYSTEM";
    private const string Software = @"HKEY_LOCAL_MACHINE\SOFTWARE";
    private const string Cs = System + @"\ControlSet001";
    private const string NetClass = "{4d36e972-e325-11ce-bfc1-08002be10318}";

    [Fact]
    public void Every_variant_has_its_vmx_disk_and_a_manifest_that_matches_the_vmx()
    {
        foreach (var variant in WindowsFixture.Variants)
        {
            var m = WindowsFixture.Manifest(variant);
            var vmx = ReadVmx(WindowsFixture.Vmx(variant));
            Assert.Equal(WindowsFixture.Vmx(variant), m.GetProperty("vmx").GetString());
            Assert.True(File.Exists(m.GetProperty("vmdk").GetString()), $"{variant}: no {m.GetProperty("vmdk")}");
            Assert.Equal(Path.GetFileName(m.GetProperty("vmdk").GetString()), vmx.GetValueOrDefault("scsi0:0.filename") ?? vmx["ide0:0.filename"]);
            var nic = m.GetProperty("nic");
            Assert.Equal(vmx["ethernet0.address"], nic.GetProperty("mac").GetString());
            Assert.Equal(vmx["ethernet0.virtualdev"], nic.GetProperty("model").GetString());
            Assert.Equal(int.Parse(vmx["ethernet0.pcislotnumber"], global::System.Globalization.CultureInfo.InvariantCulture), nic.GetProperty("uiNumber").GetInt32());
            // The removed adapter has no NIC in the .vmx.
            Assert.DoesNotContain("ethernet1.present", vmx.Keys);
            Assert.Equal(variant == "win10-bitlocker" ? "bitlocker-data.vmdk" : null, vmx.GetValueOrDefault("scsi0:1.filename"));
        }
    }

    [Fact]
    public void The_fake_virtio_win_tree_and_its_iso_are_there()
    {
        Assert.True(File.Exists(Path.Combine(WindowsFixture.VirtioWinTree, "viostor", "w10", "amd64", "viostor.sys")));
        Assert.True(File.Exists(Path.Combine(WindowsFixture.VirtioWinTree, "NetKVM", "w10", "amd64", "netkvm.inf")));
        Assert.True(File.Exists(Path.Combine(WindowsFixture.VirtToolsDir, "rhsrvany.exe")));
        // ISO 9660: the primary volume descriptor at sector 16 ("\x01CD001"), volume id "virtio-win".
        using var iso = File.OpenRead(WindowsFixture.VirtioWinIso);
        var pvd = new byte[2048];
        iso.Seek(16 * 2048, SeekOrigin.Begin);
        iso.ReadExactly(pvd);
        Assert.Equal("\u0001CD001", Encoding.ASCII.GetString(pvd, 0, 6));
        Assert.Equal("virtio-win", Encoding.ASCII.GetString(pvd, 40, 32).TrimEnd());
    }

    [Fact]
    public void The_bitlocker_data_disk_is_BitLocker_to_blkid()
    {
        var b = WindowsFixture.Manifest("win10-bitlocker").GetProperty("bitlocker");
        var offset = b.GetProperty("partitionStartSector").GetInt64() * 512;
        var r = Tool.Run("blkid", ["-p", "-o", "value", "-s", "TYPE", "--offset", offset.ToString(global::System.Globalization.CultureInfo.InvariantCulture), b.GetProperty("raw").GetString()!]);
        Assert.Equal("BitLocker", r.StdOut.Trim());
        using var f = File.OpenRead(b.GetProperty("raw").GetString()!);
        var sig = new byte[8];
        f.Seek(offset + b.GetProperty("signatureOffset").GetInt32(), SeekOrigin.Begin);
        f.ReadExactly(sig);
        Assert.Equal(b.GetProperty("signature").GetString(), Encoding.ASCII.GetString(sig));
    }

    [Fact]
    public void Every_base_variants_extended_hive_holds_the_nic_as_windows_records_it()
    {
        // The hives uploaded into each image (no appliance: hivexregedit on the cached copies).
        foreach (var variant in WindowsFixture.BaseVariants)
        {
            var hive = Path.Combine(WindowsFixture.Dir(variant), "hives", "ext", "SYSTEM");
            var r = Tool.Run("hivexregedit", ["--export", "--prefix", System, hive, "\\"]);
            Assert.True(r.ExitCode == 0, r.All);
            AssertNics(RegExport.Parse(r.StdOut, ""), WindowsFixture.Manifest(variant), variant);
        }
    }

    /// <summary>win10 and win10-hiber read in ONE appliance launch (about 15 s under TCG each otherwise).</summary>
    private static readonly Lazy<IReadOnlyList<GuestSnapshot>> Snapshots = new(() => WindowsFixture.SnapshotMany(
        [WindowsFixture.Manifest("win10").GetProperty("vmdk").GetString()!, WindowsFixture.Manifest("win10-hiber").GetProperty("vmdk").GetString()!],
        "vmdk",
        [(@"/Windows/System32/config/SYSTEM", System), (@"/Windows/System32/config/SOFTWARE", Software)],
        ["/"],
        ["/hiberfil.sys"]));

    [Fact]
    public void Win10_in_one_launch_inspects_as_windows_and_shows_the_added_keys()
    {
        var m = WindowsFixture.Manifest("win10");
        var snap = Snapshots.Value[0];

        Assert.Equal(m.GetProperty("cPartition").GetString(), snap.InspectedRoot);
        Assert.Equal("windows", snap.Inspection["type"]);
        Assert.Contains("Windows 10", snap.Inspection["product-name"], StringComparison.Ordinal);
        Assert.Equal("ControlSet001", snap.Inspection["windows-current-control-set"]);

        var system = RegExport.Parse(snap.Hives[@"/Windows/System32/config/SYSTEM"]!, "");
        AssertNics(system, m, "win10");
        Assert.Equal(0u, system.Require(Cs + @"\Control\Session Manager\Power", "HiberbootEnabled").AsDword());
        Assert.Equal(["vmmouse", "mouclass"], system.Require(Cs + @"\Control\Class\{4d36e96f-e325-11ce-bfc1-08002be10318}", "UpperFilters").AsMultiSz()!);
        // The shared script's keys are still there (merged, not replaced).
        Assert.Equal("win10-phony", system.Require(Cs + @"\Services\Tcpip\Parameters", "Hostname").AsString());

        var software = RegExport.Parse(snap.Hives[@"/Windows/System32/config/SOFTWARE"]!, "");
        var run = Software + @"\Microsoft\Windows\CurrentVersion\Run";
        Assert.Equal(@"""C:\Windows\system32\vm3dservice.exe"" -u", software.Require(run, "VMware VM3DService Process").AsString());
        Assert.Contains("vmtoolsd.exe", software.Require(run, "VMware User Process").AsString(), StringComparison.Ordinal);

        Assert.Contains("Windows", snap.Dirs["/"]!);
        Assert.Null(snap.Files["/hiberfil.sys"]);
    }

    [Fact]
    public void Win10_hiber_has_a_hiberfil_and_fast_startup_on()
    {
        var m = WindowsFixture.Manifest("win10-hiber");
        var snap = Snapshots.Value[1];

        var hiberfil = snap.Files["/hiberfil.sys"];
        Assert.NotNull(hiberfil);
        Assert.Equal("HIBR", Encoding.ASCII.GetString(hiberfil.Head, 0, 4));
        Assert.True(m.GetProperty("hiberfil").GetBoolean());
        var system = RegExport.Parse(snap.Hives[@"/Windows/System32/config/SYSTEM"]!, "");
        Assert.Equal((uint)m.GetProperty("hiberbootEnabled").GetInt32(), system.Require(Cs + @"\Control\Session Manager\Power", "HiberbootEnabled").AsDword());
        Assert.Equal(1u, system.Require(Cs + @"\Control\Session Manager\Power", "HiberbootEnabled").AsDword());
    }

    private static void AssertNics(RegExport reg, JsonElement m, string variant)
    {
        var nic = m.GetProperty("nic");
        var guid = nic.GetProperty("guid").GetString()!;
        var cls = Cs + @"\Control\Class\" + NetClass + @"\" + nic.GetProperty("classKey").GetString();
        Assert.Equal(guid, reg.Require(cls, "NetCfgInstanceId").AsString());
        Assert.Equal(nic.GetProperty("desc").GetString(), reg.Require(cls, "DriverDesc").AsString());
        Assert.Equal(reg.Require(cls, "MatchingDeviceId").AsString(), reg.Require(cls, "ComponentId").AsString());

        var enumKey = Cs + @"\Enum\" + nic.GetProperty("enumPath").GetString();
        Assert.Equal((uint)nic.GetProperty("pciSlotNumber").GetInt32(), reg.Require(enumKey, "UINumber").AsDword());
        Assert.Equal(NetClass + @"\" + nic.GetProperty("classKey").GetString(), reg.Require(enumKey, "Driver").AsString());
        Assert.Equal(variant is "win7-32" or "winxp-32" ? "E1G60" : "e1iexpress", reg.Require(enumKey, "Service").AsString());

        var conn = Cs + @"\Control\Network\" + NetClass.ToUpperInvariant() + @"\" + guid + @"\Connection";
        Assert.Equal(variant == "winxp-32" ? "Local Area Connection" : "Ethernet0", reg.Require(conn, "Name").AsString());
        Assert.Equal(nic.GetProperty("enumPath").GetString(), reg.Require(conn, "PnPInstanceId").AsString());

        var iface = Cs + @"\Services\Tcpip\Parameters\Interfaces\" + guid;
        var st = nic.GetProperty("static");
        Assert.Equal(0u, reg.Require(iface, "EnableDHCP").AsDword());
        Assert.Equal(Strings(st, "ipAddresses"), reg.Require(iface, "IPAddress").AsMultiSz()!);
        Assert.Equal(Strings(st, "subnetMasks"), reg.Require(iface, "SubnetMask").AsMultiSz()!);
        Assert.Equal(Strings(st, "defaultGateways"), reg.Require(iface, "DefaultGateway").AsMultiSz()!);
        Assert.Equal(string.Join(",", Strings(st, "nameServers")), reg.Require(iface, "NameServer").AsString());

        var stale = m.GetProperty("staleNics")[0];
        var staleGuid = stale.GetProperty("guid").GetString()!;
        Assert.Equal(224u, reg.Require(Cs + @"\Enum\" + stale.GetProperty("enumPath").GetString(), "UINumber").AsDword());
        Assert.Equal(staleGuid, reg.Require(Cs + @"\Control\Class\" + NetClass + @"\0011", "NetCfgInstanceId").AsString());
        Assert.Equal(1u, reg.Require(Cs + @"\Services\Tcpip\Parameters\Interfaces\" + staleGuid, "EnableDHCP").AsDword());
    }

    private static string[] Strings(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(x => x.GetString()!)];

    private static Dictionary<string, string> ReadVmx(string path) =>
        File.ReadAllLines(path)
            .Select(l => l.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim().Trim('"'));
}
