namespace V2VConverter.Guest.Fixups.Uefi;

/// <summary>
/// A first-boot step for a UEFI Linux guest: a systemd unit that runs once, on the new machine, and registers a proper boot
/// entry for the loader VMware's NVRAM booted, with the guest's own efibootmgr (the entry then names the virtio disk as the
/// new firmware sees it). Until it has run, and if it cannot, the removable-media fallback boots the guest.
/// </summary>
public static class UefiBootEntryUnit
{
    public const string ScriptPath = "/usr/local/sbin/v2v-uefi-boot-entry";

    public const string UnitName = "v2v-uefi-boot-entry.service";

    public const string UnitPath = "/etc/systemd/system/" + UnitName;

    public const string WantsLink = "/etc/systemd/system/multi-user.target.wants/" + UnitName;

    /// <summary>Written once the entry exists; the unit does not start again after that.</summary>
    public const string DoneStamp = "/var/lib/v2v/uefi-boot-entry.done";

    /// <summary>Where a guest keeps efibootmgr.</summary>
    public static readonly IReadOnlyList<string> EfibootmgrPaths = ["/usr/bin/efibootmgr", "/bin/efibootmgr", "/usr/sbin/efibootmgr", "/sbin/efibootmgr"];

    public static string Unit() => $"""
        # Written by V2VConverter: registers the UEFI boot entry the VM had on VMware, once.
        [Unit]
        Description=Register the UEFI boot entry the VM had on VMware (V2VConverter)
        ConditionPathExists=/sys/firmware/efi
        ConditionPathExists=!{DoneStamp}
        After=local-fs.target

        [Service]
        Type=oneshot
        ExecStart={ScriptPath}

        [Install]
        WantedBy=multi-user.target

        """;

    /// <param name="espMountPoint">Where the guest mounts its EFI system partition ("/boot/efi").</param>
    /// <param name="loader">The loader's UEFI path ("\EFI\debian\shimx64.efi").</param>
    /// <param name="label">The entry's description ("debian").</param>
    public static string Script(string espMountPoint, string loader, string label) => $$"""
        #!/bin/sh
        # Written by V2VConverter: VMware kept this VM's boot entry in its own NVRAM, which a new KVM domain does not have.
        # The EFI system partition got a removable-media fallback (EFI/BOOT/BOOTX64.EFI) so the guest boots; this registers
        # a proper entry for {{Quote(loader)}} with efibootmgr on the first boot, then never runs again.
        set -u
        esp={{Quote(espMountPoint)}}
        loader={{Quote(loader)}}
        label={{Quote(label)}}
        dev=$(findmnt -n -o SOURCE --target "$esp" 2>/dev/null | head -n 1)
        [ -n "$dev" ] || { echo "v2v-uefi-boot-entry: $esp is not mounted" >&2; exit 1; }
        part=$(cat "/sys/class/block/${dev##*/}/partition" 2>/dev/null)
        disk=$(lsblk -n -o PKNAME "$dev" 2>/dev/null | head -n 1)
        [ -n "$part" ] && [ -n "$disk" ] || { echo "v2v-uefi-boot-entry: cannot tell the disk and partition of $dev" >&2; exit 1; }
        if ! efibootmgr -v 2>/dev/null | grep -Fqi "$loader"; then
            efibootmgr --create --disk "/dev/$disk" --part "$part" --loader "$loader" --label "$label" || exit 1
        fi
        mkdir -p {{Quote(Path.GetDirectoryName(DoneStamp)!)}} && : > {{Quote(DoneStamp)}}

        """;

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
