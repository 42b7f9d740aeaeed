using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Fixups;

/// <summary>Remaps bus-position device names in /etc/fstab and /etc/crypttab (see <see cref="FstabTransform"/>).</summary>
public sealed class FstabFixup : IFileEditFixup
{
    public string Name => "fstab";

    public FixupResult Apply(GuestFixupContext context)
    {
        var rec = new FixupRecorder(Name, context);
        var map = context.SourceNames;
        var fstab = rec.Edit("/etc/fstab", t => FstabTransform.ApplyFstab(t, map));
        var crypttab = rec.Edit("/etc/crypttab", t => FstabTransform.ApplyCrypttab(t, map));
        var targets = context.Inspection.Filesystems.Count == 0 ? [] : TargetDisks(context);
        foreach (var (path, r) in new[] { ("/etc/fstab", fstab), ("/etc/crypttab", crypttab) })
        {
            if (r is null)
            {
                continue;
            }

            var stale = StaleDeviceScanner.Scan(path, r.Text, map.SourceDisks, targets);
            if (stale.Count == 0)
            {
                rec.Verified($"{path} names no converted source disk");
            }
            else
            {
                foreach (var s in stale)
                {
                    rec.Warn($"{path}:{s.Line} still names {s.Device}");
                }
            }
        }

        if (fstab is null)
        {
            rec.Warn("/etc/fstab not found");
        }

        return rec.Finish();
    }

    internal static IReadOnlyCollection<string> TargetDisks(GuestFixupContext context) =>
        context.SourceNames.SourceDisks.Select(d => context.SourceNames.Remap("/dev/" + d, UuidSyntax.None).NewValue?.Replace("/dev/", "", StringComparison.Ordinal) ?? d).ToList();
}
