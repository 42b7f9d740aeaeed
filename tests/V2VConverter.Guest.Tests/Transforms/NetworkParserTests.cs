using V2VConverter.Guest.Network;

namespace V2VConverter.Guest.Tests.Transforms;

public sealed class NetworkParserTests
{
    [Fact]
    public void Ifupdown_fixture_interfaces_names_ens160()
    {
        var text = """
            # This file describes the network interfaces available on your system
            # and how to activate them. For more information, see interfaces(5).

            source /etc/network/interfaces.d/*

            # The loopback network interface
            auto lo
            iface lo inet loopback

            # The primary network interface (VMware vmxnet3, PCI slot 160)
            allow-hotplug ens160
            iface ens160 inet static
            	address 192.168.122.50/24
            	gateway 192.168.122.1
            	dns-nameservers 192.168.122.1
            """;
        var r = NetworkConfigParsers.ParseIfupdown("/etc/network/interfaces", text);
        var i = Assert.Single(r);
        Assert.Equal("ens160", i.Name);
        Assert.Null(i.MacAddress);
        Assert.Equal(NetworkConfigSystem.Ifupdown, i.System);
    }

    [Fact]
    public void Ifupdown_bond_bridge_vlan_alias_and_hwaddress()
    {
        var text = """
            auto bond0
            iface bond0 inet manual
                bond-slaves ens192 ens224
                bond-mode active-backup
            auto br0
            iface br0 inet dhcp
                bridge_ports bond0
            iface ens256 inet dhcp
                hwaddress ether 00:50:56:AA:BB:CC
            auto ens256:1
            iface ens256:1 inet static
                address 10.0.0.2/24
            auto eth1.100
            iface eth1.100 inet static
                vlan-raw-device eth1
            """;
        var r = NetworkConfigParsers.ParseIfupdown("/etc/network/interfaces", text);
        Assert.Equal(["ens192", "ens224", "ens256", "eth1"], r.Select(x => x.Name));
        Assert.Equal("00:50:56:aa:bb:cc", r.Single(x => x.Name == "ens256").MacAddress);
    }

    [Fact]
    public void Netplan_ubuntu_installer_style()
    {
        var text = """
            # This is the network config written by 'subiquity'
            network:
              ethernets:
                ens160:
                  addresses:
                  - 10.1.2.3/24
                  nameservers:
                    addresses: [10.1.2.1]
                  routes:
                  - to: default
                    via: 10.1.2.1
                ens192:
                  dhcp4: true
              version: 2
            """;
        var r = NetworkConfigParsers.ParseNetplan("/etc/netplan/00-installer-config.yaml", text);
        Assert.Equal(["ens160", "ens192"], r.Select(x => x.Name));
        Assert.All(r, x => Assert.Null(x.MacAddress));
    }

    [Fact]
    public void Netplan_cloud_init_style_match_macaddress_set_name()
    {
        var text = """
            network:
                version: 2
                ethernets:
                    id0:
                        match:
                            macaddress: '00:50:56:3a:71:0c'
                        set-name: ens160
                        dhcp4: true
                    lan:
                        match:
                            macaddress: "00:50:56:00:00:02"
                        dhcp6: true
                    wan:
                        match:
                            name: ens2*
                bridges:
                    br0:
                        interfaces: [ens160]
            """;
        var r = NetworkConfigParsers.ParseNetplan("/etc/netplan/50-cloud-init.yaml", text);
        Assert.Equal(3, r.Count);
        Assert.Equal(("ens160", "00:50:56:3a:71:0c"), (r[0].Name, r[0].MacAddress));
        Assert.Equal((null, "00:50:56:00:00:02"), (r[1].Name, r[1].MacAddress));
        Assert.Equal((null, null), (r[2].Name, r[2].MacAddress)); // glob: no name to pin
    }

    [Fact]
    public void NetworkManager_keyfile_rhel9_style()
    {
        var text = """
            [connection]
            id=ens192
            uuid=0b5e6f1a-3c0d-4a4b-9f33-7d1c2e3f4a5b
            type=ethernet
            autoconnect-priority=-999
            interface-name=ens192

            [ethernet]
            mac-address=00:50:56:A1:B2:C3

            [ipv4]
            address1=192.168.10.20/24,192.168.10.1
            method=manual
            """;
        var r = Assert.Single(NetworkConfigParsers.ParseNetworkManagerKeyfile("/etc/NetworkManager/system-connections/ens192.nmconnection", text));
        Assert.Equal("ens192", r.Name);
        Assert.Equal("00:50:56:a1:b2:c3", r.MacAddress);
    }

    [Fact]
    public void NetworkManager_keyfile_old_byte_list_mac_and_non_ethernet_types()
    {
        var text = "[connection]\nid=Wired connection 1\ntype=802-3-ethernet\n\n[802-3-ethernet]\nmac-address=0;80;86;58;113;12;\n";
        var r = Assert.Single(NetworkConfigParsers.ParseNetworkManagerKeyfile("x", text));
        Assert.Null(r.Name);
        Assert.Equal("00:50:56:3a:71:0c", r.MacAddress);
        Assert.Empty(NetworkConfigParsers.ParseNetworkManagerKeyfile("y", "[connection]\ntype=bridge\ninterface-name=br0\n"));
    }

