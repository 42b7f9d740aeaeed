using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Fixups;

/// <summary>The fixups' apply side on an in-memory guest: RHEL-like (dracut, NetworkManager) and Ubuntu-like (netplan) trees.</summary>
public sealed class FixupTests
{
    private static (GuestFixupContext Ctx, List<string> Log) Context(FakeGuest g, string pkgFormat, IReadOnlyList<NicInfo> nics, DeviceNamingStyle style = DeviceNamingStyle.Uuid)
    {
        var warnings = new List<string>();
        var f = GuestInspector.Detect(g, pkgFormat, warnings);
        var os = new OsIdentity
        {
            Root = "/dev/sda2", OsType = "linux", Distro = "rhel", ProductName = "test", MajorVersion = 9, MinorVersion = 3, Arch = "x86_64",
            MountPoints = [], Filesystems = [], PackageFormat = pkgFormat, PackageManager = "dnf", Method = IdentificationMethod.Quick,
        };
        var insp = new GuestInspection
        {
            Os = os,
            PackageFormat = pkgFormat, PackageManager = "dnf", InitramfsTool = f.Initramfs, Bootloader = f.Bootloader, Kernels = f.Kernels,
            VmwareTools = f.Tools, Network = f.Network, HasSystemd = f.HasSystemd,
            Filesystems = [new GuestFilesystem("/dev/sda1", "xfs", "1111", null, "/boot")],
        };
        var map = new DeviceRemapper([new("sda", "vda")], [new("/dev/vda1", "1111")], style);
        var log = new List<string>();
        return (new GuestFixupContext(g, insp, map, map, nics, new GuestConversionOptions { DeviceNaming = style }, new TestLog(log.Add).Logger), log);
    }

    private static FakeGuest RhelLike()
    {
        var g = new FakeGuest();
        g.Files["/usr/bin/dracut"] = "";
        g.Files["/usr/lib/systemd/systemd-udevd"] = "";
        g.Files["/boot/vmlinuz-5.14.0-362.el9.x86_64"] = "";
        g.Files["/boot/initramfs-5.14.0-362.el9.x86_64.img"] = "";
        g.Files["/lib/modules/5.14.0-362.el9.x86_64/modules.dep"] = "kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz\nkernel/drivers/net/virtio_net.ko.xz: kernel/net/core/failover.ko.xz\nkernel/drivers/scsi/virtio_scsi.ko.xz:\n";
        g.Files["/lib/modules/5.14.0-362.el9.x86_64/modules.builtin"] = "kernel/drivers/virtio/virtio_pci.ko\n";
        g.Files["/etc/fstab"] = "/dev/mapper/rhel-root / xfs defaults 0 0\n/dev/sda1 /boot xfs defaults 0 0\n";
        g.Files["/etc/NetworkManager/system-connections/ens192.nmconnection"] = "[connection]\nid=ens192\ntype=ethernet\ninterface-name=ens192\n\n[ipv4]\nmethod=auto\n";
        g.Files["/etc/systemd/system/multi-user.target.wants/vmtoolsd.service"] = "";
        g.Responses["rpm -qa"] = () => g.Commands.Any(c => c.StartsWith("rpm -e", StringComparison.Ordinal)) ? "bash\nkernel\n" : "bash\nopen-vm-tools\nkernel\n";
        g.Responses["lsinitrd"] = () => "usr/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/block/virtio_blk.ko.xz\nusr/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/scsi/virtio_scsi.ko.xz\nusr/lib/modules/5.14.0-362.el9.x86_64/kernel/drivers/net/virtio_net.ko.xz\n";
        return g;
    }

    [Fact]
    public void Rhel_like_guest_is_detected()
    {
        var g = RhelLike();
        var w = new List<string>();
        var f = GuestInspector.Detect(g, "rpm", w);
        Assert.Equal(InitramfsTool.Dracut, f.Initramfs);
        Assert.Equal(VmwareToolsFlavour.OpenVmTools, f.Tools.Flavour);
        Assert.Equal(["/etc/systemd/system/multi-user.target.wants/vmtoolsd.service"], f.Tools.ServiceLinks);
        Assert.Equal([NetworkConfigSystem.NetworkManager], f.Network.Systems);
        Assert.Equal("ens192", f.Network.Interfaces.Single().Name);
        Assert.Equal("/boot/initramfs-5.14.0-362.el9.x86_64.img", f.Kernels.Single().InitrdPath);
    }

