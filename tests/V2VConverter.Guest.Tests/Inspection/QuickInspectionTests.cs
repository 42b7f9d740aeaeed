using System.Runtime.InteropServices;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Tests.Fixups;
using static V2VConverter.Guest.Inspection.QuickInspection;

namespace V2VConverter.Guest.Tests.Inspection;

/// <summary>
/// The quick inspection's pure parts on real-world files (Debian, RHEL with LVM, Ubuntu, SUSE
/// fstabs and os-release files). Its appliance side is checked against libguestfs's inspect_os on
/// the fixture guest in <c>Integration/QuickInspectionApplianceTests</c>.
/// </summary>
public sealed class QuickInspectionTests
{
    private static readonly string[] OneDisk = ["/dev/sda"];

    private static BlkidFilesystem Fs(string dev, string type, string? uuid = null, string? label = null, string? partUuid = null) => new(dev, type, uuid, label, partUuid);

    [Fact]
    public void Debian_installer_fstab_with_uuids_swap_and_a_cdrom_resolves()
    {
        const string fstab = """
            # /etc/fstab: static file system information.
            #
            # <file system> <mount point>   <type>  <options>       <dump>  <pass>
            # / was on /dev/sda1 during installation
            UUID=0a3c5e1b-7d2f-4c11-9a0e-6f1b2c3d4e5f /               ext4    errors=remount-ro 0       1
            # /home was on /dev/sda3 during installation
            UUID=77b3a6a4-1c0d-4f5e-8a9b-0c1d2e3f4a5b /home           ext4    defaults        0       2
            # swap was on /dev/sda5 during installation
            UUID=1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9 none            swap    sw              0       0
            /dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
            tmpfs           /tmp            tmpfs   defaults,size=2G 0 0
            """;
        var fs = new[]
        {
            Fs("/dev/sda1", "ext4", "0a3c5e1b-7d2f-4c11-9a0e-6f1b2c3d4e5f"),
            Fs("/dev/sda3", "ext4", "77B3A6A4-1C0D-4F5E-8A9B-0C1D2E3F4A5B"),
            Fs("/dev/sda5", "swap", "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"),
        };

        var m = ResolveFstab(fstab, fs, OneDisk, "/dev/sda1", out var reason);

        Assert.Null(reason);
        Assert.Equal([("/", "/dev/sda1"), ("/home", "/dev/sda3")], m!);
    }

    [Fact]
    public void Rhel_lvm_fstab_resolves_mapper_names_to_logical_volumes()
    {
        const string fstab = """
            /dev/mapper/rhel-root   /                       xfs     defaults        0 0
            UUID=3c8e1f0a-2b4d-4e6f-8a1c-9d0e1f2a3b4c /boot                   xfs     defaults        0 0
            UUID=5A1E-0F10          /boot/efi               vfat    umask=0077,shortname=winnt 0 2
            /dev/mapper/rhel-home   /home                   xfs     defaults        0 0
            /dev/mapper/rhel-swap   none                    swap    defaults        0 0
            /dev/mapper/data--vg-my--lv /srv               ext4    defaults        0 0
            """;
        var fs = new[]
        {
            Fs("/dev/sda1", "vfat", "5A1E-0F10"),
            Fs("/dev/sda2", "xfs", "3c8e1f0a-2b4d-4e6f-8a1c-9d0e1f2a3b4c"),
            Fs("/dev/sda3", "LVM2_member", "pv-uuid"),
            Fs("/dev/rhel/root", "xfs", "r"),
            Fs("/dev/rhel/home", "xfs", "h"),
            Fs("/dev/rhel/swap", "swap", "s"),
            Fs("/dev/data-vg/my-lv", "ext4", "d"),
        };

        var m = ResolveFstab(fstab, fs, OneDisk, "/dev/rhel/root", out var reason);

        Assert.Null(reason);
        Assert.Equal([("/", "/dev/rhel/root"), ("/boot", "/dev/sda2"), ("/boot/efi", "/dev/sda1"), ("/home", "/dev/rhel/home"), ("/srv", "/dev/data-vg/my-lv")], m!);
    }

