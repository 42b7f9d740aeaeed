using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.Fixups;

/// <summary>
/// UEFI Windows: the new domain starts with an empty variable store, so OVMF boots the removable-media fallback
/// <c>EFI\Boot\bootx64.efi</c>, which must be Windows Boot Manager (<c>EFI\Microsoft\Boot\bootmgfw.efi</c>): it is checked
/// and replaced when missing or different. The BCD store's default entry is checked with hivex: the
/// <c>graphicsmodedisabled</c> element (16000046) VMware installs set leaves a black screen on KVM's display, so it is removed.
/// </summary>
public sealed class UefiBootFixup : IWindowsFixup
{
    /// <summary>{bootmgr}: the Windows Boot Manager object of a BCD store.</summary>
    public const string BootManagerObject = "{9dea862c-5cdd-4e70-acc1-f32b344d4795}";

    /// <summary>BCD element: the boot manager's default entry (an object GUID).</summary>
    public const string DefaultObjectElement = "23000003";

    /// <summary>BCD element: graphicsmodedisabled.</summary>
    public const string GraphicsModeDisabledElement = "16000046";

    /// <summary>Bound on a boot loader file compared here.</summary>
    public const long MaxLoaderBytes = 16L << 20;

    private const string EspMountPoint = "/v2v-esp.tmp";

    public string Name => "uefi-boot";

    public FixupResult Apply(WindowsFixupContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var r = new WindowsFixupRecorder(Name, c);
        if (c.Inspection.EspDevice is not { } esp)
        {
            r.Verified("no EFI system partition: a BIOS guest");
            return r.Finish(FixupStatus.NotNeeded);
        }

        c.Session.MakeDirectories(EspMountPoint);
        c.Session.Mount(esp, EspMountPoint, readOnly: false);
        try
        {
            Fallback(c, r, esp);
            Bcd(c, r, esp);
        }
        finally
        {
            c.Session.Unmount(EspMountPoint);
            c.Session.RemoveDirectory(EspMountPoint);
        }

        return r.Finish();
    }

    private static void Fallback(WindowsFixupContext c, WindowsFixupRecorder r, string esp)
    {
        var s = c.Session;
        var bootmgfw = s.ResolveCase(EspMountPoint + "/EFI/Microsoft/Boot/bootmgfw.efi");
        if (!s.IsFile(bootmgfw))
        {
            r.Warn($"{esp}: no EFI\\Microsoft\\Boot\\bootmgfw.efi; the fallback loader is left as it is and the guest may not boot");
            return;
        }

        var fallback = s.ResolveCase(EspMountPoint + "/EFI/Boot/bootx64.efi");
        var manager = Digest(s, bootmgfw);
        if (s.IsFile(fallback) && Digest(s, fallback).SequenceEqual(manager))
        {
            r.Verified($"{esp}: EFI\\Boot\\bootx64.efi is Windows Boot Manager (the same bytes as bootmgfw.efi)");
            return;
        }

        var existed = s.IsFile(fallback);
        s.MakeDirectories(fallback[..fallback.LastIndexOf('/')]);
        s.Copy(bootmgfw, fallback);
        r.File($"{esp}:{fallback[EspMountPoint.Length..]}", !existed, existed ? "replaced: it was not Windows Boot Manager" : "Windows Boot Manager as the removable-media fallback");
        r.Action($"{esp}: EFI\\Boot\\bootx64.efi {(existed ? "replaced by" : "created from")} bootmgfw.efi, so OVMF boots Windows with an empty variable store");
    }

    private static void Bcd(WindowsFixupContext c, WindowsFixupRecorder r, string esp)
    {
        var s = c.Session;
        var bcd = s.ResolveCase(EspMountPoint + "/EFI/Microsoft/Boot/BCD");
        if (!s.IsFile(bcd))
        {
            r.Warn($"{esp}: no EFI\\Microsoft\\Boot\\BCD store");
            return;
        }

        var local = Path.Combine(Path.GetTempPath(), $"v2v-bcd-{Guid.NewGuid():N}");
        try
        {
            s.Download(bcd, local);
            bool changed;
            using (var hive = Hive.Open(local, writable: true))
            {
                var editor = new HiveEditor(hive, "BCD", c.Log);
                var entry = hive.GetValue($@"Objects\{BootManagerObject}\Elements\{DefaultObjectElement}", "Element")?.AsString();
                if (entry is null)
                {
                    r.Warn($"{esp}: the BCD store has no default boot entry ({BootManagerObject}\\Elements\\{DefaultObjectElement})");
                    return;
                }

                r.Verified($"BCD default entry {entry}");
                var graphics = $@"Objects\{entry}\Elements\{GraphicsModeDisabledElement}";
                changed = hive.KeyExists(graphics) && editor.DeleteKey(graphics, "graphicsmodedisabled is set: Windows would boot to a black screen on KVM's display");
                if (changed)
                {
                    hive.Commit();
                }

                c.BcdEdits.AddRange(editor.Edits);
            }

            if (changed)
            {
                s.Upload(local, bcd);
                r.Action($"{esp}: BCD {c.BcdEdits[^1].Key}: graphicsmodedisabled removed");
            }
        }
        finally
        {
            File.Delete(local);
        }
    }

    private static byte[] Digest(GuestfsSession s, string path) => GuestFileDigest.Sha256(s, path, MaxLoaderBytes);
}