    [Fact]
    public void Ifcfg_rhel7_and_suse()
    {
        var rhel = """
            TYPE=Ethernet
            PROXY_METHOD=none
            BOOTPROTO=none
            DEFROUTE=yes
            NAME=ens160
            UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
            DEVICE=ens160
            ONBOOT=yes
            IPADDR=10.0.0.5
            HWADDR="00:50:56:8E:12:34"
            """;
        var r = Assert.Single(NetworkConfigParsers.ParseIfcfg("/etc/sysconfig/network-scripts/ifcfg-ens160", rhel));
        Assert.Equal(("ens160", "00:50:56:8e:12:34"), (r.Name, r.MacAddress));

        var suse = "BOOTPROTO='static'\nSTARTMODE='auto'\nIPADDR='10.0.0.6/24'\n";
        Assert.Equal("eth0", Assert.Single(NetworkConfigParsers.ParseIfcfg("/etc/sysconfig/network/ifcfg-eth0", suse)).Name);
        Assert.Empty(NetworkConfigParsers.ParseIfcfg("/etc/sysconfig/network-scripts/ifcfg-lo", "DEVICE=lo\nIPADDR=127.0.0.1\n"));
        Assert.Empty(NetworkConfigParsers.ParseIfcfg("/etc/sysconfig/network-scripts/ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n"));
    }

    [Fact]
    public void Networkd_network_files()
    {
        var r = NetworkConfigParsers.ParseNetworkd("/etc/systemd/network/20-wired.network", "[Match]\nName=ens160\n\n[Network]\nAddress=10.1.10.9/24\nGateway=10.1.10.1\n");
        Assert.Equal("ens160", Assert.Single(r).Name);
        var byMac = NetworkConfigParsers.ParseNetworkd("x.network", "[Match]\nMACAddress=00:50:56:01:02:03\n[Network]\nDHCP=yes\n");
        Assert.Equal((null, "00:50:56:01:02:03"), (byMac[0].Name, byMac[0].MacAddress));
        Assert.Empty(NetworkConfigParsers.ParseNetworkd("y.network", "[Match]\nName=en*\n[Network]\nDHCP=yes\n"));
    }

    [Fact]
    public void Planner_uses_slot_numbers_then_order()
    {
        var nics = new[] { new NicInfo(0, "00:50:56:3a:71:0c", 160), new NicInfo(1, "00:50:56:3a:71:0d", 224) };
        var cfg = new[]
        {
            new ConfiguredInterface("ens224", null, NetworkConfigSystem.Ifupdown, "i"),
            new ConfiguredInterface("ens160", null, NetworkConfigSystem.Ifupdown, "i"),
        };
        var plan = NicPinPlanner.Plan(nics, cfg);
        Assert.Equal([(0, "ens160"), (1, "ens224")], plan.Pins.Select(p => (p.NicIndex, p.InterfaceName)));
        Assert.Empty(plan.Warnings);

        var noSlots = NicPinPlanner.Plan(nics.Select(n => n with { PciSlotNumber = null }).ToArray(), cfg);
        Assert.Equal([(0, "ens160"), (1, "ens224")], noSlots.Pins.Select(p => (p.NicIndex, p.InterfaceName)));
        Assert.Contains(noSlots.Notes, n => n.Contains("by order", StringComparison.Ordinal));
    }

    [Fact]
    public void Planner_prefers_the_mac_in_the_config_and_warns_about_leftovers()
    {
        var nics = new[] { new NicInfo(0, "00:50:56:00:00:01"), new NicInfo(1, "00:50:56:00:00:02") };
        var cfg = new[]
        {
            new ConfiguredInterface("ens192", "00:50:56:00:00:02", NetworkConfigSystem.Ifcfg, "ifcfg-ens192"),
            new ConfiguredInterface("eth0", null, NetworkConfigSystem.Ifcfg, "ifcfg-eth0"),
            new ConfiguredInterface("ens999", null, NetworkConfigSystem.Ifcfg, "ifcfg-ens999"),
        };
        var plan = NicPinPlanner.Plan(nics, cfg);
        Assert.Equal([(1, "ens192"), (0, "eth0")], plan.Pins.Select(p => (p.NicIndex, p.InterfaceName)));
        Assert.Contains(plan.Warnings, w => w.Contains("ens999", StringComparison.Ordinal));
    }

    [Fact]
    public void Link_file_and_udev_rule_render()
    {
        var pin = new NicPin(0, "00:50:56:3a:71:0c", "ens160", "test");
        var link = NamePinRenderer.LinkFile(pin);
        Assert.Contains("[Match]\nMACAddress=00:50:56:3a:71:0c\n\n[Link]\nName=ens160\n", link);
        Assert.Equal("/etc/systemd/network/10-v2v-ens160.link", NamePinRenderer.LinkFilePath("ens160"));
        Assert.Contains("ATTR{address}==\"00:50:56:3a:71:0c\", NAME=\"ens160\"", NamePinRenderer.UdevRules([pin]));
    }
}
