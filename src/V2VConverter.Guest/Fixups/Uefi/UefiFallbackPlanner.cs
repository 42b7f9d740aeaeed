using V2VConverter.Model.Vm;

namespace V2VConverter.Guest.Fixups.Uefi;

/// <summary>
/// What the removable-media fallback of an EFI system partition should be: the loader the guest booted on VMware
/// (<see cref="FirstStage"/> in <see cref="Directory"/>, both spelt as on the partition) copied to <c>EFI/BOOT/BOOTX64.EFI</c>,
/// with <see cref="Beside"/> copied next to it, as <c>grub-install --removable</c> lays it out.
/// </summary>
public sealed record UefiFallbackPlan
{
    /// <summary>The loader's folder on the partition ("EFI/debian"); null when no loader was found.</summary>
    public string? Directory { get; init; }

    /// <summary>The first-stage loader in <see cref="Directory"/> ("shimx64.efi", "grubx64.efi"); null when none was found.</summary>
    public string? FirstStage { get; init; }

    /// <summary>Files of <see cref="Directory"/> the first stage needs beside it (shim's grubx64.efi and mmx64.efi, grub's grub.cfg).</summary>
    public IReadOnlyList<string> Beside { get; init; } = [];

    /// <summary>The NVRAM entry the choice follows; null when the partition was searched instead.</summary>
    public UefiBootEntry? Entry { get; init; }

    /// <summary>The entry VMware booted is the fallback path itself: nothing to copy.</summary>
    public bool AlreadyFallback { get; init; }

