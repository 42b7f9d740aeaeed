using Serilog.Events;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Ova;
using V2VConverter.TestSupport;
using static V2VConverter.Sources.Tests.Ova.OvfTestDocuments;

namespace V2VConverter.Sources.Tests.Ova;

/// <summary>Issue 13 point 4: an OVF descriptor becomes the same source model a .vmx does.</summary>
public sealed class OvfSourceTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("ovf-source");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static VirtualMachine LoadGolden(string name, TestLog? log = null) => OvfSource.Load(Golden(name), (log ?? new TestLog()).Logger);

    private VirtualMachine LoadText(string text, TestLog? log = null)
    {
        var path = Path.Combine(_dir, "t.ovf");
        File.WriteAllText(path, text);
        return OvfSource.Load(path, (log ?? new TestLog()).Logger);
    }

    [Fact]
    public void Vsphere_export_reads_every_device()
    {
        var vm = LoadGolden("vsphere7-efi-secureboot-pvscsi");
        Assert.Equal("rhel9-app", vm.Name);
        Assert.Equal(8192, vm.MemoryMiB);
        Assert.Equal(new CpuTopology(4, 2), vm.Cpu);
        Assert.Equal(Firmware.Efi, vm.Firmware);
        Assert.True(vm.SecureBoot);
        Assert.Equal(19, vm.HardwareVersion);
        Assert.Equal("rhel", vm.Guest.Distribution);
        Assert.Equal("9", vm.Guest.Version);
        Assert.Equal(GuestArchitecture.X86_64, vm.Guest.Architecture);
        Assert.Equal("Application server, exported for migration", vm.Annotation);
        Assert.Contains(vm.Controllers, c => c is { Bus: DiskBus.Scsi, Index: 0, Model: ScsiModel.PvScsi });
        Assert.Contains(vm.Controllers, c => c is { Bus: DiskBus.Scsi, Index: 1, Model: ScsiModel.LsiLogic });
        Assert.Contains(vm.Controllers, c => c is { Bus: DiskBus.Sata, Index: 0 });
        Assert.Equal(["scsi0:0", "scsi1:0"], vm.Disks.Select(d => d.Key));
        Assert.Equal(["rhel9-app-1.vmdk", "rhel9-app-2.vmdk"], vm.Disks.Select(d => d.FileName));
        Assert.Equal([40L << 30, 100L << 30], vm.Disks.Select(d => d.CapacityBytes ?? 0));
        Assert.All(vm.Disks, d => Assert.Null(d.Compression));
        var cd = Assert.Single(vm.CdRoms);
        Assert.Equal(("sata0:0", MediaKind.Empty, false), (cd.Key, cd.Kind, cd.StartConnected));
        var nic = Assert.Single(vm.Nics);
        Assert.Equal(("vmxnet3", "VM Network", "00:50:56:9a:3c:11", MacAddressType.Static, 192), (nic.VirtualDev, nic.NetworkName, nic.MacAddress, nic.AddressType, nic.PciSlotNumber));
        Assert.Equal(new Video("svga", 16384, 1, false), vm.Video);
        Assert.Equal([new UsbController(UsbKind.Xhci)], vm.UsbControllers);
        Assert.Null(vm.Sound);
    }

    [Fact]
    public void Workstation_export_reads_ide_channels_sata_sound_serial_floppy()
    {
        var vm = LoadGolden("workstation-ovftool-windows");
        Assert.Equal("Windows 10 x64", vm.Name);
        Assert.Equal(GuestFamily.Windows, vm.Guest.Family);
        Assert.Equal((4096L, Firmware.Efi, false), (vm.MemoryMiB, vm.Firmware, vm.SecureBoot));
        Assert.Contains(vm.Controllers, c => c is { Bus: DiskBus.Scsi, Model: ScsiModel.LsiSas1068, RawModel: "lsisas1068" });
        Assert.Equal("sata0:0", Assert.Single(vm.Disks).Key);
        Assert.Equal("ide1:0", Assert.Single(vm.CdRoms).Key);
        Assert.Equal("e1000e", Assert.Single(vm.Nics).VirtualDev);
        Assert.Equal(MacAddressType.None, vm.Nics[0].AddressType);
        Assert.Equal(new Sound("hdaudio"), vm.Sound);
        Assert.Equal(new Video("svga", 131072, 1, true), vm.Video);
        Assert.Single(vm.SerialPorts);
        Assert.Equal(MediaKind.Empty, Assert.Single(vm.Floppies).Kind);
        Assert.Equal([new UsbController(UsbKind.Ehci)], vm.UsbControllers);
    }

    [Fact]
    public void Ovf2_storage_and_ethernet_port_items_are_read()
    {
        var vm = LoadGolden("ovf2-storageitem-nvme");
        Assert.Equal(2048, vm.MemoryMiB);
        var disk = Assert.Single(vm.Disks);
        Assert.Equal(("nvme0:0", DiskBus.Nvme, "disks/debian12-root.vmdk", 20L << 30), (disk.Key, disk.Bus, disk.FileName, disk.CapacityBytes ?? 0));
        Assert.Equal(("vmxnet3", "backend", "00:50:56:ab:00:02"), (vm.Nics[0].VirtualDev, vm.Nics[0].NetworkName, vm.Nics[0].MacAddress));
        Assert.Equal("debian", vm.Guest.Distribution);
        Assert.Equal(20, vm.HardwareVersion);
    }

    [Fact]
    public void Virtualbox_export_maps_cim_os_ahci_ide_places_and_vbox_mac()
    {
        var vm = LoadGolden("virtualbox-ahci-ubuntu");
        Assert.Equal("ubuntu22", vm.Name);
        Assert.Equal(("ubuntu", GuestArchitecture.X86_64, true), (vm.Guest.Distribution, vm.Guest.Architecture, vm.Guest.HasVirtioDrivers));
        Assert.Equal(4096, vm.MemoryMiB);
        Assert.Equal(Guid.Parse("a7c9e5d2-41f3-4b8e-9a0d-2c6e8f1b3d45"), vm.Uuid);
        Assert.Equal(("sata0:0", 25L << 30), (vm.Disks[0].Key, vm.Disks[0].CapacityBytes ?? 0));
        // PIIX4 place 3 = secondary channel, slave.
        Assert.Equal("ide1:1", Assert.Single(vm.CdRoms).Key);
        Assert.Equal(("e1000", "NAT", "08:00:27:a1:b2:c3"), (vm.Nics[0].VirtualDev, vm.Nics[0].NetworkName, vm.Nics[0].MacAddress));
        Assert.Equal(new Sound("es1371"), vm.Sound);
        Assert.Equal([new UsbController(UsbKind.Uhci)], vm.UsbControllers);
        Assert.Equal(0, vm.HardwareVersion);
    }

    [Fact]
    public void Allocation_units_of_memory_and_capacity_are_honoured()
    {
        var vm = LoadGolden("units-gigabytes-megabytes-kilobytes");
        Assert.Equal(3072, vm.MemoryMiB);
        Assert.Equal([10L << 30, 1L << 30, 512L << 20], vm.Disks.Select(d => d.CapacityBytes ?? 0));
        Assert.Equal(["scsi0:0", "scsi0:1", "scsi0:2"], vm.Disks.Select(d => d.Key));
    }

    [Fact]
    public void Gzip_reference_is_marked_and_packaged_images_are_attached()
    {
        var vm = LoadGolden("gzip-compressed-disk");
        var disk = Assert.Single(vm.Disks);
        Assert.Equal(("appliance-disk1.vmdk.gz", "gzip", 16L << 30), (disk.FileName, disk.Compression, disk.CapacityBytes ?? 0));
        Assert.Equal(ScsiModel.BusLogic, vm.Controllers.Single(c => c.Bus == DiskBus.Scsi).Model);
        Assert.Equal((MediaKind.Image, "appliance-tools.iso"), (vm.CdRoms[0].Kind, vm.CdRoms[0].FileName));
        Assert.Equal((MediaKind.Image, "appliance-boot.flp"), (vm.Floppies[0].Kind, vm.Floppies[0].FileName));
        Assert.Single(vm.ParallelPorts);
        Assert.Equal(13, vm.HardwareVersion);
    }

    [Fact]
    public void Unknown_resource_type_is_a_warning_not_a_failure()
    {
        var log = new TestLog();
        var vm = LoadGolden("unknown-resourcetype-warning", log);
        Assert.Single(vm.Disks);
        Assert.Equal("vlance", vm.Nics[0].VirtualDev);
        var warnings = log.Warnings.Where(w => w.Message.Contains("does not know", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Message.Contains("\"Vendor gadget\" (ResourceType 99)", StringComparison.Ordinal));
    }

    [Fact]
    public void Disk_beside_the_descriptor_is_resolved_and_present()
    {
        File.WriteAllText(Path.Combine(_dir, "disk1.vmdk"), "# Disk DescriptorFile\n");
        var vm = LoadText(Envelope());
        Assert.Equal((Path.Combine(_dir, "disk1.vmdk"), DiskFileState.Present), (vm.Disks[0].ResolvedPath, vm.Disks[0].FileState));
        Assert.Equal(_dir, vm.BaseDirectory);
    }

    [Fact]
    public void Missing_disk_file_beside_the_descriptor_is_a_warning()
    {
        var log = new TestLog();
        var vm = LoadText(Envelope(), log);
        Assert.Equal(DiskFileState.Missing, vm.Disks[0].FileState);
        Assert.Contains(log.Warnings, w => w.Message.Contains("\"disk1.vmdk\" is not beside the descriptor", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ovf:/disk/nope", "HostResource = \"ovf:/disk/nope\"")]
    [InlineData("ovf:/file/nope", "HostResource = \"ovf:/file/nope\"")]
    [InlineData("/somewhere/else", "HostResource = \"/somewhere/else\"")]
    public void Disk_item_pointing_at_no_disk_is_refused_naming_it(string hostResource, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(Envelope(diskItems: DiskItem(hostResource))));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("t.ovf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disk_whose_file_reference_is_missing_is_refused_naming_it()
    {
        var text = Envelope().Replace("ovf:fileRef=\"f1\"", "ovf:fileRef=\"f9\"", StringComparison.Ordinal);
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(text));
        Assert.Contains("ovf:fileRef = \"f9\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disk_item_without_a_controller_parent_is_refused()
    {
        var text = Envelope(diskItems: DiskItem("ovf:/disk/d1").Replace("<rasd:Parent>3</rasd:Parent>", "<rasd:Parent>42</rasd:Parent>", StringComparison.Ordinal));
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(text));
        Assert.Contains("Parent = \"42\"", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("furlongs", "AllocationUnits = \"furlongs\"")]
    [InlineData("byte * 2^99", "AllocationUnits = \"byte * 2^99\"")]
    public void Bad_memory_units_are_refused_naming_them(string units, string expected)
    {
        var text = Envelope().Replace("byte * 2^20", units, StringComparison.Ordinal);
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_mac_is_refused_naming_it()
    {
        var nic = "<Item><rasd:Address>00:50:56:zz:00:01</rasd:Address><rasd:InstanceID>9</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>";
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(Envelope(items: nic)));
        Assert.Contains("Address = \"00:50:56:zz:00:01\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_drives_on_one_unit_are_refused()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(Envelope(diskItems: DiskItem("ovf:/disk/d1") + DiskItem("ovf:/disk/d1").Replace("<rasd:InstanceID>10<", "<rasd:InstanceID>20<", StringComparison.Ordinal))));
        Assert.Contains("scsi0:0 is used", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Items_of_another_deployment_configuration_are_left_out()
    {
        var text = Envelope(items: "<Item ovf:configuration=\"large\"><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>30</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>65536</rasd:VirtualQuantity></Item>")
            .Replace("<References>", "<DeploymentOptionSection><Info>sizes</Info><Configuration ovf:id=\"small\" ovf:default=\"true\"><Label>small</Label><Description>s</Description></Configuration><Configuration ovf:id=\"large\"><Label>large</Label><Description>l</Description></Configuration></DeploymentOptionSection><References>", StringComparison.Ordinal);
        Assert.Equal(512, LoadText(text).MemoryMiB);
    }

    [Fact]
    public void Multiple_virtual_systems_are_not_supported()
    {
        var text = Envelope().Replace("<VirtualSystem ovf:id=\"t\">", "<VirtualSystemCollection ovf:id=\"c\"><Info>c</Info><VirtualSystem ovf:id=\"x\"><Info>x</Info></VirtualSystem><VirtualSystem ovf:id=\"t\">", StringComparison.Ordinal)
            .Replace("</VirtualSystem>\n</Envelope>", "</VirtualSystem></VirtualSystemCollection>\n</Envelope>", StringComparison.Ordinal);
        var ex = Assert.Throws<NotSupportedException>(() => LoadText(text));
        Assert.Contains("2 VirtualSystems", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ovf_without_vmw_os_type_uses_the_cim_id()
    {
        var vm = LoadText(Envelope().Replace(" vmw:osType=\"ubuntu64Guest\"", "", StringComparison.Ordinal).Replace("ovf:id=\"101\"", "ovf:id=\"107\"", StringComparison.Ordinal));
        Assert.Equal(("centos", GuestArchitecture.X86_64), (vm.Guest.Distribution, vm.Guest.Architecture));
    }

    [Fact]
    public void Unknown_guest_is_a_warning()
    {
        var log = new TestLog();
        var vm = LoadText(Envelope().Replace(" vmw:osType=\"ubuntu64Guest\"", "", StringComparison.Ordinal).Replace("ovf:id=\"101\"", "ovf:id=\"0\"", StringComparison.Ordinal), log);
        Assert.Equal(GuestFamily.Unknown, vm.Guest.Family);
        Assert.Contains(log.Events, e => e.Level == LogEventLevel.Warning && e.Message.Contains("not in the catalog", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("<vmw:Config ovf:required=\"false\" ovf:key=\"firmware\" ovf:value=\"efi\"/><vmw:Config ovf:required=\"false\" ovf:key=\"uefi.secureBoot.enabled\" ovf:value=\"true\"/>", true)]
    [InlineData("<vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/><vmw:ExtraConfig ovf:required=\"false\" vmw:key=\"uefi.secureBoot.enabled\" vmw:value=\"TRUE\"/>", true)]
    [InlineData("<vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/>", false)]
    public void Firmware_and_secure_boot_come_from_vmw_config_in_either_attribute_form(string config, bool secureBoot)
    {
        var vm = LoadText(Envelope(items: config));
        Assert.Equal((Firmware.Efi, secureBoot), (vm.Firmware, vm.SecureBoot));
    }

    [Fact]
    public void Unknown_firmware_is_refused_naming_it()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LoadText(Envelope(items: "<vmw:Config vmw:key=\"firmware\" vmw:value=\"coreboot\"/>")));
        Assert.Contains("\"firmware\" = \"coreboot\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_scsi_model_is_a_warning()
    {
        var log = new TestLog();
        var vm = LoadText(Envelope().Replace("<rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>", "<rasd:ResourceSubType>MegaRAID</rasd:ResourceSubType>", StringComparison.Ordinal), log);
        Assert.Equal(ScsiModel.Unknown, vm.Controllers.Single(c => c.Bus == DiskBus.Scsi).Model);
        Assert.Contains(log.Warnings, w => w.Message.Contains("\"MegaRAID\" is an unknown SCSI controller model", StringComparison.Ordinal));
    }
}
