using System.Text;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.Vmx;

public class VmxSourceTests
{
    private static VirtualMachine Build(string text, TestLog? d = null) =>
        VmxSource.FromBytes(Encoding.UTF8.GetBytes(text), "t.vmx", null, (d ?? new TestLog()).Logger);

    private const string Full = """
        displayName = "web01"
        uuid.bios = "56 4d b5 06 a2 bd fb eb-ae 86 f7 d8 49 27 d0 c4"
        annotation = "prod|0Aweb"
        guestOS = "rhel8-64"
        memsize = "4096"
        numvcpus = "8"
        cpuid.coresPerSocket = "4"
        firmware = "efi"
        uefi.secureBoot.enabled = "TRUE"
        virtualHW.version = "19"
        scsi0.present = "TRUE"
        scsi0.virtualDev = "pvscsi"
        scsi0:0.present = "TRUE"
        scsi0:0.fileName = "web01.vmdk"
        scsi0:1.present = "TRUE"
        scsi0:1.fileName = "[datastore2] web01/web01_1.vmdk"
        scsi0:1.mode = "independent-persistent"
        sata0.present = "TRUE"
        sata0:1.present = "TRUE"
        sata0:1.deviceType = "cdrom-image"
        sata0:1.fileName = "/isos/rhel8.iso"
        nvme0.present = "TRUE"
        nvme0:0.present = "TRUE"
        nvme0:0.fileName = "fast.vmdk"
        ide1:0.present = "TRUE"
        ide1:0.deviceType = "cdrom-image"
        ide1:0.fileName = ""
        floppy0.present = "TRUE"
        floppy0.fileType = "file"
        floppy0.fileName = "boot.flp"
        ethernet0.present = "TRUE"
        ethernet0.virtualDev = "vmxnet3"
        ethernet0.networkName = "VM Network"
        ethernet0.addressType = "static"
        ethernet0.address = "00:50:56:3A:71:0C"
        ethernet1.present = "TRUE"
        ethernet1.virtualDev = "e1000e"
        ethernet1.addressType = "vpx"
        ethernet1.generatedAddress = "00:50:56:91:48:c7"
        ethernet1.dvs.portgroupId = "dvportgroup-42"
        ethernet2.present = "TRUE"
        ethernet2.connectionType = "nat"
        ethernet2.addressType = "generated"
        ethernet2.generatedAddress = "00:0c:29:aa:bb:cc"
        ethernet2.startConnected = "FALSE"
        ethernet3.present = "FALSE"
        ethernet3.address = "not-a-mac"
        serial0.present = "TRUE"
        serial0.fileType = "network"
        serial0.fileName = "telnet://:2001"
        serial0.network.endPoint = "server"
        parallel0.present = "TRUE"
        parallel0.fileType = "device"
        parallel0.fileName = "/dev/parport0"
        svga.vramSize = "16777216"
        sound.present = "TRUE"
        sound.virtualDev = "hdaudio"
        usb.present = "TRUE"
        ehci.present = "TRUE"
        usb_xhci.present = "TRUE"
        bios.bootOrder = "cdrom,hdd"
        """;

