using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Fixups.Uefi;

/// <summary>
/// UEFI Linux guests. VMware keeps the boot entry (<c>Boot0001 \EFI\debian\shimx64.efi</c>) in its own NVRAM file; a new
/// libvirt domain starts with an empty variable store made from the OVMF template, so OVMF would find nothing to boot.
/// This fixup gives the EFI system partition the removable-media fallback OVMF boots then (<c>EFI/BOOT/BOOTX64.EFI</c>:
/// shim with grub beside it, or grub), choosing the loader the NVRAM's entries name (<see cref="UefiFallbackPlanner"/>),
/// and adds a first-boot step that registers a proper entry with the guest's efibootmgr (<see cref="UefiBootEntryUnit"/>).
/// An existing, different <c>BOOTX64.EFI</c> is kept, with a warning. What was done and why is in the report.
/// </summary>
public sealed class UefiFallbackFixup : IFileEditFixup
{
    /// <summary>Bound on a loader file hashed here.</summary>
    public const long MaxLoaderBytes = 64L << 20;

    /// <summary>Where Linux guests mount their EFI system partition, in the order looked at.</summary>
    public static readonly IReadOnlyList<string> EspMountPoints = ["/boot/efi", "/efi", "/boot"];

    public string Name => "uefi-boot";

    public FixupResult Apply(GuestFixupContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rec = new FixupRecorder(Name, context);
        if (context.Options.Uefi is not { } uefi)
        {
            rec.Verified("BIOS firmware: no UEFI boot entry to carry");
            return rec.Finish(FixupStatus.NotNeeded);
        }

        var g = context.Guest;
        var esp = EspMountPoints.FirstOrDefault(m => context.Inspection.Filesystems.Any(f => f.MountPoint == m && f.Type == "vfat") && g.IsDirectory(m + "/EFI"));
        if (esp is null)
        {
            rec.Warn("the VM boots with UEFI, but the guest mounts no EFI system partition with an EFI folder (/boot/efi, /efi, /boot): nothing was made bootable, and OVMF may find nothing to boot");
            return rec.Finish(FixupStatus.Failed);
        }

        if (uefi.SourceBoot is null)
        {
            rec.Log($"no boot entries from VMware's NVRAM: {uefi.SourceBootProblem ?? "not read"}");
        }

        var files = g.Find(esp).Select(f => f.TrimStart('/')).Where(f => g.IsFile($"{esp}/{f}")).ToList();
        var plan = UefiFallbackPlanner.Plan(uefi.SourceBoot, files, context.Inspection.Os.Distro, uefi.SecureBoot);
        foreach (var w in plan.Warnings)
        {
            rec.Warn(w);
        }

        if (plan.FirstStage is null)
        {
            rec.Warn($"{plan.Reason}: no removable-media fallback was made, and OVMF may find nothing to boot");
            return rec.Finish(FixupStatus.Failed);
        }

        var source = $"{esp}/{plan.Directory}/{plan.FirstStage}";
        if (plan.AlreadyFallback)
        {
            rec.Verified($"{plan.Reason}: the removable-media fallback itself, which OVMF boots with an empty variable store too");
            return rec.Finish();
        }

        var target = $"{esp}/{UefiFallbackPlanner.FallbackDirectory}/{UefiFallbackPlanner.FallbackLoader}";
        var why = uefi.EntriesCarried
            ? $"{plan.Reason}. That entry was carried into the domain's own variable store; the removable-media fallback also boots the guest if the store is reset or left behind"
            : $"{plan.Reason}. A new libvirt domain starts with an empty variable store made from the OVMF template, so that entry is not there; OVMF boots the removable-media fallback instead";
        if (g.IsFile(target))
        {
            if (Digest(g, target).AsSpan().SequenceEqual(Digest(g, source)))
            {
                rec.Verified($"{why}: EFI/BOOT/BOOTX64.EFI is already {plan.Directory}/{plan.FirstStage}");
                CopyBeside(g, rec, esp, plan);
            }
            else
            {
                rec.Warn($"{why}: EFI/BOOT/BOOTX64.EFI exists and differs from {plan.Directory}/{plan.FirstStage}; it is kept as it is, and it is what the guest will boot");
                return rec.Finish();
            }
        }
        else
        {
            g.MakeDirectories($"{esp}/{UefiFallbackPlanner.FallbackDirectory}");
            g.Copy(source, target);
            rec.Action($"{why}: copied {plan.Directory}/{plan.FirstStage} to EFI/BOOT/BOOTX64.EFI");
            CopyBeside(g, rec, esp, plan);
        }

        if (!uefi.EntriesCarried)
        {
            RegisterOnFirstBoot(context, rec, esp, plan);
        }

        return rec.Finish();
    }

    private static void CopyBeside(IGuestFileSystem g, FixupRecorder rec, string esp, UefiFallbackPlan plan)
    {
        foreach (var f in plan.Beside)
        {
            var from = $"{esp}/{plan.Directory}/{f}";
            var to = $"{esp}/{UefiFallbackPlanner.FallbackDirectory}/{f}";
            if (g.IsFile(to) && Digest(g, to).AsSpan().SequenceEqual(Digest(g, from)))
            {
                continue;
            }

            var existed = g.IsFile(to);
            g.Copy(from, to);
            rec.Action($"{(existed ? "replaced" : "copied")} {plan.Directory}/{f} {(existed ? "into" : "to")} EFI/BOOT/{f}, beside {plan.FirstStage}");
        }
    }

    private static void RegisterOnFirstBoot(GuestFixupContext context, FixupRecorder rec, string esp, UefiFallbackPlan plan)
    {
        var g = context.Guest;
        var loader = "\\" + $"{plan.Directory}/{plan.FirstStage}".Replace('/', '\\');
        if (!context.Inspection.HasSystemd)
        {
            rec.Log($"no systemd in the guest: no first-boot step; the fallback boots the guest until its own grub-install registers {loader}");
            return;
        }

        if (UefiBootEntryUnit.EfibootmgrPaths.FirstOrDefault(g.IsFile) is null)
        {
            rec.Log($"no efibootmgr in the guest: no first-boot step; the fallback boots the guest until its own grub-install registers {loader}");
            return;
        }

        var label = plan.Entry?.Description is { Length: > 0 } d ? d : plan.Directory!.Split('/')[^1];
        rec.Create(UefiBootEntryUnit.ScriptPath, UefiBootEntryUnit.Script(esp, loader, label));
        g.Chmod(0x1ED, UefiBootEntryUnit.ScriptPath); // 0755
        rec.Create(UefiBootEntryUnit.UnitPath, UefiBootEntryUnit.Unit());
        g.MakeDirectories(UefiBootEntryUnit.WantsLink[..UefiBootEntryUnit.WantsLink.LastIndexOf('/')]);
        g.Symlink(UefiBootEntryUnit.UnitPath, UefiBootEntryUnit.WantsLink);
        rec.Action($"first boot: {UefiBootEntryUnit.UnitName} registers {loader} \"{label}\" with the guest's efibootmgr, once");
    }

    private static byte[] Digest(IGuestFileSystem g, string path) => GuestFileDigest.Sha256(g, path, MaxLoaderBytes);
}
