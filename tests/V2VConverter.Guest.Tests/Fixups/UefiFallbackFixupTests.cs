using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Fixups.Uefi;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Transforms;
using V2VConverter.Model.Vm;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Fixups;

/// <summary>
/// The uefi-boot fixup on an in-memory Linux guest whose ESP is mounted on /boot/efi: which loader becomes the
/// removable-media fallback, what is kept, what is said. (The real guest, converted and booted under OVMF, is Cli.Tests UefiBootTests.)
/// </summary>
public sealed class UefiFallbackFixupTests
{
    private static readonly byte[] ShimBytes = "shim signed by Microsoft"u8.ToArray();
    private static readonly byte[] GrubBytes = "grub signed by Debian"u8.ToArray();
    private static readonly Guid EspGuid = new("5a1e0003-0f10-4d65-9bd6-000000000003");

    private static FakeGuest DebianEsp(bool shim = true, bool grub = true)
    {
        var g = new FakeGuest();
        if (shim)
        {
            g.Binary["/boot/efi/EFI/debian/shimx64.efi"] = ShimBytes;
            g.Binary["/boot/efi/EFI/debian/mmx64.efi"] = "mok manager"u8.ToArray();
        }

        if (grub)
        {
            g.Binary["/boot/efi/EFI/debian/grubx64.efi"] = GrubBytes;
        }

        g.Files["/boot/efi/EFI/debian/grub.cfg"] = "search.fs_uuid 5a1e0001 root hd0,gpt2\nset prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n";
        g.Files["/usr/bin/efibootmgr"] = "";
        return g;
    }

    private static (FixupResult Result, List<string> Log) Run(FakeGuest g, UefiFirmware? uefi, string distro = "debian", bool espMounted = true)
    {
        var os = new OsIdentity
        {
            Root = "/dev/sda2", OsType = "linux", Distro = distro, ProductName = "Debian GNU/Linux 12 (bookworm)", MajorVersion = 12, MinorVersion = 0, Arch = "x86_64",
            MountPoints = [], Filesystems = [], PackageFormat = "deb", PackageManager = "apt", Method = IdentificationMethod.Quick,
        };
        var insp = new GuestInspection
        {
            Os = os, PackageFormat = "deb", PackageManager = "apt", HasSystemd = true,
            Bootloader = new BootloaderInfo(BootloaderKind.Grub2, "/boot/grub/grub.cfg", "/etc/default/grub", null, null),
            VmwareTools = new VmwareToolsInfo(VmwareToolsFlavour.None, [], null, []),
            Network = new NetworkInfo([], []),
            Filesystems = [new GuestFilesystem("/dev/sda2", "ext4", "5a1e0001", null, "/"), new GuestFilesystem("/dev/sda1", "vfat", "ABCD-1234", null, espMounted ? "/boot/efi" : null)],
        };
        var map = new DeviceRemapper([new("sda", "vda")], [], DeviceNamingStyle.Uuid);
        var log = new List<string>();
        var ctx = new GuestFixupContext(g, insp, map, map, [], new GuestConversionOptions { Uefi = uefi }, new TestLog(log.Add).Logger);
        return (new UefiFallbackFixup().Apply(ctx), log);
    }

    private static UefiBootState Nvram(params UefiBootEntry[] entries) =>
        new("guest.nvram", entries, entries.Select(e => e.Number).ToList());

    private static UefiBootEntry Entry(int n, string description, string? path, bool active = true) =>
        new(n, description, active, path, path is null ? null : 1, path is null ? null : EspGuid);

