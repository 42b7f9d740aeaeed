using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Transforms;

/// <summary>
/// The appliance kernel may name the first added disk sdb (asynchronous SCSI probing) while
/// libguestfs calls it sda; grub-mkconfig then writes root=/dev/sdb1. Seen in CI on 2026-11-26.
/// </summary>
public sealed class KernelDiskNamesTests
{
    // Shape of /proc/self/mountinfo read inside the libguestfs chroot (the appliance root is outside it and not listed).
    private const string Swapped = """
        36 1 8:17 / / rw,relatime shared:1 - ext4 /dev/sdb1 rw
        37 36 8:18 / /data rw,relatime shared:2 - ext4 /dev/sdb2 rw
        38 36 0:5 / /dev rw,nosuid - devtmpfs /dev rw,size=233k
        39 36 0:20 / /proc rw,nosuid,nodev,noexec - proc proc rw
        40 36 8:33 / /mnt/with\040space rw - xfs /dev/sdc1 rw

        """;

    [Fact]
    public void Mount_sources_are_read_by_mount_point_with_octal_escapes()
    {
        var m = KernelDiskNames.MountSources(Swapped);
        Assert.Equal("/dev/sdb1", m["/"]);
        Assert.Equal("/dev/sdb2", m["/data"]);
        Assert.Equal("/dev/sdc1", m["/mnt/with space"]);
        Assert.Equal("proc", m["/proc"]);
    }

    [Fact]
    public void Blkid_devnames_give_the_same_answer_as_mountinfo()
    {
        // blkid /dev/sda1 in that appliance printed DEVNAME=/dev/sdb1: the kernel's name of the device it was given.
        var log = new List<string>();
        var names = KernelDiskNames.FromDevices([("/dev/sda1", "/dev/sdb1"), ("/dev/sda2", "/dev/sdb2"), ("/dev/sdb1", "/dev/sda1")], ["sda", "sdb"], "blkid", new TestLog(log.Add).Logger);
        Assert.Equal(["sdb", "sda"], names);
        Assert.Equal(KernelDiskNames.Resolve(Swapped, ["sda"], [("/dev/sda1", "/"), ("/dev/sda2", "/data")]), KernelDiskNames.FromDevices([("/dev/sda1", "/dev/sdb1"), ("/dev/sda2", "/dev/sdb2")], ["sda"], "blkid"));
        Assert.Contains(log, l => l.Contains("calls disk /dev/sdb /dev/sda", StringComparison.Ordinal));
    }

    [Fact]
    public void The_kernel_name_of_a_disk_comes_from_its_mounted_partitions()
    {
        var log = new List<string>();
        var names = KernelDiskNames.Resolve(Swapped, ["sda"], [("/dev/sda1", "/"), ("/dev/sda2", "/data")], new TestLog(log.Add).Logger);
        Assert.Equal(["sdb"], names);
        Assert.Contains(log, l => l.Contains("calls disk /dev/sda /dev/sdb", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_swapped_disks_are_both_resolved()
    {
        const string info = "36 1 8:17 / / rw - ext4 /dev/sdb1 rw\n37 36 8:1 / /srv rw - xfs /dev/sda1 rw\n";
        var names = KernelDiskNames.Resolve(info, ["sda", "sdb"], [("/dev/sda1", "/"), ("/dev/sdb1", "/srv")]);
        Assert.Equal(["sdb", "sda"], names);
    }

    [Fact]
    public void An_unmounted_disk_keeps_its_api_name_unless_another_disk_took_it()
    {
        const string info = "36 1 8:17 / / rw - ext4 /dev/sdb1 rw\n";
        Assert.Equal(["sdb", null, "sdc"], KernelDiskNames.Resolve(info, ["sda", "sdb", "sdc"], [("/dev/sda1", "/")]));
        Assert.Equal(["sda", "sdb"], KernelDiskNames.Resolve(info.Replace("sdb1", "sda1", StringComparison.Ordinal), ["sda", "sdb"], [("/dev/sda1", "/")]));
    }

    [Fact]
    public void Lvm_and_unparsable_lines_are_ignored()
    {
        const string info = "garbage\n36 1 253:0 / / rw - xfs /dev/mapper/rhel-root rw\n37 36 8:1 / /boot rw - xfs /dev/sda1 rw\n";
        Assert.Equal(["sda"], KernelDiskNames.Resolve(info, ["sda"], [("/dev/mapper/rhel-root", "/"), ("/dev/sda1", "/boot")]));
    }

    [Fact]
    public void Root_argument_is_found_only_for_bus_named_devices()
    {
        Assert.Equal("/dev/sdb1", RootArgument.Device("\tlinux /boot/vmlinuz-6.1 root=/dev/sdb1 ro quiet")?.Path);
        Assert.Null(RootArgument.Device("linux /vmlinuz root=UUID=5a1e ro"));
        Assert.Null(RootArgument.Device("linux /vmlinuz root=/dev/mapper/rhel-root ro"));
        Assert.Null(RootArgument.Device("linux /vmlinuz ro resume=/dev/sda2"));
    }
}
