using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Fixups;

/// <summary>
/// GRUB 2: rewrites /etc/default/grub (root=/resume= arguments, GRUB_DEVICE, GRUB_DISABLE_LINUX_UUID)
/// and device.map, regenerates grub.cfg with the guest's own grub-mkconfig, fixes any appliance
/// device name that run wrote, and verifies that no file still names an old device.
/// GRUB legacy: rewrites menu.lst (kernel lines and # kopt=) and device.map.
/// </summary>
public sealed class BootloaderFixup : IStagedGuestFixup
{
    public string Name => "bootloader";

    public FixupResult Apply(GuestFixupContext context) => Prepare(context).RunSequentially(context.Guest);

    /// <summary>Edits the GRUB files; grub-mkconfig (GRUB 2) is the job, and the rest happens once it has run.</summary>
    public StagedFixup Prepare(GuestFixupContext context)
    {
        var rec = new FixupRecorder(Name, context);
        var g = context.Guest;
        var bl = context.Inspection.Bootloader;
        var src = context.SourceNames;
        switch (bl.Kind)
        {
            case BootloaderKind.Grub2:
                rec.Edit("/etc/default/grub", t => GrubDefaultsTransform.Apply(t, src));
                if (bl.DeviceMapPath is not null)
                {
                    rec.Edit(bl.DeviceMapPath, t => DeviceMapTransform.Apply(t, src));
                }

                rec.Edit(DebconfGrubInstallDevicesTransform.ConfigDat, t => DebconfGrubInstallDevicesTransform.Apply(t, src));
                var original = g.ReadText(bl.ConfigPath!);
                if (bl.RegenerateCommand is null)
                {
                    rec.Warn("no grub-mkconfig in the guest; editing grub.cfg in place");
                    return StagedFixup.Done(FinishGrub2(context, rec, original, regenerated: false));
                }

                return new StagedFixup([new GuestJob("grub-mkconfig", [bl.RegenerateCommand], GuestJobWeights.Bootloader)], results =>
                {
                    var r = results[0];
                    var regenerated = r.Succeeded(1);
                    if (regenerated)
                    {
                        rec.Action($"ran {bl.RegenerateCommand} ({r.Elapsed.TotalSeconds:F1} s): {VmwareToolsFixup.LastLine(r.Steps[0].Output)}");
                    }
                    else
                    {
                        rec.Warn($"{bl.RegenerateCommand} failed ({VmwareToolsFixup.LastLine(r.Steps.LastOrDefault()?.Output ?? "did not run")}); editing the old {bl.ConfigPath} instead");
                        g.WriteText(bl.ConfigPath!, original);
                    }

                    return FinishGrub2(context, rec, original, regenerated);
                });
            case BootloaderKind.GrubLegacy:
                rec.Edit(bl.ConfigPath!, t => KernelArgsTransform.Apply(t, src, bl.ConfigPath!));
                if (bl.DeviceMapPath is not null)
                {
                    rec.Edit(bl.DeviceMapPath, t => DeviceMapTransform.Apply(t, src));
                }

                return StagedFixup.Done(rec.Finish(Verify(context, rec) ? null : FixupStatus.Failed));
            default:
                rec.Warn("no GRUB configuration found (/boot/grub/grub.cfg, /boot/grub2/grub.cfg, menu.lst); the bootloader was not changed");
                return StagedFixup.Done(rec.Finish(FixupStatus.Failed));
        }
    }

    /// <summary>After a regeneration grub.cfg names the disks as the appliance saw them; before, as VMware did. Both are mapped, then verified.</summary>
    private static FixupResult FinishGrub2(GuestFixupContext context, FixupRecorder rec, string original, bool regenerated)
    {
        var g = context.Guest;
        var cfg = context.Inspection.Bootloader.ConfigPath!;
        var map = regenerated ? context.ApplianceNames : context.SourceNames;
        var fixedCfg = KernelArgsTransform.Apply(g.ReadText(cfg), map, cfg);
        foreach (var w in fixedCfg.Warnings)
        {
            rec.Warn(w);
        }

        if (fixedCfg.Changed)
        {
            g.WriteText(cfg, fixedCfg.Text);
            if (regenerated)
            {
                rec.Action($"rewrote {fixedCfg.Changes.Count} kernel line(s) that grub-mkconfig wrote with appliance device names");
            }
        }

        var diff = KernelLineDiff.Compare(original, fixedCfg.Text);
        if (diff.Count > 0 || regenerated)
        {
            rec.Edit(cfg, t => new TextTransformResult(t, diff, []));
        }

        return rec.Finish(Verify(context, rec) ? null : FixupStatus.Failed);
    }

    /// <summary>
    /// Nothing the boot path reads may still name a converted source disk (by its VMware or its
    /// appliance name), and every kernel line's root= must name a disk the guest will have on KVM.
    /// False when a kernel line would not find its root.
    /// </summary>
    private static bool Verify(GuestFixupContext context, FixupRecorder rec)
    {
        var g = context.Guest;
        var bl = context.Inspection.Bootloader;
        var targets = FstabFixup.TargetDisks(context);
        var olds = context.SourceNames.SourceDisks.Concat(context.ApplianceNames.SourceDisks).Distinct(StringComparer.Ordinal).ToList();
        var files = new[] { bl.ConfigPath, bl.DefaultsPath, bl.DeviceMapPath, "/etc/fstab", "/etc/crypttab" }
            .Where(p => p is not null && g.IsFile(p)).Select(p => p!).Distinct(StringComparer.Ordinal);
        var bad = 0;
        foreach (var f in files)
        {
            var stale = StaleDeviceScanner.Scan(f, g.ReadText(f), olds, targets);
            foreach (var s in stale)
            {
                rec.Warn($"{f}:{s.Line} still names {s.Device}: {s.Text.Trim()}");
                bad++;
            }

            if (stale.Count == 0)
            {
                rec.Verified($"{f} names none of {string.Join(", ", olds.Select(o => "/dev/" + o))}");
            }
        }

        var rootOk = true;
        if (bl.ConfigPath is not null && g.IsFile(bl.ConfigPath))
        {
            var kernelLines = KernelLineDiff.KernelLines(g.ReadText(bl.ConfigPath));
            foreach (var (line, text) in kernelLines.Take(3))
            {
                rec.Verified($"{bl.ConfigPath}:{line}: {text.Trim()}");
            }

            foreach (var (line, text) in kernelLines)
            {
                if (RootArgument.Device(text) is { } dev && !targets.Contains(dev.Disk, StringComparer.Ordinal))
                {
                    rec.Warn($"{bl.ConfigPath}:{line}: root={dev.Path} names no disk the guest has on KVM ({string.Join(", ", targets)}); it would not find its root filesystem");
                    rootOk = false;
                }
            }
        }

        if (bad == 0 && rootOk)
        {
            context.Log.Info("bootloader: verified: no old device name is left");
        }

        return rootOk;
    }
}
