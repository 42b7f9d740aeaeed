using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Fixups;

/// <summary>
/// Adds the virtio drivers to the initramfs of every installed kernel through the guest's own tool
/// (initramfs-tools, dracut, mkinitrd), rebuilds it, and checks the new image by listing its modules.
/// </summary>
public sealed class InitramfsFixup : IStagedGuestFixup
{
    public string Name => "initramfs";

    public FixupResult Apply(GuestFixupContext context) => Prepare(context).RunSequentially(context.Guest);

    /// <summary>Configures the drivers; one job per kernel rebuilds its image and lists it (so kernels, and other fixups' jobs, rebuild side by side).</summary>
    public StagedFixup Prepare(GuestFixupContext context)
    {
        var rec = new FixupRecorder(Name, context);
        var g = context.Guest;
        var kernels = context.Inspection.Kernels.Where(k => k.HasModules).ToList();
        if (kernels.Count == 0)
        {
            rec.Warn("no installed kernel with modules found; the initramfs was not changed");
            return StagedFixup.Done(rec.Finish(FixupStatus.Failed));
        }

        // Which of the drivers each kernel has (as a module or built in).
        var available = kernels.ToDictionary(k => k.Version, k => KernelDrivers(g, k.Version));
        var wanted = VirtioDrivers.Modules.Where(m => available.Values.Any(a => a.Contains(m))).ToList();
        foreach (var m in VirtioDrivers.Modules.Except(wanted))
        {
            rec.Warn($"no installed kernel has {m}; it cannot be added");
        }

        var tool = context.Inspection.InitramfsTool;
        switch (tool)
        {
            case InitramfsTool.InitramfsTools:
                rec.Edit("/etc/initramfs-tools/modules", t => InitramfsToolsModulesTransform.AddModules(t, wanted));
                if (!g.Exists("/etc/initramfs-tools/modules"))
                {
                    rec.Create("/etc/initramfs-tools/modules", InitramfsToolsModulesTransform.AddModules("", wanted).Text);
                }

                break;
            case InitramfsTool.Dracut:
                var existing = g.IsFile(DracutConfTransform.FileName) ? g.ReadText(DracutConfTransform.FileName) : null;
                if (DracutConfTransform.Apply(existing, wanted).Changed)
                {
                    rec.Create(DracutConfTransform.FileName, DracutConfTransform.Render(wanted));
                }

                break;
            case InitramfsTool.Mkinitrd:
                if (g.IsFile("/etc/sysconfig/kernel"))
                {
                    rec.Edit("/etc/sysconfig/kernel", t => SuseKernelSysconfigTransform.AddModules(t, wanted));
                }
                else if (g.IsFile("/etc/modprobe.conf"))
                {
                    rec.Edit("/etc/modprobe.conf", t => ModprobeConfTransform.AddScsiHostAdapters(t, wanted));
                }

                break;
            default:
                rec.Warn("no initramfs tool (initramfs-tools, dracut, mkinitrd) found; the initramfs was not changed");
                return StagedFixup.Done(rec.Finish(FixupStatus.Failed));
        }

        if (!context.Options.RebuildInitramfs)
        {
            rec.Warn("initramfs rebuild disabled by option: the drivers are configured but not built in");
            return StagedFixup.Done(rec.Finish());
        }

        var images = kernels.Select(k => k.InitrdPath ?? DefaultImage(tool, k.Version)).ToList();
        // The rebuild only: the new image is listed on the host afterwards (InitramfsArchive), which takes
        // the guest's lsinitramfs/lsinitrd (~2 s under TCG) off the critical path; the guest lists only what the host cannot read.
        var jobs = kernels.Select((k, i) => new GuestJob($"initramfs {k.Version}", [RebuildCommand(tool, k, images[i], wanted)], GuestJobWeights.Initramfs)).ToList();
        return new StagedFixup(jobs, results =>
        {
            for (var i = 0; i < kernels.Count; i++)
            {
                var k = kernels[i];
                var r = results[i];
                if (!r.Succeeded(1))
                {
                    rec.Warn($"rebuilding {images[i]} failed: {VmwareToolsFixup.LastLine(r.Steps.FirstOrDefault()?.Output ?? "did not run")}");
                    continue;
                }

                rec.Action($"rebuilt {images[i]} for {k.Version} ({r.Elapsed.TotalSeconds:F1} s): {VmwareToolsFixup.LastLine(r.Steps[0].Output)}");
                if (List(g, rec, tool, images[i]) is not { } listing)
                {
                    continue;
                }

                VerifyImage(g, rec, k.Version, images[i], listing, wanted.Where(available[k.Version].Contains).ToList());
            }

            return rec.Finish();
        });
    }

