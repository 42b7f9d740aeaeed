using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Tests.Transforms;

public sealed class BootloaderTransformTests
{
    private static DeviceRemapper Uuid() => FstabTransformTests.Map(DeviceNamingStyle.Uuid, ("/dev/vda1", "5a1e0001-0f10-4d65-9bd6-000000000001"), ("/dev/vda5", "77777777-8888-9999-aaaa-bbbbbbbbbbbb"));

    private static DeviceRemapper Vd() => FstabTransformTests.Map(DeviceNamingStyle.VirtioName);

    // The menuentry the fixture guest's grub-mkconfig writes (Debian 12).
    private const string DebianGrubCfg = """
        menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os $menuentry_id_option 'gnulinux-simple-/dev/sda1' {
        	load_video
        	insmod gzio
        	if [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi
        	insmod part_msdos
        	insmod ext2
        	set root='hd0,msdos1'
        	if [ x$feature_platform_search_hint = xy ]; then
        	  search --no-floppy --fs-uuid --set=root --hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1  5a1e0001-0f10-4d65-9bd6-000000000001
        	else
        	  search --no-floppy --fs-uuid --set=root 5a1e0001-0f10-4d65-9bd6-000000000001
        	fi
        	echo	'Loading Linux 6.1.0-50-amd64 ...'
        	linux	/boot/vmlinuz-6.1.0-50-amd64 root=/dev/sda1 ro console=ttyS0,115200n8 init=/usr/local/sbin/v2v-boot-probe resume=/dev/sda5
        	echo	'Loading initial ramdisk ...'
        	initrd	/boot/initrd.img-6.1.0-50-amd64
        }
        """;

    [Fact]
    public void Grub_cfg_linux_line_gets_root_and_resume_by_uuid()
    {
        var r = KernelArgsTransform.Apply(DebianGrubCfg, Uuid());
        var c = Assert.Single(r.Changes);
        Assert.Equal("\tlinux\t/boot/vmlinuz-6.1.0-50-amd64 root=UUID=5a1e0001-0f10-4d65-9bd6-000000000001 ro console=ttyS0,115200n8 init=/usr/local/sbin/v2v-boot-probe resume=UUID=77777777-8888-9999-aaaa-bbbbbbbbbbbb", c.After);
        Assert.Contains("set root='hd0,msdos1'", r.Text); // GRUB's own root is not a Linux device
        Assert.Contains("'gnulinux-simple-/dev/sda1'", r.Text); // an ID string, not a device argument
        Assert.Equal(DebianGrubCfg.Split('\n').Length, r.Text.Split('\n').Length);
    }

    [Fact]
    public void Grub_cfg_vd_style()
    {
        var r = KernelArgsTransform.Apply(DebianGrubCfg, Vd());
        Assert.Contains("root=/dev/vda1 ro console=ttyS0,115200n8 init=/usr/local/sbin/v2v-boot-probe resume=/dev/vda5", r.Text);
    }

    [Fact]
    public void Grub_cfg_lvm_root_is_left_alone()
    {
        var cfg = "\tlinux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/rhel-root ro crashkernel=auto rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet LANG=en_US.UTF-8\n";
        var r = KernelArgsTransform.Apply(cfg, Uuid());
        Assert.Equal(cfg, r.Text);
        Assert.Empty(r.Warnings);
    }

    // GRUB legacy menu.lst, Debian flavour with the kopt magic comment, and a RHEL 5 / SUSE kernel line.
    private const string MenuLst = """
        default		0
        timeout		5
        ### BEGIN AUTOMAGIC KERNELS LIST
        # kopt=root=/dev/hda1 ro
        # groot=(hd0,0)
        ## ## End Default Options ##
        title		Debian GNU/Linux, kernel 2.6.26-2-686
        root		(hd0,0)
        kernel		/boot/vmlinuz-2.6.26-2-686 root=/dev/hda1 ro quiet
        initrd		/boot/initrd.img-2.6.26-2-686
        title SUSE Linux Enterprise Server 11
            root (hd0,1)
            kernel /boot/vmlinuz root=/dev/hda2 resume=/dev/hda1 splash=silent showopts
        """;

    [Fact]
    public void Grub_legacy_menu_lst_kernel_lines_and_kopt_are_rewritten()
    {
        var map = new DeviceRemapper([new("hda", "vda")], [new("/dev/vda2", "aaaaaaaa-1111-2222-3333-444444444444")], DeviceNamingStyle.Uuid);
        var r = KernelArgsTransform.Apply(MenuLst, map, "menu.lst");
        Assert.Contains("# kopt=root=/dev/vda1 ro", r.Text);
        Assert.Contains("kernel\t\t/boot/vmlinuz-2.6.26-2-686 root=/dev/vda1 ro quiet", r.Text);
        Assert.Contains("kernel /boot/vmlinuz root=UUID=aaaaaaaa-1111-2222-3333-444444444444 resume=/dev/vda1 splash=silent", r.Text);
        Assert.Contains("root\t\t(hd0,0)", r.Text);
        Assert.Equal(3, r.Changes.Count);
        Assert.All(r.Warnings, w => Assert.Contains("no filesystem UUID", w, StringComparison.Ordinal));
    }