    [Fact]
    public void Dracut_fixup_writes_a_drop_in_rebuilds_and_checks_the_listing_with_builtin_virtio_pci()
    {
        var g = RhelLike();
        var (ctx, _) = Context(g, "rpm", []);
        var r = new InitramfsFixup().Apply(ctx);
        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Contains("add_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"", g.Files[DracutConfTransform.FileName], StringComparison.Ordinal);
        Assert.Contains("dracut -f /boot/initramfs-5.14.0-362.el9.x86_64.img 5.14.0-362.el9.x86_64 2>&1", g.Commands);
        Assert.Contains(r.Verification, v => v.Contains("built in: virtio_pci", StringComparison.Ordinal));
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Rpm_tools_removal_and_service_links()
    {
        var g = RhelLike();
        var (ctx, log) = Context(g, "rpm", []);
        var r = new VmwareToolsFixup().Apply(ctx);
        Assert.Contains("rpm -e open-vm-tools 2>&1", g.Commands);
        Assert.False(g.Files.ContainsKey("/etc/systemd/system/multi-user.target.wants/vmtoolsd.service"));
        Assert.Contains(r.Verification, v => v.Contains("rpm -qa lists no VMware Tools package", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("removed /etc/systemd/system/multi-user.target.wants/vmtoolsd.service", StringComparison.Ordinal));
    }

    [Fact]
    public void Network_fixup_pins_the_nm_interface_name_with_a_link_file()
    {
        var g = RhelLike();
        var (ctx, log) = Context(g, "rpm", [new NicInfo(0, "00:50:56:8e:00:01", 192)]);
        var r = new NetworkFixup().Apply(ctx);
        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Contains("MACAddress=00:50:56:8e:00:01\n\n[Link]\nName=ens192\n", g.Files["/etc/systemd/network/10-v2v-ens192.link"], StringComparison.Ordinal);
        Assert.True(r.Files.Single().Created);
        Assert.Contains(log, l => l.Contains("+ Name=ens192", StringComparison.Ordinal));
    }

    [Fact]
    public void Network_fixup_without_systemd_writes_a_udev_rule()
    {
        var g = new FakeGuest();
        g.Files["/etc/sysconfig/network-scripts/ifcfg-eth0"] = "DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n";
        var (ctx, _) = Context(g, "rpm", [new NicInfo(0, "00:50:56:00:00:0a")]);
        new NetworkFixup().Apply(ctx);
        Assert.Contains("ATTR{address}==\"00:50:56:00:00:0a\", NAME=\"eth0\"", g.Files[NamePinRenderer.UdevRulePath], StringComparison.Ordinal);
    }

    [Fact]
    public void Fstab_fixup_logs_before_and_after()
    {
        var g = RhelLike();
        var (ctx, log) = Context(g, "rpm", []);
        var r = new FstabFixup().Apply(ctx);
        Assert.Equal("/dev/mapper/rhel-root / xfs defaults 0 0\nUUID=1111 /boot xfs defaults 0 0\n", g.Files["/etc/fstab"]);
        Assert.Contains(log, l => l.EndsWith("/etc/fstab:2 - /dev/sda1 /boot xfs defaults 0 0", StringComparison.Ordinal));
        Assert.Contains(log, l => l.EndsWith("/etc/fstab:2 + UUID=1111 /boot xfs defaults 0 0", StringComparison.Ordinal));
        Assert.Contains(r.Verification, v => v.Contains("/etc/fstab names no converted source disk", StringComparison.Ordinal));
    }

    [Fact]
    public void Grub_legacy_menu_lst_is_rewritten_and_verified()
    {
        var g = new FakeGuest();
        g.Files["/boot/grub/menu.lst"] = "title CentOS 5\n\troot (hd0,0)\n\tkernel /vmlinuz-2.6.18-398.el5 ro root=/dev/sda2\n";
        g.Files["/boot/grub/device.map"] = "(hd0) /dev/sda\n";
        var (ctx, _) = Context(g, "rpm", [], DeviceNamingStyle.VirtioName);
        var r = new BootloaderFixup().Apply(ctx);
        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Contains("root=/dev/vda2", g.Files["/boot/grub/menu.lst"], StringComparison.Ordinal);
        Assert.Equal("(hd0) /dev/vda\n", g.Files["/boot/grub/device.map"]);
        Assert.Empty(r.Warnings);
    }

    private static FakeGuest Grub2WithMkconfigWriting(string kernelName)
    {
        var g = new FakeGuest();
        g.Files["/boot/grub/grub.cfg"] = "menuentry 'Debian' {\n\tlinux /boot/vmlinuz-6.1 root=/dev/sda2 ro quiet\n}\n";
        g.Files["/etc/default/grub"] = "GRUB_DISABLE_LINUX_UUID=true\n";
        g.Files["/usr/sbin/grub-mkconfig"] = "";
        g.Responses["/usr/sbin/grub-mkconfig"] = () =>
        {
            g.Files["/boot/grub/grub.cfg"] = $"menuentry 'Debian' {{\n\tlinux /boot/vmlinuz-6.1 root=/dev/{kernelName}2 ro quiet\n}}\n";
            return "done";
        };
        return g;
    }

    [Fact]
    public void Grub_mkconfig_output_naming_the_appliance_kernel_disk_is_mapped_to_the_target()
    {
        var g = Grub2WithMkconfigWriting("sdb");
        var (ctx0, log) = Context(g, "deb", [], DeviceNamingStyle.VirtioName);
        var kernelNames = new DeviceRemapper([new("sdb", "vda")], [], DeviceNamingStyle.VirtioName);
        var ctx = new GuestFixupContext(g, ctx0.Inspection, ctx0.SourceNames, kernelNames, [], ctx0.Options, new TestLog(log.Add).Logger);
        var r = new BootloaderFixup().Apply(ctx);
        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Contains("root=/dev/vda2 ro", g.Files["/boot/grub/grub.cfg"], StringComparison.Ordinal);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void A_kernel_line_whose_root_names_no_target_disk_fails_the_bootloader_fixup()
    {
        // The appliance map says sda, but grub-mkconfig saw sdb: the result would drop to an initramfs shell.
        var g = Grub2WithMkconfigWriting("sdb");
        var (ctx, _) = Context(g, "deb", [], DeviceNamingStyle.VirtioName);
        var r = new BootloaderFixup().Apply(ctx);
        Assert.Equal(FixupStatus.Failed, r.Status);
        Assert.Contains(r.Warnings, w => w.Contains("root=/dev/sdb2 names no disk the guest has on KVM (vda)", StringComparison.Ordinal));
    }

    private static FakeGuest DebianWithOpenVmTools(string? extraListLine = null, string? postrm = null)
    {
        var g = new FakeGuest();
        g.Files["/var/lib/dpkg/status"] = "Package: open-vm-tools\nStatus: install ok installed\n\nPackage: bash\nStatus: install ok installed\n";
        g.Files["/var/lib/dpkg/info/open-vm-tools.list"] = "/usr/bin/vmtoolsd\n/lib/udev/rules.d/99-vmware-scsi-udev.rules\n" + (extraListLine ?? "");
        g.Files["/var/lib/dpkg/info/open-vm-tools.postrm"] = postrm ?? "#!/bin/sh\nset -e\ndeb-systemd-helper purge vmtoolsd.service\n";
        g.Files["/etc/systemd/system/multi-user.target.wants/open-vm-tools.service"] = "";
        g.Responses["DEBIAN_FRONTEND=noninteractive dpkg --purge"] = () =>
        {
            g.Files["/var/lib/dpkg/status"] = "Package: bash\nStatus: install ok installed\n";
            return "Removing open-vm-tools ...\nProcessing triggers for libc-bin ...";
        };
        return g;
    }

    [Fact]
    public void A_dpkg_purge_that_cannot_touch_the_initramfs_becomes_a_side_by_side_job()
    {
        var g = DebianWithOpenVmTools();
        var (ctx, _) = Context(g, "deb", []);
        var staged = new VmwareToolsFixup().Prepare(ctx);
        var job = Assert.Single(staged.Jobs);
        Assert.Equal(["DEBIAN_FRONTEND=noninteractive dpkg --purge open-vm-tools"], job.Steps);
        Assert.Empty(g.Commands); // nothing ran yet

        var r = staged.Complete([new GuestJobResult(job.Name, [new GuestStepResult(0, "Processing triggers for libc-bin ...")], TimeSpan.FromSeconds(7))]);
        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Contains(r.Verification, v => v == "dpkg status lists no VMware Tools package" || v.StartsWith("no systemd", StringComparison.Ordinal));
        Assert.Contains(r.Files, f => f.Deleted && f.Path.EndsWith("open-vm-tools.service", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/usr/share/initramfs-tools/hooks/vmware\n", null, "ships /usr/share/initramfs-tools/hooks/vmware")]
    [InlineData("/lib/modules/6.1.0-50-amd64/extra/vmxnet.ko\n", null, "ships /lib/modules/")]
    [InlineData(null, "#!/bin/sh\nupdate-initramfs -u\n", "mentions an initramfs tool")]
    public void A_purge_that_could_change_the_initramfs_runs_first_on_its_own(string? listLine, string? postrm, string why)
    {
        var g = DebianWithOpenVmTools(listLine, postrm);
        var (ctx, log) = Context(g, "deb", []);
        var staged = new VmwareToolsFixup().Prepare(ctx);
        Assert.Empty(staged.Jobs);
        Assert.Contains(g.Commands, c => c.StartsWith("DEBIAN_FRONTEND=noninteractive dpkg --purge open-vm-tools", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains(why, StringComparison.Ordinal) && l.Contains("purging before the initramfs is rebuilt", StringComparison.Ordinal));
        Assert.Equal(FixupStatus.Applied, staged.Complete([]).Status);
    }

    [Fact]
    public void A_failed_purge_job_fails_the_fixup_with_the_last_line()
    {
        var g = DebianWithOpenVmTools();
        var (ctx, _) = Context(g, "deb", []);
        var staged = new VmwareToolsFixup().Prepare(ctx);
        var r = staged.Complete([new GuestJobResult("dpkg --purge", [new GuestStepResult(2, "dpkg: error: dpkg frontend lock was locked by another process")], TimeSpan.Zero)]);
        Assert.Equal(FixupStatus.Failed, r.Status);
        Assert.Contains(r.Warnings, w => w.EndsWith("dpkg frontend lock was locked by another process", StringComparison.Ordinal));
    }

    [Fact]
    public void Netplan_guest_is_detected()
    {
        var g = new FakeGuest();
        g.Files["/etc/netplan/00-installer-config.yaml"] = "network:\n  ethernets:\n    ens160:\n      dhcp4: true\n  version: 2\n";
        var f = GuestInspector.DetectNetwork(g, []);
        Assert.Equal([NetworkConfigSystem.Netplan], f.Systems);
        Assert.Equal("ens160", f.Interfaces.Single().Name);
    }

    [Fact]
    public void Tarball_tools_use_the_uninstaller_then_the_file_list_and_disable_sysv_links()
    {
        var g = new FakeGuest();
        g.Files["/etc/vmware-tools/locations"] = "answer BINDIR /usr/bin\nfile /usr/bin/vmware-uninstall-tools.pl\nfile /usr/bin/vmtoolsd\nfile /etc/vmware-tools/locations\ndirectory /usr/lib/vmware-tools\n";
        g.Files["/usr/bin/vmware-uninstall-tools.pl"] = "#!/usr/bin/perl";
        g.Files["/usr/bin/vmtoolsd"] = "ELF";
        g.Files["/etc/rc2.d/S03vmware-tools"] = "";
        g.Files["/etc/rc2.d/S01ssh"] = "";
        g.Responses["/usr/bin/vmware-uninstall-tools.pl"] = () => throw new Access.GuestfsException("sh: uninstaller exited 1");
        var (ctx, _) = Context(g, "rpm", []);
        Assert.Equal(VmwareToolsFlavour.TarInstalled, ctx.Inspection.VmwareTools.Flavour);
        Assert.Equal("/usr/bin/vmware-uninstall-tools.pl", ctx.Inspection.VmwareTools.Uninstaller);
        var r = new VmwareToolsFixup().Apply(ctx);
        Assert.Contains(g.Commands, c => c.StartsWith("/usr/bin/vmware-uninstall-tools.pl", StringComparison.Ordinal));
        Assert.Contains(r.Warnings, w => w.Contains("removing the files listed", StringComparison.Ordinal));
        Assert.False(g.Files.ContainsKey("/usr/bin/vmtoolsd"));
        Assert.False(g.Files.ContainsKey("/etc/vmware-tools/locations"));
        Assert.False(g.Files.ContainsKey("/etc/rc2.d/S03vmware-tools"));
        Assert.True(g.Files.ContainsKey("/etc/rc2.d/S01ssh"));
        Assert.Contains(r.Verification, v => v.Contains("/etc/vmware-tools/locations is gone", StringComparison.Ordinal));
        Assert.Equal(FixupStatus.Applied, r.Status);
    }
}
