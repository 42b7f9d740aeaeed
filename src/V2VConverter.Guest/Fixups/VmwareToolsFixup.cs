using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Fixups;

/// <summary>
/// Removes VMware Tools: open-vm-tools / VMware packages with the guest's own dpkg or rpm, a tarball
/// install with its uninstaller (or its file list when the uninstaller fails), then every service link
/// that would still start a VMware daemon.
/// </summary>
public sealed class VmwareToolsFixup : IStagedGuestFixup
{
    /// <summary>Package paths that feed an initramfs build: a package owning any may not be purged while one runs.</summary>
    private static readonly string[] InitramfsPaths =
        ["/usr/share/initramfs-tools", "/etc/initramfs-tools", "/lib/modules", "/usr/lib/modules", "/etc/dracut.conf", "/usr/lib/dracut", "/etc/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d"];

    public string Name => "vmware-tools";

    public FixupResult Apply(GuestFixupContext context) => Prepare(context).RunSequentially(context.Guest);

    /// <summary>
    /// A dpkg purge becomes a job that may run alongside the bootloader and initramfs commands, when
    /// none of the packages ships initramfs or module files or calls an initramfs tool from its
    /// maintainer scripts; everything else is removed here and now.
    /// </summary>
    public StagedFixup Prepare(GuestFixupContext context)
    {
        var rec = new FixupRecorder(Name, context);
        var g = context.Guest;
        var tools = context.Inspection.VmwareTools;
        switch (tools.Flavour)
        {
            case VmwareToolsFlavour.OpenVmTools or VmwareToolsFlavour.VmwarePackages when context.Inspection.PackageFormat == "deb":
                var purge = $"DEBIAN_FRONTEND=noninteractive dpkg --purge {string.Join(' ', tools.Packages)}";
                var staged = new StagedFixup([new GuestJob("dpkg --purge", [purge])], results => FinishDeb(context, rec, tools, results[0]));
                if (TouchesInitramfs(g, tools.Packages) is { } why)
                {
                    context.Log.Info($"{Name}: {why}: purging before the initramfs is rebuilt");
                    return StagedFixup.Done(staged.RunSequentially(g));
                }

                return staged;
            case VmwareToolsFlavour.OpenVmTools or VmwareToolsFlavour.VmwarePackages when context.Inspection.PackageFormat == "rpm":
                var outRpm = g.Shell($"rpm -e {string.Join(' ', tools.Packages)} 2>&1");
                rec.Action($"rpm -e {string.Join(' ', tools.Packages)}: {LastLine(outRpm)}");
                var remaining = g.Command("rpm", "-qa", "--qf", "%{NAME}\\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(VmwareToolsPackages.IsToolsPackage).ToList();
                if (remaining.Count == 0)
                {
                    rec.Verified("rpm -qa lists no VMware Tools package");
                }
                else
                {
                    rec.Warn($"still installed after rpm -e: {string.Join(' ', remaining)}");
                }

                break;
            case VmwareToolsFlavour.OpenVmTools or VmwareToolsFlavour.VmwarePackages:
                rec.Warn($"VMware Tools packages {string.Join(' ', tools.Packages)} found, but package format '{context.Inspection.PackageFormat}' is not supported; remove them by hand");
                break;
            case VmwareToolsFlavour.TarInstalled:
                RemoveTarball(context, rec, tools);
                break;
        }

        return StagedFixup.Done(FinishLinks(context, rec, tools));
    }

    private static FixupResult FinishDeb(GuestFixupContext context, FixupRecorder rec, VmwareToolsInfo tools, GuestJobResult purge)
    {
        var g = context.Guest;
        var pkgs = string.Join(' ', tools.Packages);
        if (!purge.Succeeded(1))
        {
            rec.Warn($"dpkg --purge {pkgs} failed: {LastLine(purge.Steps.LastOrDefault()?.Output ?? "did not run")}");
            return rec.Finish(FixupStatus.Failed);
        }

        rec.Action($"dpkg --purge {pkgs} ({purge.Elapsed.TotalSeconds:F1} s): {LastLine(purge.Steps[0].Output)}");
        var left = DpkgStatus.InstalledPackages(g.ReadText("/var/lib/dpkg/status")).Where(VmwareToolsPackages.IsToolsPackage).ToList();
        if (left.Count == 0)
        {
            rec.Verified("dpkg status lists no VMware Tools package");
        }
        else
        {
            rec.Warn($"still installed after dpkg --purge: {string.Join(' ', left)}");
        }

        return FinishLinks(context, rec, tools);
    }

    /// <summary>Whatever the flavour: no link may still start a VMware daemon.</summary>
    private static FixupResult FinishLinks(GuestFixupContext context, FixupRecorder rec, VmwareToolsInfo tools)
    {
        var g = context.Guest;
        foreach (var link in GuestInspector.ServiceLinkCandidates(g))
        {
            g.Remove(link);
            rec.Deleted(link);
        }

        if (rec.HasChanges && GuestInspector.ServiceLinkCandidates(g).Count == 0)
        {
            rec.Verified("no systemd or SysV link starts a VMware Tools service");
        }

        return rec.Finish(rec.HasWarnings && tools.Flavour != VmwareToolsFlavour.None && !rec.HasChanges ? FixupStatus.Failed : null);
    }

    /// <summary>Why purging these packages could change an initramfs being built (null: it cannot).</summary>
    internal static string? TouchesInitramfs(IGuestFileSystem g, IReadOnlyList<string> packages)
    {
        foreach (var pkg in packages)
        {
            foreach (var info in g.Glob($"/var/lib/dpkg/info/{pkg}.*").Concat(g.Glob($"/var/lib/dpkg/info/{pkg}:*")))
            {
                var kind = info[(info.LastIndexOf('.') + 1)..];
                if (kind == "list")
                {
                    var hit = g.ReadText(info).Split('\n').FirstOrDefault(l => InitramfsPaths.Any(p => l.StartsWith(p + "/", StringComparison.Ordinal)));
                    if (hit is not null)
                    {
                        return $"{pkg} ships {hit.Trim()}";
                    }
                }
                else if (kind is "prerm" or "postrm" or "preinst" or "postinst" or "triggers")
                {
                    var text = g.ReadText(info);
                    if (text.Contains("initramfs", StringComparison.Ordinal) || text.Contains("dracut", StringComparison.Ordinal) || text.Contains("mkinitrd", StringComparison.Ordinal))
                    {
                        return $"{info} mentions an initramfs tool";
                    }
                }
            }
        }

        return null;
    }

    private static void RemoveTarball(GuestFixupContext context, FixupRecorder rec, VmwareToolsInfo tools)
    {
        var g = context.Guest;
        const string locations = "/etc/vmware-tools/locations";
        var loc = g.IsFile(locations) ? VmwareToolsLocations.Parse(g.ReadText(locations)) : null;
        if (tools.Uninstaller is not null && g.IsFile(tools.Uninstaller))
        {
            try
            {
                var o = g.Shell($"{tools.Uninstaller} --default < /dev/null 2>&1");
                rec.Action($"ran {tools.Uninstaller}: {LastLine(o)}");
            }
            catch (GuestfsException e)
            {
                rec.Warn($"{tools.Uninstaller} failed ({e.Message}); removing the files listed in {locations} instead");
            }
        }

        if (loc is not null && g.IsFile(locations))
        {
            foreach (var f in loc.Files.Where(g.Exists))
            {
                g.Remove(f);
                rec.Deleted(f);
            }

            foreach (var d in loc.Directories.OrderByDescending(d => d.Length))
            {
                try
                {
                    g.Command("rmdir", d);
                }
                catch (GuestfsException)
                {
                    // not empty or already gone: leave it
                }
            }
        }

        if (g.Exists(locations))
        {
            rec.Warn($"{locations} is still there: the tarball VMware Tools may be partly installed");
        }
        else
        {
            rec.Verified($"{locations} is gone");
        }
    }

    internal static string LastLine(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "ok" : lines[^1];
    }
}
