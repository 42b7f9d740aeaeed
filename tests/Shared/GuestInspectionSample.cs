using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Tests.Shared;

/// <summary>One Debian 12 guest inspection, the sample both the text (Guest.Tests) and the JSON (Pipeline.Tests) of an inspection are pinned on. Linked into both projects.</summary>
internal static class GuestInspectionSample
{
    public static GuestInspection Sample(string? hostname = "deb12") => new()
    {
        Os = new OsIdentity
        {
            Root = "/dev/sda1", OsType = "linux", Distro = "debian", ProductName = "Debian GNU/Linux 12 (bookworm)",
            MajorVersion = 12, MinorVersion = 4, Arch = "x86_64", Hostname = hostname,
            MountPoints = [("/", "/dev/sda1")], Filesystems = [], PackageFormat = "deb", PackageManager = "apt",
            Method = IdentificationMethod.Quick,
        },
        Filesystems = [new GuestFilesystem("/dev/sda1", "ext4", "0a1b", null, "/"), new GuestFilesystem("/dev/sda2", "swap", null, "SWAP", null)],
        VolumeGroups = ["vg0"],
        LogicalVolumes = ["/dev/vg0/data"],
        PackageFormat = "deb",
        PackageManager = "apt",
        InitramfsTool = InitramfsTool.InitramfsTools,
        Bootloader = new BootloaderInfo(BootloaderKind.Grub2, "/boot/grub/grub.cfg", "/etc/default/grub", null, "/usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg"),
        Kernels = [new GuestKernel("6.1.0-18-amd64", "/boot/vmlinuz-6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64", true)],
        VmwareTools = new VmwareToolsInfo(VmwareToolsFlavour.OpenVmTools, ["open-vm-tools"], null, ["/etc/systemd/system/multi-user.target.wants/open-vm-tools.service"]),
        Network = new NetworkInfo([NetworkConfigSystem.Ifupdown], [new ConfiguredInterface("ens160", "00:0c:29:aa:bb:cc", NetworkConfigSystem.Ifupdown, "/etc/network/interfaces")]),
        HasSystemd = true,
        Warnings = ["kernel 5.10.0-1-amd64 has no /lib/modules/5.10.0-1-amd64"],
    };
}