    // The fixture's harder variant: stock Debian /etc/default/grub + GRUB_DISABLE_LINUX_UUID=true.
    private const string DefaultGrub = """
        # If you change this file, run 'update-grub' afterwards to update
        # /boot/grub/grub.cfg.

        GRUB_DEFAULT=0
        GRUB_TIMEOUT=0
        GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
        GRUB_CMDLINE_LINUX_DEFAULT=""
        GRUB_CMDLINE_LINUX="console=ttyS0,115200n8 init=/usr/local/sbin/v2v-boot-probe"

        # Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
        #GRUB_DISABLE_LINUX_UUID=true
        # v2v-fixture: hard-coded root device name instead of root=UUID=
        GRUB_DISABLE_LINUX_UUID=true
        """;

    [Fact]
    public void Default_grub_uuid_style_disables_GRUB_DISABLE_LINUX_UUID()
    {
        var r = GrubDefaultsTransform.Apply(DefaultGrub, Uuid());
        var c = Assert.Single(r.Changes);
        Assert.Equal("GRUB_DISABLE_LINUX_UUID=true", c.Before);
        Assert.StartsWith("#GRUB_DISABLE_LINUX_UUID=true", c.After, StringComparison.Ordinal);
        Assert.Equal(13, c.Line);
        Assert.Contains("\n#GRUB_DISABLE_LINUX_UUID=true\n", r.Text); // the stock comment is untouched
    }

    [Fact]
    public void Default_grub_vd_style_keeps_GRUB_DISABLE_LINUX_UUID()
    {
        var r = GrubDefaultsTransform.Apply(DefaultGrub, Vd());
        Assert.Empty(r.Changes);
    }

    [Fact]
    public void Default_grub_cmdline_resume_and_grub_device_are_remapped()
    {
        var text = "GRUB_CMDLINE_LINUX=\"resume=/dev/sda5 crashkernel=auto\"\nexport GRUB_DEVICE=\"/dev/sda1\"\nGRUB_DISABLE_LINUX_UUID=\"true\"\n";
        var r = GrubDefaultsTransform.Apply(text, Uuid());
        Assert.Equal(
            "GRUB_CMDLINE_LINUX=\"resume=UUID=77777777-8888-9999-aaaa-bbbbbbbbbbbb crashkernel=auto\"\n" +
            "export GRUB_DEVICE=\"/dev/disk/by-uuid/5a1e0001-0f10-4d65-9bd6-000000000001\"\n" +
            "#GRUB_DISABLE_LINUX_UUID=\"true\" " + GrubDefaultsTransform.DisabledMarker + "\n", r.Text);
        Assert.Equal(3, r.Changes.Count);
    }

    [Fact]
    public void Device_map_names_whole_disks_by_their_new_name_even_in_uuid_style()
    {
        var r = DeviceMapTransform.Apply("(fd0)\t/dev/fd0\n(hd0)\t/dev/sda\n(hd1)   /dev/sdb\n(hd2) /dev/disk/by-id/ata-X\n", Uuid());
        Assert.Equal("(fd0)\t/dev/fd0\n(hd0)\t/dev/vda\n(hd1)   /dev/vdb\n(hd2) /dev/disk/by-id/ata-X\n", r.Text);
        Assert.Equal(2, r.Changes.Count);
    }

    [Fact]
    public void Stale_scanner_finds_old_names_but_not_comments_or_unconverted_disks()
    {
        var text = "# built on /dev/sda1\nlinux /vmlinuz root=/dev/sda1 ro\nlinux /vmlinuz root=UUID=x\n/dev/sdc1 /b ext4 defaults 0 0\n# kopt=root=/dev/sda1 ro\n/dev/vda1 / ext4 defaults 0 1\n";
        var found = StaleDeviceScanner.Scan("grub.cfg", text, ["sda", "sdb"], ["vda", "vdb"]);
        Assert.Equal([2, 5], found.Select(f => f.Line));
        Assert.All(found, f => Assert.Equal("/dev/sda1", f.Device));
    }

    [Fact]
    public void Stale_scanner_ignores_disks_whose_name_does_not_change()
    {
        var found = StaleDeviceScanner.Scan("fstab", "/dev/vda1 / ext4 defaults 0 1\n", ["vda"], ["vda"]);
        Assert.Empty(found);
    }
}

public sealed class DebconfTransformTests
{
    [Fact]
    public void Grub_pc_install_devices_is_remapped_and_other_questions_are_not()
    {
        var text = """
            Name: grub-pc/install_devices
            Template: grub-pc/install_devices
            Value: /dev/sda
            Owners: grub-pc
            Flags: seen

            Name: grub-pc/install_devices_disks_changed
            Template: grub-pc/install_devices_disks_changed
            Value: /dev/sda
            Owners: grub-pc

            """;
        var r = DebconfGrubInstallDevicesTransform.Apply(text, FstabTransformTests.Map(DeviceNamingStyle.Uuid));
        var c = Assert.Single(r.Changes);
        Assert.Equal(("Value: /dev/sda", "Value: /dev/vda", 3), (c.Before, c.After, c.Line));
        Assert.Contains("install_devices_disks_changed\nTemplate: grub-pc/install_devices_disks_changed\nValue: /dev/sda\n", r.Text);
    }

    [Fact]
    public void By_id_install_devices_are_left_alone()
    {
        var text = "Name: grub-pc/install_devices\nValue: /dev/disk/by-id/ata-VBOX_HARDDISK_VB1, /dev/sdb\n";
        var r = DebconfGrubInstallDevicesTransform.Apply(text, FstabTransformTests.Map(DeviceNamingStyle.Uuid));
        Assert.Equal("Name: grub-pc/install_devices\nValue: /dev/disk/by-id/ata-VBOX_HARDDISK_VB1, /dev/vdb\n", r.Text);
    }
}