    [Fact]
    public void Every_field_of_the_model_is_read()
    {
        var vm = Build(Full);
        Assert.Equal("web01", vm.Name);
        Assert.Equal(Guid.Parse("564db506-a2bd-fbeb-ae86-f7d84927d0c4"), vm.Uuid);
        Assert.Equal("prod\nweb", vm.Annotation);
        Assert.Equal(GuestFamily.Linux, vm.Guest.Family);
        Assert.Equal("rhel", vm.Guest.Distribution);
        Assert.Equal("8", vm.Guest.Version);
        Assert.True(vm.Is64Bit);
        Assert.True(vm.Guest.HasVirtioDrivers);
        Assert.Equal(4096, vm.MemoryMiB);
        Assert.Equal(8, vm.Cpu.VCpus);
        Assert.Equal(2, vm.Cpu.Sockets);
        Assert.Equal(4, vm.Cpu.Cores);
        Assert.Equal(Firmware.Efi, vm.Firmware);
        Assert.True(vm.SecureBoot);
        Assert.Equal(19, vm.HardwareVersion);
        Assert.Contains(vm.Controllers, c => c is { Bus: DiskBus.Scsi, Index: 0, Model: ScsiModel.PvScsi });
        Assert.Equal(3, vm.Disks.Count);
        var d1 = vm.Disks.Single(d => d.Key == "scsi0:1");
        Assert.Equal("datastore2", d1.Datastore);
        Assert.Equal(DiskMode.IndependentPersistent, d1.Mode);
        Assert.Contains(vm.Disks, d => d is { Key: "nvme0:0", Bus: DiskBus.Nvme });
        Assert.Equal(2, vm.CdRoms.Count);
        Assert.Contains(vm.CdRoms, c => c is { Key: "sata0:1", Kind: MediaKind.Image, FileName: "/isos/rhel8.iso" });
        Assert.Contains(vm.CdRoms, c => c is { Key: "ide1:0", Kind: MediaKind.Empty });
        var fl = Assert.Single(vm.Floppies);
        Assert.Equal(MediaKind.Image, fl.Kind);
        Assert.Equal(3, vm.Nics.Count);
        Assert.Equal(("vmxnet3", MacAddressType.Static, "00:50:56:3a:71:0c"), (vm.Nics[0].VirtualDev, vm.Nics[0].AddressType, vm.Nics[0].MacAddress));
        Assert.Equal((MacAddressType.Vpx, "00:50:56:91:48:c7", "dvportgroup-42"), (vm.Nics[1].AddressType, vm.Nics[1].MacAddress, vm.Nics[1].PortGroupKey));
        Assert.Equal(("nat", false), (vm.Nics[2].ConnectionType, vm.Nics[2].StartConnected));
        Assert.Equal("vlance", vm.Nics[2].VirtualDev);
        var s = Assert.Single(vm.SerialPorts);
        Assert.Equal((CharDeviceKind.Network, "telnet://:2001", "server"), (s.Kind, s.Target, s.NetworkDirection));
        Assert.Equal(CharDeviceKind.HostDevice, Assert.Single(vm.ParallelPorts).Kind);
        Assert.Equal(16384, vm.Video!.VramKiB);
        Assert.Equal("hdaudio", vm.Sound!.VirtualDev);
        Assert.Equal([UsbKind.Uhci, UsbKind.Ehci, UsbKind.Xhci], vm.UsbControllers.Select(u => u.Kind));
        Assert.Equal(["cdrom", "hdd"], vm.BootOrder);
    }

    [Fact]
    public void Present_false_drops_the_whole_device_even_if_its_other_keys_are_broken()
    {
        var vm = Build(Full);
        Assert.DoesNotContain(vm.Nics, n => n.Index == 3);
    }

    [Fact]
    public void Missing_memsize_takes_the_documented_default_with_a_warning()
    {
        var d = new TestLog();
        var vm = Build("displayName = \"x\"\n", d);
        Assert.Equal(VmxSource.DefaultMemoryMiB, vm.MemoryMiB);
        Assert.Contains(d.Warnings, w => w.Message.Contains("memsize"));
    }