    [Fact]
    public void The_nvram_entry_for_shim_becomes_the_fallback_with_grub_beside_it_and_a_first_boot_entry()
    {
        var g = DebianEsp();
        var (r, log) = Run(g, new UefiFirmware(false, Nvram(Entry(4, "debian", @"\EFI\debian\shimx64.efi")), null));

        Assert.Equal(FixupStatus.Applied, r.Status);
        Assert.Equal(ShimBytes, g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"]);
        Assert.Equal(GrubBytes, g.Binary["/boot/efi/EFI/BOOT/grubx64.efi"]);
        Assert.True(g.Binary.ContainsKey("/boot/efi/EFI/BOOT/mmx64.efi"));
        Assert.Equal(g.Files["/boot/efi/EFI/debian/grub.cfg"], g.Files["/boot/efi/EFI/BOOT/grub.cfg"]);
        var why = r.Actions[0];
        Assert.Contains("VMware's NVRAM (guest.nvram) boots Boot0004 \"debian\" \\EFI\\debian\\shimx64.efi first", why);
        Assert.Contains("empty variable store", why);
        Assert.Contains("copied EFI/debian/shimx64.efi to EFI/BOOT/BOOTX64.EFI", why);

        Assert.Contains(@"loader='\EFI\debian\shimx64.efi'", g.Files[UefiBootEntryUnit.ScriptPath]);
        Assert.Contains("label='debian'", g.Files[UefiBootEntryUnit.ScriptPath]);
        Assert.Contains("ConditionPathExists=!/var/lib/v2v/uefi-boot-entry.done", g.Files[UefiBootEntryUnit.UnitPath]);
        Assert.Equal(UefiBootEntryUnit.UnitPath, g.Links[UefiBootEntryUnit.WantsLink]);
        Assert.Empty(r.Warnings);
        Assert.Contains(log, l => l.StartsWith("uefi-boot: VMware's NVRAM", StringComparison.Ordinal) && l.EndsWith("copied EFI/debian/shimx64.efi to EFI/BOOT/BOOTX64.EFI", StringComparison.Ordinal));
    }

    [Fact]
    public void An_nvram_entry_for_grub_still_puts_shim_first_when_shim_is_beside_it()
    {
        var g = DebianEsp();
        var (r, _) = Run(g, new UefiFirmware(true, Nvram(Entry(1, "debian", @"\EFI\debian\grubx64.efi")), null));
        Assert.Equal(ShimBytes, g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"]);
        Assert.Equal(GrubBytes, g.Binary["/boot/efi/EFI/BOOT/grubx64.efi"]);
        Assert.Contains("shim goes first", r.Actions[0]);
    }

    [Fact]
    public void Without_shim_grub_is_the_fallback_and_secure_boot_is_warned_about()
    {
        var g = DebianEsp(shim: false);
        var (r, _) = Run(g, new UefiFirmware(true, null, "guest.nvram does not exist"));
        Assert.Equal(GrubBytes, g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"]);
        Assert.False(g.Binary.ContainsKey("/boot/efi/EFI/BOOT/grubx64.efi"));
        Assert.Contains("found by searching the EFI system partition: EFI/debian/grubx64.efi", r.Actions[0]);
        Assert.Contains(r.Warnings, w => w.Contains("secure boot is on, but EFI/debian has no shimx64.efi", StringComparison.Ordinal));
    }

    [Fact]
    public void A_different_existing_fallback_is_kept_with_a_warning()
    {
        var g = DebianEsp();
        var other = "some other loader"u8.ToArray();
        g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"] = other;
        var (r, _) = Run(g, new UefiFirmware(false, Nvram(Entry(1, "debian", @"\EFI\debian\shimx64.efi")), null));
        Assert.Equal(other, g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"]);
        Assert.False(g.Binary.ContainsKey("/boot/efi/EFI/BOOT/grubx64.efi"));
        Assert.Contains(r.Warnings, w => w.Contains("EFI/BOOT/BOOTX64.EFI exists and differs from EFI/debian/shimx64.efi; it is kept as it is", StringComparison.Ordinal));
        Assert.False(g.Files.ContainsKey(UefiBootEntryUnit.UnitPath));
    }

    [Fact]
    public void The_same_existing_fallback_is_verified_and_its_missing_grub_added()
    {
        var g = DebianEsp();
        g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"] = ShimBytes;
        var (r, _) = Run(g, new UefiFirmware(false, Nvram(Entry(1, "debian", @"\EFI\debian\shimx64.efi")), null));
        Assert.Contains(r.Verification, v => v.Contains("EFI/BOOT/BOOTX64.EFI is already EFI/debian/shimx64.efi", StringComparison.Ordinal));
        Assert.Equal(GrubBytes, g.Binary["/boot/efi/EFI/BOOT/grubx64.efi"]);
    }

    [Fact]
    public void An_entry_naming_a_missing_file_is_skipped_for_the_next_in_boot_order()
    {
        var g = DebianEsp();
        g.Binary["/boot/efi/EFI/ubuntu/shimx64.efi"] = "ubuntu shim"u8.ToArray();
        var state = new UefiBootState("guest.nvram", [Entry(1, "old", @"\EFI\fedora\shimx64.efi"), Entry(2, "EFI VMware Virtual SCSI Hard Drive (0.0)", null), Entry(3, "debian", @"\EFI\debian\shimx64.efi")], [2, 1, 3]);
        var (r, _) = Run(g, new UefiFirmware(false, state, null));
        Assert.Equal(ShimBytes, g.Binary["/boot/efi/EFI/BOOT/BOOTX64.EFI"]);
        Assert.Contains(r.Warnings, w => w.Contains(@"Boot0001 ""old"" names \EFI\fedora\shimx64.efi, which is not on the EFI system partition", StringComparison.Ordinal));
        Assert.Contains("Boot0003", r.Actions[0]);
    }

    [Fact]
    public void A_bios_vm_is_not_touched_and_a_uefi_vm_without_an_esp_is_a_warning()
    {
        var g = DebianEsp();
        var (bios, _) = Run(g, null);
        Assert.Equal(FixupStatus.NotNeeded, bios.Status);
        Assert.False(g.Binary.ContainsKey("/boot/efi/EFI/BOOT/BOOTX64.EFI"));

        var (none, _) = Run(DebianEsp(), new UefiFirmware(false, null, "no NVRAM"), espMounted: false);
        Assert.Equal(FixupStatus.Failed, none.Status);
        Assert.Contains("no EFI system partition", none.Warnings.Single());

        var (empty, _) = Run(DebianEsp(shim: false, grub: false), new UefiFirmware(false, null, "no NVRAM"));
        Assert.Equal(FixupStatus.Failed, empty.Status);
        Assert.Contains(empty.Warnings, w => w.Contains("no boot loader (shimx64.efi, grubx64.efi, systemd-bootx64.efi) in any EFI/*/ folder", StringComparison.Ordinal));
    }

    [Fact]
    public void The_search_prefers_the_guests_own_distribution_folder()
    {
        var files = new[] { "EFI/centos/shimx64.efi", "EFI/redhat/shimx64.efi", "EFI/redhat/grubx64.efi", "EFI/Microsoft/Boot/bootmgfw.efi" };
        var rhel = UefiFallbackPlanner.Plan(null, files, "rhel", secureBoot: false);
        Assert.Equal(("EFI/redhat", "shimx64.efi"), (rhel.Directory, rhel.FirstStage));
        Assert.Equal(["grubx64.efi"], rhel.Beside);

        var unknown = UefiFallbackPlanner.Plan(null, files, "gentoo", secureBoot: false);
        Assert.Equal("EFI/centos", unknown.Directory);
        Assert.Contains(unknown.Warnings, w => w.Contains("several boot loaders", StringComparison.Ordinal));

        var removable = UefiFallbackPlanner.Plan(Nvram(Entry(1, "fallback", @"\EFI\BOOT\BOOTX64.EFI")), ["EFI/BOOT/BOOTX64.EFI"], "debian", false);
        Assert.True(removable.AlreadyFallback);
    }
}