    /// <summary>How the loader was chosen, for the report.</summary>
    public required string Reason { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Chooses the fallback loader of a UEFI Linux guest (pure: the partition's file list in, a plan out). The NVRAM's boot
/// entries are followed in BootOrder; without a usable one, <c>EFI/*/</c> is searched, the guest's own distribution first.
/// Shim is put first whenever it is beside the chosen grub, so a signed chain stays signed.
/// </summary>
public static class UefiFallbackPlanner
{
    /// <summary>The removable-media path OVMF boots on x86-64 when no boot entry works (UEFI spec 3.5.1.1).</summary>
    public const string FallbackDirectory = "EFI/BOOT";

    public const string FallbackLoader = "BOOTX64.EFI";

    public const string Shim = "shimx64.efi";

    public const string Grub = "grubx64.efi";

    /// <summary>MokManager: shim starts it when a key enrolment is pending.</summary>
    public const string MokManager = "mmx64.efi";

    public const string GrubConfig = "grub.cfg";

    /// <summary>First-stage loaders looked for when the partition is searched, best first.</summary>
    public static readonly IReadOnlyList<string> KnownLoaders = [Shim, Grub, "systemd-bootx64.efi"];

    /// <summary>The <c>EFI/</c> folder names distributions install into, by the inspected distro id.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> DistroFolders = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["rhel"] = ["redhat"],
        ["centos"] = ["centos", "redhat"],
        ["rocky"] = ["rocky", "redhat"],
        ["almalinux"] = ["almalinux", "redhat"],
        ["oraclelinux"] = ["redhat", "ol"],
        ["sles"] = ["sles", "opensuse"],
        ["opensuse"] = ["opensuse"],
    };

    /// <param name="nvram">The NVRAM's boot entries; null when it could not be read.</param>
    /// <param name="espFiles">Every file of the partition, relative to its root ("EFI/debian/shimx64.efi").</param>
    /// <param name="distro">The inspected distribution id ("debian").</param>
    /// <param name="secureBoot">Secure boot was on.</param>
    public static UefiFallbackPlan Plan(UefiBootState? nvram, IReadOnlyCollection<string> espFiles, string distro, bool secureBoot)
    {
        ArgumentNullException.ThrowIfNull(espFiles);
        var files = espFiles.Select(f => f.Replace('\\', '/').Trim('/')).ToList();
        var warnings = new List<string>();
        var (loader, entry, why) = FromNvram(nvram, files, warnings);
        if (loader is null)
        {
            (loader, why) = Search(files, distro, warnings, why);
        }

        if (loader is null)
        {
            return new UefiFallbackPlan { Reason = why, Warnings = warnings, Entry = entry };
        }

        var dir = loader[..loader.LastIndexOf('/')];
        var name = loader[(dir.Length + 1)..];
        if (dir.Equals(FallbackDirectory, StringComparison.OrdinalIgnoreCase))
        {
            return new UefiFallbackPlan { Directory = dir, FirstStage = name, Entry = entry, AlreadyFallback = true, Reason = why, Warnings = warnings };
        }

        string? InDir(string file) => files.FirstOrDefault(f => f.Equals($"{dir}/{file}", StringComparison.OrdinalIgnoreCase)) is { } hit ? hit[(dir.Length + 1)..] : null;
        var beside = new List<string>();
        if (name.Equals(Grub, StringComparison.OrdinalIgnoreCase) && InDir(Shim) is { } shim)
        {
            why += $"; {dir}/{shim} is beside it, so shim goes first and grub beside it, keeping the signed chain";
            beside.Add(name);
            name = shim;
        }
        else if (name.Equals(Shim, StringComparison.OrdinalIgnoreCase))
        {
            if (InDir(Grub) is { } grub)
            {
                beside.Add(grub);
            }
            else
            {
                warnings.Add($"{dir}/{name} has no {Grub} beside it: shim will have nothing to start");
            }
        }
        else if (secureBoot && name.Equals(Grub, StringComparison.OrdinalIgnoreCase))
        {
            warnings.Add($"secure boot is on, but {dir} has no {Shim}: OVMF's secure-boot keys (Microsoft's) refuse a grub that shim does not vouch for. Install shim-signed in the guest, or turn secure boot off");
        }

        if (name.Equals(Shim, StringComparison.OrdinalIgnoreCase) && InDir(MokManager) is { } mm)
        {
            beside.Add(mm);
        }

        if (InDir(GrubConfig) is { } cfg && (name.Equals(Shim, StringComparison.OrdinalIgnoreCase) || name.Equals(Grub, StringComparison.OrdinalIgnoreCase)))
        {
            beside.Add(cfg);
        }

        return new UefiFallbackPlan { Directory = dir, FirstStage = name, Beside = beside, Entry = entry, Reason = why, Warnings = warnings };
    }

    /// <summary>"\EFI\debian\shimx64.efi" as a partition-relative path ("EFI/debian/shimx64.efi").</summary>
    public static string RelativePath(string efiPath) => string.Join('/', efiPath.Split('\\', '/', StringSplitOptions.RemoveEmptyEntries));

    private static (string? Loader, UefiBootEntry? Entry, string Why) FromNvram(UefiBootState? nvram, List<string> files, List<string> warnings)
    {
        if (nvram is null)
        {
            return (null, null, "");
        }

        foreach (var e in nvram.Ordered.Where(e => e.Active && e.LoadsFile))
        {
            var want = RelativePath(e.FilePath!);
            if (files.FirstOrDefault(f => f.Equals(want, StringComparison.OrdinalIgnoreCase)) is { } hit)
            {
                return (hit, e, $"VMware's NVRAM ({nvram.Origin}) boots {e.Name} \"{e.Description}\" {e.FilePath} first");
            }

            warnings.Add($"VMware's NVRAM entry {e.Name} \"{e.Description}\" names {e.FilePath}, which is not on the EFI system partition");
        }

        return (null, null, $"VMware's NVRAM ({nvram.Origin}) has no active entry for a file on the EFI system partition ({nvram.Entries.Count} entries)");
    }

    private static (string? Loader, string Why) Search(List<string> files, string distro, List<string> warnings, string before)
    {
        var prefix = before.Length == 0 ? "" : before + "; ";
        var candidates = KnownLoaders
            .SelectMany(l => files.Where(f => IsLoaderIn(f, l)))
            .GroupBy(f => f[..f.LastIndexOf('/')], StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .ToList();
        if (candidates.Count == 0)
        {
            return (null, prefix + $"no boot loader ({string.Join(", ", KnownLoaders)}) in any EFI/*/ folder of the EFI system partition");
        }

        var preferred = DistroFolders.TryGetValue(distro, out var names) ? names : [distro];
        var pick = preferred.Select(n => candidates.FirstOrDefault(c => Folder(c).Equals(n, StringComparison.OrdinalIgnoreCase))).FirstOrDefault(c => c is not null);
        if (pick is null)
        {
            pick = candidates.OrderBy(c => c, StringComparer.OrdinalIgnoreCase).First();
            if (candidates.Count > 1)
            {
                warnings.Add($"several boot loaders on the EFI system partition ({string.Join(", ", candidates)}), none in a folder named for {distro}: {pick} was taken");
            }
        }

        return (pick, prefix + $"found by searching the EFI system partition: {pick}{(candidates.Count > 1 ? $" (of {candidates.Count})" : "")}");
    }

    private static bool IsLoaderIn(string file, string loader)
    {
        var parts = file.Split('/');
        return parts.Length == 3 && parts[0].Equals("EFI", StringComparison.OrdinalIgnoreCase) && !parts[1].Equals("BOOT", StringComparison.OrdinalIgnoreCase) &&
               parts[2].Equals(loader, StringComparison.OrdinalIgnoreCase);
    }

    private static string Folder(string loader) => loader.Split('/')[1];
}