    [Fact]
    public void Bad_mac_is_an_error_naming_key_and_line()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Build("displayName = \"x\"\nethernet0.present = \"TRUE\"\nethernet0.addressType = \"static\"\nethernet0.address = \"00:50:56\"\n"));
        Assert.Contains("t.vmx:4", ex.Message);
        Assert.Contains("ethernet0.address", ex.Message);
    }

    [Fact]
    public void Bad_uuid_is_an_error_naming_the_key()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Build("uuid.bios = \"12 34\"\n"));
        Assert.Contains("uuid.bios", ex.Message);
    }

    [Fact]
    public void Local_disk_checks_missing_present_and_not_a_vmdk()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            File.WriteAllText(Path.Combine(dir, "good.vmdk"), "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n");
            File.WriteAllText(Path.Combine(dir, "vm.vmx"), "displayName = \"x\"\nmemsize = \"64\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"good.vmdk\"\nscsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"gone.vmdk\"\n");
            var d = new TestLog();
            var vm = VmxSource.Load(Path.Combine(dir, "vm.vmx"), d.Logger);
            Assert.Equal(DiskFileState.Present, vm.Disks[0].FileState);
            Assert.Equal(DiskFileState.Missing, vm.Disks[1].FileState);
            Assert.Contains(d.Warnings, w => w.Message.Contains("gone.vmdk"));

            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a disk\n");
            File.WriteAllText(Path.Combine(dir, "bad.vmx"), "displayName = \"x\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"notes.txt\"\n");
            var ex = Assert.Throws<InvalidDataException>(() => VmxSource.Load(Path.Combine(dir, "bad.vmx"), new TestLog().Logger));
            Assert.Contains("scsi0:0.fileName", ex.Message);
            Assert.Contains("not a VMDK", ex.Message);
            Assert.Contains("bad.vmx:4", ex.Message);

            // A path out of the VM folder is not even read to probe it (issue 11 point 1): convert needs --allow-absolute-extents.
            File.WriteAllText(Path.Combine(dir, "out.vmx"), "displayName = \"x\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"../../../../../../../../etc/passwd\"\n");
            var outLog = new List<string>();
            Assert.Equal(DiskFileState.Present, Assert.Single(VmxSource.Load(Path.Combine(dir, "out.vmx"), new TestLog(outLog.Add).Logger).Disks).FileState);
            Assert.Contains(outLog, l => l.Contains("/etc/passwd, outside the VM folder: not read here", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Absolute_and_parent_paths_are_legitimate_when_they_point_at_a_vmdk()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "base"));
            Directory.CreateDirectory(Path.Combine(dir, "clone"));
            File.WriteAllBytes(Path.Combine(dir, "base", "base.vmdk"), "KDMV\u0001\0\0\0"u8.ToArray());
            File.WriteAllText(Path.Combine(dir, "clone", "vm.vmx"), $"displayName = \"c\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"../base/base.vmdk\"\nscsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"{Path.Combine(dir, "base", "base.vmdk")}\"\n");
            var vm = VmxSource.Load(Path.Combine(dir, "clone", "vm.vmx"), new TestLog().Logger);
            Assert.All(vm.Disks, d => Assert.Equal(DiskFileState.Present, d.FileState));
            Assert.All(vm.Disks, d => Assert.Equal(Path.Combine(dir, "base", "base.vmdk"), d.ResolvedPath));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("windows9-64", GuestFamily.Windows, "10", true, false)]
    [InlineData("windows2019srvNext-64", GuestFamily.Windows, "2022", true, false)]
    [InlineData("winXPPro", GuestFamily.Windows, "xp", false, false)]
    [InlineData("debian12-64", GuestFamily.Linux, "12", true, true)]
    [InlineData("ubuntu-64", GuestFamily.Linux, "", true, true)]
    [InlineData("other24xLinux", GuestFamily.Linux, "", false, false)]
    [InlineData("rhel7_64Guest", GuestFamily.Linux, "7", true, true)]
    [InlineData("otherGuest64", GuestFamily.Other, "", true, false)]
    [InlineData("freebsd13-64", GuestFamily.Bsd, "13", true, true)]
    public void Guest_os_catalog(string id, GuestFamily family, string version, bool is64, bool virtio)
    {
        var g = V2VConverter.Model.Catalog.GuestOsCatalog.Default.Lookup(id, out var rule);
        Assert.NotNull(rule);
        Assert.Equal(family, g.Family);
        Assert.Equal(version, g.Version);
        Assert.Equal(is64, g.Architecture == GuestArchitecture.X86_64);
        Assert.Equal(virtio, g.HasVirtioDrivers);
    }
}