    [Fact]
    public void Bus_names_follow_the_disk_order_and_labels_and_by_paths_resolve()
    {
        const string fstab = """
            /dev/sda1 / ext4 defaults 0 1
            /dev/sdb1 /data ext4 defaults 0 2
            LABEL=logs /var/log ext4 defaults 0 2
            /dev/disk/by-uuid/aaaa-bbbb /boot/efi vfat defaults 0 2
            PARTUUID=5643a0a1-03 /srv/my\040files ext4 defaults,nofail 0 2
            /srv/export /export none bind 0 0
            server:/share /mnt/nfs nfs defaults 0 0
            proc /proc proc defaults 0 0
            """;
        var fs = new[]
        {
            Fs("/dev/sda1", "ext4", "u1"),
            Fs("/dev/sda2", "vfat", "aaaa-bbbb"),
            Fs("/dev/sda3", "ext4", "u3", partUuid: "5643a0a1-03"),
            Fs("/dev/sdb1", "ext4", "u4", label: "data"),
            Fs("/dev/sdb2", "ext4", "u5", label: "logs"),
        };

        var m = ResolveFstab(fstab, fs, ["/dev/sda", "/dev/sdb"], "/dev/sda1", out var reason);

        Assert.Null(reason);
        Assert.Equal([("/", "/dev/sda1"), ("/data", "/dev/sdb1"), ("/var/log", "/dev/sdb2"), ("/boot/efi", "/dev/sda2"), ("/srv/my files", "/dev/sda3")], m!);
    }