    /// <summary>The image's file names, one per line: read on the host when it can, else by the guest's own tool; null (warned) when neither can.</summary>
    internal static string? List(IGuestFileSystem g, FixupRecorder rec, InitramfsTool tool, string image)
    {
        string reason;
        try
        {
            using var s = g.OpenRead(image);
            if (InitramfsArchive.TryList(s, out var why) is { } names)
            {
                return string.Join('\n', names);
            }

            reason = why!;
        }
        catch (Exception e) when (e is InvalidDataException or GuestfsException or IOException)
        {
            reason = e.Message;
        }

        rec.Log($"{image}: listing it with the guest's tool ({reason})");
        try
        {
            return g.Shell(ListCommand(tool, image));
        }
        catch (GuestfsException e)
        {
            rec.Warn($"could not list {image}: {VmwareToolsFixup.LastLine(e.Message)}");
            return null;
        }
    }

    /// <summary>The guest command that lists an initramfs image's files.</summary>
    internal static string ListCommand(InitramfsTool tool, string image) => tool switch
    {
        InitramfsTool.InitramfsTools => $"lsinitramfs {image}",
        InitramfsTool.Dracut => $"lsinitrd {image}",
        _ => $"(zcat {image} 2>/dev/null || xzcat {image}) | cpio -t 2>/dev/null",
    };

    internal static string DefaultImage(InitramfsTool tool, string version) => tool switch
    {
        InitramfsTool.InitramfsTools => $"/boot/initrd.img-{version}",
        InitramfsTool.Dracut => $"/boot/initramfs-{version}.img",
        _ => $"/boot/initrd-{version}",
    };

    /// <summary>The guest command that rebuilds one kernel's initramfs.</summary>
    internal static string RebuildCommand(InitramfsTool tool, GuestKernel k, string image, IReadOnlyList<string> modules) => tool switch
    {
        InitramfsTool.InitramfsTools => k.InitrdPath is null ? $"update-initramfs -c -k {k.Version}" : $"update-initramfs -u -k {k.Version}",
        InitramfsTool.Dracut => $"dracut -f {image} {k.Version}",
        // SUSE mkinitrd takes -k/-i; the RHEL 5 one takes --with per module, image and version.
        _ => $"if mkinitrd --help 2>&1 | grep -q -- '-k <kernel'; then mkinitrd -k {k.ImagePath} -i {image}; " +
             $"else mkinitrd -f {string.Join(' ', modules.Select(m => "--with=" + m))} {image} {k.Version}; fi",
    };

    private static HashSet<string> KernelDrivers(IGuestFileSystem g, string version)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { $"/lib/modules/{version}", $"/usr/lib/modules/{version}" })
        {
            foreach (var f in new[] { "modules.dep", "modules.builtin" })
            {
                var p = $"{dir}/{f}";
                if (g.IsFile(p))
                {
                    // modules.dep lines are "path.ko: deps"; only the part before ':' names the module itself.
                    var text = string.Join('\n', g.ReadText(p).Split('\n').Select(l => l.Split(':')[0]));
                    set.UnionWith(ModuleListing.ModuleNames(text));
                }
            }

            if (set.Count > 0)
            {
                break;
            }
        }

        return set;
    }

    private static void VerifyImage(IGuestFileSystem g, FixupRecorder rec, string version, string image, string listing, IReadOnlyList<string> expected)
    {
        var inImage = ModuleListing.ModuleNames(listing);
        var builtin = g.IsFile($"/lib/modules/{version}/modules.builtin") ? ModuleListing.ModuleNames(g.ReadText($"/lib/modules/{version}/modules.builtin")) : new HashSet<string>();
        var missing = expected.Where(m => !inImage.Contains(m) && !builtin.Contains(m)).ToList();
        var virtio = inImage.Where(m => m.StartsWith("virtio", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        if (missing.Count == 0)
        {
            rec.Verified($"{image}: {inImage.Count} modules, virtio: {string.Join(' ', virtio)}{(builtin.Overlaps(expected) ? $" (built in: {string.Join(' ', expected.Where(builtin.Contains))})" : "")}");
        }
        else
        {
            rec.Warn($"{image} lacks {string.Join(' ', missing)} after the rebuild");
        }
    }
}
