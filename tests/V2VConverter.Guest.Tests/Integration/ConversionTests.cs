using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>The fixture guest converted for real (one shared conversion, see <see cref="GuestFixture"/>).</summary>
[Collection("guest appliance")]
public sealed class ConversionTests(GuestFixture fixture)
{
    private const string RootUuid = "5a1e0001-0f10-4d65-9bd6-000000000001";
    private const string DataUuid = "5a1e0002-0f10-4d65-9bd6-000000000002";

    [Fact]
    public void Inspection_finds_debian12_with_everything_the_fixups_need()
    {
        var i = fixture.Get("plain").Report.Inspection!;
        Assert.Equal("linux", i.Os.OsType);
        Assert.Equal("debian", i.Os.Distro);
        Assert.Equal(12, i.Os.MajorVersion);
        Assert.Equal("x86_64", i.Os.Arch);
        Assert.Equal("/dev/sda1", i.Os.Root);
        Assert.Equal("vmware-deb12", i.Os.Hostname);
        Assert.Equal("deb", i.PackageFormat);
        Assert.Equal("apt", i.PackageManager);
        Assert.Equal(InitramfsTool.InitramfsTools, i.InitramfsTool);
        Assert.Equal(BootloaderKind.Grub2, i.Bootloader.Kind);
        Assert.Equal("/boot/grub/grub.cfg", i.Bootloader.ConfigPath);
        Assert.StartsWith("/usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg", i.Bootloader.RegenerateCommand, StringComparison.Ordinal);
        var k = Assert.Single(i.Kernels);
        Assert.Matches(@"^6\.1\.0-\d+-amd64$", k.Version);
        Assert.Equal($"/boot/initrd.img-{k.Version}", k.InitrdPath);
        Assert.Equal(VmwareToolsFlavour.OpenVmTools, i.VmwareTools.Flavour);
        Assert.Equal(["open-vm-tools"], i.VmwareTools.Packages);
        Assert.Contains(NetworkConfigSystem.Ifupdown, i.Network.Systems);
        Assert.Equal("ens160", Assert.Single(i.Network.Interfaces).Name);
        Assert.True(i.HasSystemd);
        var root = i.Filesystems.Single(f => f.Device == "/dev/sda1");
        Assert.Equal(("ext4", RootUuid, "/", "rootfs"), (root.Type, root.Uuid, root.MountPoint, root.Label));
        var data = i.Filesystems.Single(f => f.Device == "/dev/sda2");
        Assert.Equal((DataUuid, "/data"), (data.Uuid, data.MountPoint));
        Assert.Empty(i.VolumeGroups);

        var text = GuestInspectionPrinter.ToText(i);
        Assert.Contains("linux / debian 12.", text, StringComparison.Ordinal);
        Assert.Contains("initramfs-tools", text, StringComparison.Ordinal);
        Assert.Contains("open-vm-tools", text, StringComparison.Ordinal);
        Assert.Contains("ens160 [ifupdown]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Conversion_succeeds_with_one_appliance_launch_and_leaves_the_source_unchanged()
    {
        var c = fixture.Get("plain");
        Assert.False(c.Report.CompatibilityMode, c.Report.CompatibilityReason);
        Assert.True(c.Report.Succeeded, string.Join("\n", c.Report.Warnings));
        Assert.Equal(["vmware-tools", "fstab", "network", "uefi-boot", "bootloader", "initramfs"], c.Report.Fixups.Select(f => f.Name));
        Assert.All(c.Report.Fixups, f => Assert.Equal(f.Name == "uefi-boot" ? FixupStatus.NotNeeded : FixupStatus.Applied, f.Status)); // a BIOS VM
        Assert.Equal(1, c.Log.Count(l => l.StartsWith("appliance: launched", StringComparison.Ordinal)));
        Assert.Contains(c.Log, l => l.Contains("TCG", StringComparison.Ordinal));
        Assert.Equal(c.SourceShaBefore, c.SourceShaAfter);
        Assert.Empty(c.Report.Warnings);
    }

    [Fact]
    public void Fstab_now_names_uuids_and_the_report_shows_before_and_after()
    {
        var c = fixture.Get("plain");
        var fstab = c.Files["/etc/fstab"];
        Assert.Contains($"UUID={RootUuid}       /               ext4    errors=remount-ro  0       1", fstab, StringComparison.Ordinal);
        Assert.Contains($"UUID={DataUuid}       /data           ext4    defaults           0       2", fstab, StringComparison.Ordinal);
        Assert.Contains("# VMware guest: one LSI Logic SCSI disk, seen by Linux as /dev/sda.", fstab, StringComparison.Ordinal);
        var change = c.Report.Fixups.Single(f => f.Name == "fstab").Files.Single();
        Assert.Equal("/etc/fstab", change.Path);
        Assert.Equal(["/dev/sda1       /               ext4    errors=remount-ro  0       1", "/dev/sda2       /data           ext4    defaults           0       2"], change.Lines.Select(l => l.Before));
        var dev = c.Report.Devices.Single(d => d.MountPoint == "/");
        Assert.Equal(("/dev/sda1", "/dev/vda1", "UUID=" + RootUuid), (dev.SourceDevice, dev.TargetDevice, dev.NewReference));
    }

    [Fact]
    public void Grub_is_regenerated_and_names_no_old_device()
    {
        var c = fixture.Get("plain");
        var cfg = c.Files["/boot/grub/grub.cfg"];
        var linux = KernelLineDiff.KernelLines(cfg).Select(l => l.Text.Trim()).ToList();
        Assert.NotEmpty(linux);
        Assert.All(linux, l => Assert.Contains($"root=UUID={RootUuid}", l, StringComparison.Ordinal));
        Assert.Empty(StaleDeviceScanner.Scan("grub.cfg", cfg, ["sda"], ["vda"]));
        var boot = c.Report.Fixups.Single(f => f.Name == "bootloader");
        Assert.Contains(boot.Actions, a => a.StartsWith("ran /usr/sbin/grub-mkconfig", StringComparison.Ordinal));
        Assert.Contains(boot.Verification, v => v.Contains("/boot/grub/grub.cfg names none of /dev/sda", StringComparison.Ordinal));
        var cfgChange = boot.Files.Single(f => f.Path == "/boot/grub/grub.cfg");
        Assert.Contains(cfgChange.Lines, l => l.Before.Contains("root=/dev/sda1", StringComparison.Ordinal) && l.After.Contains("root=UUID=", StringComparison.Ordinal));
    }

    [Fact]
    public void Initramfs_has_the_virtio_drivers()
    {
        var c = fixture.Get("plain");
        Assert.Contains("virtio_blk", c.Files["/etc/initramfs-tools/modules"], StringComparison.Ordinal);
        var mods = ModuleListing.ModuleNames(c.Files["lsinitramfs"]);
        foreach (var m in new[] { "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net", "mptspi", "ext4" })
        {
            Assert.Contains(m, mods);
        }

        var fix = c.Report.Fixups.Single(f => f.Name == "initramfs");
        Assert.Contains(fix.Verification, v => v.Contains("virtio_blk", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_vm_tools_is_purged_and_its_services_are_gone()
    {
        var c = fixture.Get("plain");
        Assert.DoesNotContain("open-vm-tools", DpkgStatus.InstalledPackages(c.Files["/var/lib/dpkg/status"]));
        Assert.Contains("ifupdown", DpkgStatus.InstalledPackages(c.Files["/var/lib/dpkg/status"]));
        Assert.Empty(VmwareServiceLinks.Select(c.Files["systemd-links"].Split('\n')));
        Assert.Contains(c.Report.Fixups.Single(f => f.Name == "vmware-tools").Actions, a => a.StartsWith("dpkg --purge open-vm-tools", StringComparison.Ordinal));
    }

    [Fact]
    public void Ens160_is_pinned_to_the_vmx_mac()
    {
        var c = fixture.Get("plain");
        var link = c.Files["/etc/systemd/network/10-v2v-ens160.link"];
        Assert.Contains($"[Match]\nMACAddress={GuestFixture.FixtureMac}\n\n[Link]\nName=ens160\n", link, StringComparison.Ordinal);
        var pin = Assert.Single(c.Report.NicPins);
        Assert.Equal((0, "ens160"), (pin.NicIndex, pin.InterfaceName));
        Assert.Contains("pciSlotNumber = 160", pin.Reason, StringComparison.Ordinal);
        Assert.Contains("iface ens160 inet static", c.Files["/etc/network/interfaces"], StringComparison.Ordinal);
    }

    [Fact]
    public void Read_only_inspection_of_the_source_vmdk_changes_nothing()
    {
        var dir = GuestFixture.RequireFixture("plain");
        var vmdk = Path.Combine(dir, "guest.vmdk");
        var before = GuestFixture.Sha256(vmdk);
        var log = new List<string>();
        var i = LinuxGuestConverter.Inspect([new Access.ApplianceDisk(vmdk, "vmdk", ReadOnly: true)], Access.ApplianceAccelerator.Auto, new TestLog(log.Add).Logger);
        Assert.NotNull(i);
        Assert.Equal(VmwareToolsFlavour.OpenVmTools, i.VmwareTools.Flavour);
        Assert.Equal("ens160", i.Network.Interfaces.Single().Name);
        Assert.Equal(before, GuestFixture.Sha256(vmdk));
    }
}