    [Theory]
    [InlineData("UUID=no-such-uuid /data ext4 defaults 0 2", "UUID=no-such-uuid")]
    [InlineData("/dev/sdc1 /data ext4 defaults 0 2", "/dev/sdc1")]
    [InlineData("/dev/nvme0n1p2 /data ext4 defaults 0 2", "/dev/nvme0n1p2")]
    [InlineData("/dev/mapper/vg-missing /data ext4 defaults 0 2", "/dev/mapper/vg-missing")]
    [InlineData("/dev/md0 /data ext4 defaults 0 2", "/dev/md0")]
    public void An_entry_it_cannot_resolve_sends_the_guest_to_inspect_os(string line, string spec)
    {
        var fs = new[] { Fs("/dev/sda1", "ext4", "u1"), Fs("/dev/sdb1", "ext4", "u2") };

        var m = ResolveFstab("/dev/sda1 / ext4 defaults 0 1\n" + line + "\n", fs, ["/dev/sda", "/dev/sdb"], "/dev/sda1", out var reason);

        Assert.Null(m);
        Assert.Contains(spec, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_fstab_root_elsewhere_or_a_mountpoint_twice_is_refused()
    {
        var fs = new[] { Fs("/dev/sda1", "ext4", "u1"), Fs("/dev/sda2", "ext4", "u2") };

        Assert.Null(ResolveFstab("UUID=u2 / ext4 defaults 0 1\n", fs, OneDisk, "/dev/sda1", out var r1));
        Assert.Contains("but the OS was found on /dev/sda1", r1, StringComparison.Ordinal);
        Assert.Null(ResolveFstab("UUID=u1 / ext4 defaults 0 1\nUUID=u2 /data ext4 defaults 0 2\nUUID=u2 /data ext4 defaults 0 2\n", fs, OneDisk, "/dev/sda1", out var r2));
        Assert.Contains("/data twice", r2, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_fstab_still_mounts_the_root()
    {
        Assert.Equal([("/", "/dev/sda1")], ResolveFstab("", [Fs("/dev/sda1", "ext4")], OneDisk, "/dev/sda1", out _)!);
    }

    [Fact]
    public void Os_release_files_parse_with_quotes_and_escapes()
    {
        var ubuntu = ParseOsRelease("""
            PRETTY_NAME="Ubuntu 22.04.4 LTS"
            NAME="Ubuntu"
            VERSION_ID="22.04"
            ID=ubuntu
            ID_LIKE=debian
            # a comment
            HOME_URL='https://www.ubuntu.com/'
            ODD="say \"hi\" for \$5"
            """);
        Assert.Equal("Ubuntu 22.04.4 LTS", ubuntu["PRETTY_NAME"]);
        Assert.Equal("ubuntu", ubuntu["ID"]);
        Assert.Equal("https://www.ubuntu.com/", ubuntu["HOME_URL"]);
        Assert.Equal("say \"hi\" for $5", ubuntu["ODD"]);
        Assert.Equal("ubuntu", Distros[ubuntu["ID"]]);
        Assert.Equal("rhel", Distros[ParseOsRelease("ID=\"rhel\"\nVERSION_ID=\"9.3\"\n")["ID"]]);
        Assert.Equal("sles", Distros["sles"]);
        Assert.Equal("opensuse", Distros["opensuse-leap"]);
    }

    [Theory]
    [InlineData("12", "12.15\n", 12, 15)]
    [InlineData("12", "trixie/sid\n", 12, 0)]
    [InlineData("11", "12.1", 11, 0)]
    [InlineData("22.04", null, 22, 4)]
    [InlineData("9.3", null, 9, 3)]
    [InlineData("15-SP5", null, 15, 0)]
    [InlineData(null, null, 0, 0)]
    public void Versions_come_from_version_id_and_debian_version(string? versionId, string? debian, int major, int minor)
    {
        Assert.Equal((major, minor), QuickInspection.Version(versionId, debian));
    }

    [Fact]
    public void Package_format_and_manager_follow_what_exists()
    {
        Assert.Equal(("deb", "apt"), Pm("/var/lib/dpkg/status", "/usr/bin/apt-get"));
        Assert.Equal(("rpm", "dnf"), Pm("/var/lib/rpm", "/usr/bin/dnf", "/usr/bin/yum"));
        Assert.Equal(("rpm", "yum"), Pm("/var/lib/rpm", "/usr/bin/yum"));
        Assert.Equal(("rpm", "zypper"), Pm("/usr/lib/sysimage/rpm", "/usr/bin/zypper"));
        Assert.Equal(("pacman", "pacman"), Pm("/var/lib/pacman"));
        Assert.Equal(("unknown", "unknown"), Pm());

        static (string, string) Pm(params string[] exists)
        {
            var set = exists.ToHashSet(StringComparer.Ordinal);
            var f = PackageFormat(set);
            return (f, PackageManager(f, set));
        }
    }

    [Fact]
    public void The_probe_reads_the_files_that_exist_and_tests_the_paths()
    {
        var g = new FakeGuest();
        g.Files["/etc/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n";
        g.Files["/etc/fstab"] = "UUID=u1 / ext4 defaults 0 1\n";
        g.Files["/var/lib/dpkg/status"] = "Package: base-files\n";
        g.Files["/usr/bin/apt-get"] = "";
        g.Files["/bin/ls"] = "";

        var p = ReadProbe(g);

        Assert.Equal(["/etc/fstab", "/etc/os-release"], p.Files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("ID=debian\nVERSION_ID=\"12\"\n", p.Files["/etc/os-release"]);
        Assert.Equal(["/bin/ls", "/usr/bin/apt-get", "/var/lib/dpkg/status"], p.Exists.Order(StringComparer.Ordinal));
        Assert.Empty(g.Commands); // nothing is run in the guest
    }

    [Fact]
    public void Elf_headers_name_their_architecture()
    {
        // This machine's own /bin/ls is the oracle for the header layout.
        var own = File.ReadAllBytes("/bin/ls").AsSpan(0, ElfArchitecture.HeaderBytes);
        var expected = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            _ => null,
        };
        Assert.Equal(expected, ElfArchitecture.FromHeader(own));

        Assert.Equal("aarch64", ElfArchitecture.FromHeader(Header(2, 1, 183)));
        Assert.Equal("i386", ElfArchitecture.FromHeader(Header(1, 1, 3)));
        Assert.Equal("ppc64", ElfArchitecture.FromHeader(Header(2, 2, 21)));
        Assert.Equal("ppc64le", ElfArchitecture.FromHeader(Header(2, 1, 21)));
        Assert.Equal("s390x", ElfArchitecture.FromHeader(Header(2, 2, 22)));
        Assert.Null(ElfArchitecture.FromHeader(Header(2, 1, 9999)));
        Assert.Null(ElfArchitecture.FromHeader("#!/bin/sh\nexec true\n\n\n\n"u8));
        Assert.Null(ElfArchitecture.FromHeader(Header(2, 1, 62).AsSpan(0, 10)));

        static byte[] Header(byte cls, byte data, ushort machine)
        {
            var h = new byte[ElfArchitecture.HeaderBytes];
            h[0] = 0x7f;
            h[1] = (byte)'E';
            h[2] = (byte)'L';
            h[3] = (byte)'F';
            h[4] = cls;
            h[5] = data;
            if (data == 2)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(18), machine);
            }
            else
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(18), machine);
            }

            return h;
        }
    }
}
