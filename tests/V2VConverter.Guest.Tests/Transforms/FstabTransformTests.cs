using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Tests.Transforms;

public sealed class FstabTransformTests
{
    internal static DeviceRemapper Map(DeviceNamingStyle style, params (string Dev, string Uuid)[] uuids) =>
        new([new("sda", "vda"), new("sdb", "vdb")], uuids.Select(u => new KeyValuePair<string, string>(u.Dev, u.Uuid)), style);

    // Debian installer style, as on the fixture guest (tabs/spaces mixed on purpose).
    private const string DebianFstab = """
        # /etc/fstab: static file system information.
        # <file system> <mount point>   <type>  <options>          <dump>  <pass>
        /dev/sda1       /               ext4    errors=remount-ro  0       1
        /dev/sda2	/data	ext4	defaults	0	2
        # swap was on /dev/sda5 during installation
        /dev/sda5       none            swap    sw                 0       0
        /dev/sr0        /media/cdrom0   udf,iso9660 user,noauto    0       0

        """;

    [Fact]
    public void Debian_vd_style_rewrites_only_the_device_field_and_keeps_spacing()
    {
        var r = FstabTransform.ApplyFstab(DebianFstab, Map(DeviceNamingStyle.VirtioName));
        Assert.Equal(3, r.Changes.Count);
        Assert.Equal(DebianFstab.Replace("/dev/sda1       /", "/dev/vda1       /").Replace("/dev/sda2\t", "/dev/vda2\t").Replace("/dev/sda5       none", "/dev/vda5       none"), r.Text);
        Assert.Contains("# swap was on /dev/sda5 during installation", r.Text); // comment untouched
        Assert.Equal("/dev/sda2\t/data\text4\tdefaults\t0\t2", r.Changes[1].Before);
        Assert.Equal("/dev/vda2\t/data\text4\tdefaults\t0\t2", r.Changes[1].After);
        Assert.Equal(4, r.Changes[1].Line);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Uuid_style_uses_the_filesystem_uuid_of_the_target_device()
    {
        var map = Map(DeviceNamingStyle.Uuid, ("/dev/vda1", "5a1e0001-0f10-4d65-9bd6-000000000001"), ("/dev/vda2", "5a1e0002-0f10-4d65-9bd6-000000000002"), ("/dev/vda5", "0b6d3c4e-aaaa-bbbb-cccc-123456789abc"));
        var r = FstabTransform.ApplyFstab(DebianFstab, map);
        Assert.Contains("UUID=5a1e0001-0f10-4d65-9bd6-000000000001       /               ext4    errors=remount-ro  0       1", r.Text);
        Assert.Contains("UUID=5a1e0002-0f10-4d65-9bd6-000000000002\t/data\t", r.Text);
        Assert.Contains("UUID=0b6d3c4e-aaaa-bbbb-cccc-123456789abc       none            swap", r.Text);
        Assert.Contains("/dev/sr0        /media/cdrom0", r.Text);
    }

    [Fact]
    public void Uuid_style_falls_back_to_the_device_name_with_a_note_when_no_uuid_is_known()
    {
        var r = FstabTransform.ApplyFstab("/dev/sdb1 /srv xfs defaults 0 0\n", Map(DeviceNamingStyle.Uuid));
        Assert.Equal("/dev/vdb1 /srv xfs defaults 0 0\n", r.Text);
        Assert.Contains(r.Warnings, w => w.Contains("no filesystem UUID", StringComparison.Ordinal));
    }

    // RHEL 7 anaconda style: LVM + UUID, nothing to change.
    private const string RhelFstab = """

        #
        # /etc/fstab
        # Created by anaconda on Tue Mar  3 10:12:51 2020
        #
        # Accessible filesystems, by reference, are maintained under '/dev/disk'
        # See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info
        #
        /dev/mapper/rhel-root   /                       xfs     defaults        0 0
        UUID=2b5b3d7a-6f52-4a3e-9d9b-0c1e0f0c8e11 /boot                   xfs     defaults        0 0
        /dev/mapper/rhel-swap   swap                    swap    defaults        0 0
        /dev/rhel/home          /home                   xfs     defaults        0 0
        LABEL=backup            /backup                 ext4    defaults        0 2
        PARTUUID=1c2d3e4f-01    /opt                    ext4    defaults        0 2
        /dev/disk/by-id/scsi-36000c29f0a1b2c3d4e5f6a7b8c9d0e1f-part1 /scratch ext4 defaults 0 2
        tmpfs                   /tmp                    tmpfs   defaults        0 0
        """;

    [Fact]
    public void Rhel_lvm_uuid_label_and_by_id_entries_are_left_alone()
    {
        var r = FstabTransform.ApplyFstab(RhelFstab, Map(DeviceNamingStyle.Uuid));
        Assert.Equal(RhelFstab, r.Text);
        Assert.Empty(r.Changes);
        Assert.Empty(r.Warnings);
    }

    // SUSE style, by-id plus an old IDE name and a Xen name; CRLF to prove endings survive.
    [Fact]
    public void Suse_hd_and_xvd_names_are_remapped_and_crlf_is_kept()
    {
        var text = "/dev/disk/by-id/ata-VMware_Virtual_IDE_Hard_Drive_00000000000000000001-part2 / ext4 acl,user_xattr 1 1\r\n/dev/hda1 swap swap defaults 0 0\r\n/dev/xvdb1 /srv ext3 defaults 1 2\r\n";
        var map = new DeviceRemapper([new("hda", "vda"), new("xvdb", "vdb")], [], DeviceNamingStyle.VirtioName);
        var r = FstabTransform.ApplyFstab(text, map);
        Assert.Equal("/dev/disk/by-id/ata-VMware_Virtual_IDE_Hard_Drive_00000000000000000001-part2 / ext4 acl,user_xattr 1 1\r\n/dev/vda1 swap swap defaults 0 0\r\n/dev/vdb1 /srv ext3 defaults 1 2\r\n", r.Text);
        Assert.Equal(2, r.Changes.Count);
    }

    [Fact]
    public void Nvme_names_map_to_virtio_partitions()
    {
        var map = new DeviceRemapper([new("nvme0n1", "vda"), new("nvme1n1", "vdb")], [], DeviceNamingStyle.VirtioName);
        var r = FstabTransform.ApplyFstab("/dev/nvme0n1p2 / ext4 defaults 0 1\n/dev/nvme1n1 /data xfs defaults 0 2\n", map);
        Assert.Equal("/dev/vda2 / ext4 defaults 0 1\n/dev/vdb /data xfs defaults 0 2\n", r.Text);
    }

    [Fact]
    public void Virtio_target_names_map_back_to_nvme_style_partitions_when_the_target_ends_in_a_digit()
    {
        Assert.Equal("/dev/nvme0n1p3", new BlockDeviceName("nvme0n1", 3).Path);
        Assert.Equal("/dev/vdb3", new BlockDeviceName("vdb", 3).Path);
    }

    // Ubuntu: UUID root, plus an unmappable third disk that is not being converted.
    [Fact]
    public void An_unmappable_device_is_a_warning_and_is_left_unchanged()
    {
        var text = """
            # / was on /dev/sda2 during curtin installation
            /dev/disk/by-uuid/9c1f2a7e-5a3b-4c1d-8e2f-0a1b2c3d4e5f / ext4 defaults 0 1
            /dev/sdc1 /mnt/backup ext4 defaults,nofail 0 2
            /swap.img	none	swap	sw	0	0
            """;
        var r = FstabTransform.ApplyFstab(text, Map(DeviceNamingStyle.Uuid));
        Assert.Equal(text, r.Text);
        var w = Assert.Single(r.Warnings);
        Assert.Contains("line 3", w, StringComparison.Ordinal);
        Assert.Contains("/dev/sdc1", w, StringComparison.Ordinal);
    }

    [Fact]
    public void Already_virtio_names_are_left_alone_silently()
    {
        var r = FstabTransform.ApplyFstab("/dev/vda1 / ext4 defaults 0 1\n", Map(DeviceNamingStyle.Uuid));
        Assert.Empty(r.Changes);
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void Crypttab_remaps_the_second_field_only()
    {
        var text = """
            # <target name> <source device>         <key file>      <options>
            sda5_crypt /dev/sda5 none luks,discard
            data_crypt UUID=8a7b6c5d-1111-2222-3333-444455556666 /etc/keys/data.key luks
            swap /dev/sdb2 /dev/urandom swap,cipher=aes-xts-plain64,size=256
            """;
        var map = Map(DeviceNamingStyle.Uuid, ("/dev/vda5", "1f2e3d4c-0000-1111-2222-333344445555"));
        var r = FstabTransform.ApplyCrypttab(text, map);
        Assert.Contains("sda5_crypt UUID=1f2e3d4c-0000-1111-2222-333344445555 none luks,discard", r.Text);
        Assert.Contains("swap /dev/vdb2 /dev/urandom swap", r.Text); // no UUID for a plain swap: device name
        Assert.Contains("/etc/keys/data.key", r.Text);
        Assert.Equal(2, r.Changes.Count);
        Assert.StartsWith("sda5_crypt", r.Changes[0].Before, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_file_gives_no_changes()
    {
        var r = FstabTransform.ApplyFstab("", Map(DeviceNamingStyle.Uuid));
        Assert.Equal("", r.Text);
        Assert.False(r.Changed);
    }

    [Theory]
    [InlineData("/dev/sda", "sda", null)]
    [InlineData("/dev/sdaa12", "sdaa", 12)]
    [InlineData("/dev/hdb3", "hdb", 3)]
    [InlineData("/dev/xvda1", "xvda", 1)]
    [InlineData("/dev/nvme0n1p1", "nvme0n1", 1)]
    [InlineData("/dev/nvme10n2", "nvme10n2", null)]
    public void Block_device_names_parse(string path, string disk, int? part)
    {
        var d = BlockDeviceName.TryParse(path);
        Assert.NotNull(d);
        Assert.Equal(disk, d.Disk);
        Assert.Equal(part, d.Partition);
        Assert.Equal(path, d.Path);
    }

    [Theory]
    [InlineData("/dev/mapper/vg-root")]
    [InlineData("/dev/sr0")]
    [InlineData("/dev/md0")]
    [InlineData("UUID=abc")]
    [InlineData("/dev/disk/by-uuid/abc")]
    [InlineData("/dev/sda1x")]
    public void Other_names_are_not_block_device_names(string path) => Assert.Null(BlockDeviceName.TryParse(path));
}

public sealed class OptionsTests
{
    [Fact]
    public void Fstab_style_values()
    {
        Assert.Equal(DeviceNamingStyle.Uuid, GuestConversionOptions.ParseDeviceNaming("uuid"));
        Assert.Equal(DeviceNamingStyle.VirtioName, GuestConversionOptions.ParseDeviceNaming("vd"));
        Assert.Equal(DeviceNamingStyle.Uuid, new GuestConversionOptions().DeviceNaming);
        var e = Assert.Throws<V2VConverter.Model.Diagnostics.UsageException>(() => GuestConversionOptions.ParseDeviceNaming("label"));
        Assert.Contains("--fstab-style", e.Message, StringComparison.Ordinal);
    }
}
