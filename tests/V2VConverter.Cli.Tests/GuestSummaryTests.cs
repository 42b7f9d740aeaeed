using V2VConverter.Cli.Infrastructure;
using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Cli.Tests;

/// <summary>What <c>convert</c> prints about the guest without -v (the sample demo's output).</summary>
public sealed class GuestSummaryTests
{
    [Fact]
    public void One_line_per_fixup_with_the_changed_words_of_each_file()
    {
        var report = new GuestConversionReport
        {
            Accelerator = "tcg",
            TotalTime = TimeSpan.FromSeconds(61.2),
            Fixups =
            [
                new FixupResult("vmware-tools", FixupStatus.Applied, [], ["dpkg --purge open-vm-tools (10.0 s): Processing triggers for libc-bin"], [], []),
                new FixupResult("fstab", FixupStatus.Applied,
                    [new FileChange("/etc/fstab", [new LineChange(3, "/dev/sda1  /  ext4  errors=remount-ro  0  1", "UUID=5a1e  /  ext4  errors=remount-ro  0  1"), new LineChange(4, "/dev/sda2  /data  ext4  defaults  0  2", "UUID=5a1f  /data  ext4  defaults  0  2")])],
                    [], [], []),
                new FixupResult("network", FixupStatus.Applied, [new FileChange("/etc/systemd/network/10-v2v-ens160.link", [new LineChange(1, "", "[Match]")], Created: true)], ["pinned ens160 to 00:50:56:3a:71:0d (ethernet0)"], [], []),
                new FixupResult("initramfs", FixupStatus.Applied,
                    [new FileChange("/etc/initramfs-tools/modules", [new LineChange(9, "", "# Added by v2v-converter"), new LineChange(10, "", "virtio_pci"), new LineChange(11, "", "virtio_blk")])],
                    ["rebuilt /boot/initrd.img-6.1.0-50-amd64 for 6.1.0-50-amd64 (49.7 s): W: No zstd"], [], []),
                new FixupResult("bootloader", FixupStatus.Failed, [], [], [], ["no GRUB configuration found"]),
            ],
        };

        var lines = GuestSummary.Lines(report, "linux", "/out/vm.report.json").ToList();

        Assert.Equal(
        [
            "4 of 5 fixup(s) applied by the linux converter in 61.2 s (appliance: tcg); every changed line is in /out/vm.report.json",
            "  vmware-tools  applied      dpkg --purge open-vm-tools (10.0 s)",
            "  fstab         applied      /etc/fstab: /dev/sda1 -> UUID=5a1e, /dev/sda2 -> UUID=5a1f",
            "  network       applied      pinned ens160 to 00:50:56:3a:71:0d (ethernet0); /etc/systemd/network/10-v2v-ens160.link: new",
            "  initramfs     applied      rebuilt /boot/initrd.img-6.1.0-50-amd64 for 6.1.0-50-amd64 (49.7 s); /etc/initramfs-tools/modules: + virtio_pci virtio_blk",
            "  bootloader    FAILED       warning: no GRUB configuration found",
        ], lines);
    }

    [Fact]
    public void A_compatibility_copy_does_not_repeat_the_warning_s_reason()
    {
        var report = new GuestConversionReport { CompatibilityMode = true, CompatibilityReason = "libguestfs is not installed (libguestfs.so.0 was not found): apt-get install libguestfs-tools" };

        var line = Assert.Single(GuestSummary.Lines(report, "linux", "/out/vm.report.json"));

        Assert.Equal("not converted (see the warning above): compatibility copy, SATA disks and e1000 NICs", line);
    }
}
