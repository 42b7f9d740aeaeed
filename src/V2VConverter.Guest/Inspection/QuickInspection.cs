using System.Globalization;
using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Inspection;

/// <summary>
/// Identifies a plain Linux guest in a handful of appliance calls instead of libguestfs's
/// <c>inspect_os</c> (about 10 s under TCG, where every call costs ~0.1 s and the inspection makes
/// many): <c>list_partitions</c>, one <c>blkid</c> per device (<c>lvs</c> only when there is a physical
/// volume), then mount candidates until one holds <c>/etc</c>, and read os-release, debian_version,
/// hostname and fstab and test the package-manager paths with calls that exec nothing in the guest.
/// <para>
/// It only answers for layouts it understands completely: ext2/3/4 or xfs filesystems on partitions,
/// whole disks or LVM logical volumes, vfat and swap beside them, and an fstab whose every local
/// entry resolves to one of those filesystems. Anything else (btrfs subvolumes, RAID, LUKS, ZFS,
/// NTFS, no os-release, an fstab entry naming a device it cannot find) returns null with the reason
/// logged, and the caller uses <c>inspect_os</c>, which handles every layout.
/// </para>
/// </summary>
public static class QuickInspection
{
    /// <summary>Filesystem types a root may have on the quick path.</summary>
    public static readonly IReadOnlySet<string> RootTypes = new HashSet<string>(StringComparer.Ordinal) { "ext2", "ext3", "ext4", "xfs" };

    /// <summary>Types that may sit beside the root without sending the guest to inspect_os.</summary>
    public static readonly IReadOnlySet<string> SideTypes = new HashSet<string>(StringComparer.Ordinal) { "vfat", "swap", "LVM2_member" };

    /// <summary>Bound on the devices probed (partitions + LVs + whole disks); more goes to inspect_os.</summary>
    public const int MaxDevices = 64;

    /// <summary>Paths the probe script tests for existence (package formats and managers, the binary whose architecture is read).</summary>
    public static readonly IReadOnlyList<string> ProbePaths =
    [
        "/var/lib/dpkg/status", "/var/lib/rpm", "/usr/lib/sysimage/rpm", "/var/lib/pacman", "/lib/apk/db",
        "/usr/bin/apt-get", "/usr/bin/dnf", "/usr/bin/yum", "/usr/bin/zypper", "/usr/bin/pacman", "/sbin/apk",
        "/bin/ls", "/usr/bin/ls", "/bin/sh",
    ];

    /// <summary>Small text files the probe script prints.</summary>
    public static readonly IReadOnlyList<string> ProbeFiles = ["/etc/os-release", "/usr/lib/os-release", "/etc/debian_version", "/etc/hostname", "/etc/fstab"];

    /// <summary>Bound on each probe file (os-release, fstab, ...: small text files).</summary>
    public const int MaxProbeFileChars = 1 << 20;

    /// <summary>os-release ID → libguestfs's distro name (inspect_get_distro), for the IDs libguestfs knows.</summary>
    public static readonly IReadOnlyDictionary<string, string> Distros = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["alpine"] = "alpinelinux", ["almalinux"] = "almalinux", ["altlinux"] = "altlinux", ["arch"] = "archlinux", ["centos"] = "centos",
        ["circle"] = "circle", ["debian"] = "debian", ["fedora"] = "fedora", ["gentoo"] = "gentoo", ["kali"] = "kalilinux",
        ["mageia"] = "mageia", ["ol"] = "oraclelinux", ["opensuse"] = "opensuse", ["opensuse-leap"] = "opensuse",
        ["opensuse-tumbleweed"] = "opensuse", ["rhel"] = "rhel", ["rocky"] = "rocky", ["sles"] = "sles", ["sled"] = "sles",
        ["ubuntu"] = "ubuntu", ["void"] = "voidlinux", ["linuxmint"] = "linuxmint", ["pop"] = "ubuntu",
    };

    /// <summary>One filesystem as blkid describes it.</summary>
    public sealed record BlkidFilesystem(string Device, string Type, string? Uuid, string? Label, string? PartUuid, string? KernelDevice = null);

    /// <summary>Runs the quick path. Returns null (with the reason logged, nothing left mounted) when it cannot answer.</summary>
    public static OsIdentity? TryIdentify(GuestfsSession s, bool readOnly, ILogger log)
    {
        var disks = s.ListDevices();
        var partitions = s.ListPartitions();
        var devices = disks.Where(d => !partitions.Any(p => p.StartsWith(d, StringComparison.Ordinal))).Concat(partitions).ToList();
        var filesystems = new List<BlkidFilesystem>();
        string? Describe(IEnumerable<string> devs)
        {
            foreach (var dev in devs)
            {
                IReadOnlyDictionary<string, string> tags;
                try
                {
                    tags = s.Blkid(dev);
                }
                catch (GuestfsException)
                {
                    continue; // nothing blkid recognises (an extended partition, a BIOS boot partition)
                }

                if (!tags.TryGetValue("TYPE", out var type) || type.Length == 0)
                {
                    continue;
                }

                if (!RootTypes.Contains(type) && !SideTypes.Contains(type))
                {
                    return $"{dev} holds {type}";
                }

                filesystems.Add(new BlkidFilesystem(dev, type, Tag(tags, "UUID"), Tag(tags, "LABEL"), Tag(tags, "PART_ENTRY_UUID"), Tag(tags, "DEVNAME")));
            }

            return null;
        }

        if (devices.Count > MaxDevices)
        {
            return GiveUp($"{devices.Count} devices (more than {MaxDevices})", log);
        }

        if (Describe(devices) is { } odd)
        {
            return GiveUp(odd, log);
        }

        // lvs scans every device, so only when there is a physical volume.
        var lvs = filesystems.Any(f => f.Type == "LVM2_member") ? s.LogicalVolumes() : [];
        if (devices.Count + lvs.Count > MaxDevices)
        {
            return GiveUp($"{devices.Count + lvs.Count} devices (more than {MaxDevices})", log);
        }

        if (Describe(lvs) is { } oddLv)
        {
            return GiveUp(oddLv, log);
        }

        foreach (var candidate in filesystems.Where(f => RootTypes.Contains(f.Type)))
        {
            try
            {
                s.Mount(candidate.Device, "/", readOnly);
            }
            catch (GuestfsException e)
            {
                log.Info($"inspection: could not mount {candidate.Device} to look for an OS: {e.Message}");
                continue;
            }

            if (!s.IsDirectory("/etc"))
            {
                s.Unmount("/");
                continue;
            }

            Probe probe;
            try
            {
                probe = ReadProbe(s);
            }
            catch (Exception e) when (e is GuestfsException or InvalidDataException)
            {
                s.Unmount("/");
                return GiveUp($"the probe failed on {candidate.Device}: {e.Message}", log);
            }

            var identity = Build(s, candidate, filesystems, disks, lvs, probe, readOnly, log, out var reason);
            if (identity is null)
            {
                s.UnmountAll();
                return GiveUp(reason!, log);
            }

            return identity;
        }

        return GiveUp("no ext2/3/4 or xfs filesystem with /etc", log);
    }

    private static OsIdentity? Build(GuestfsSession s, BlkidFilesystem root, List<BlkidFilesystem> filesystems, IReadOnlyList<string> disks, IReadOnlyList<string> lvs, Probe probe, bool readOnly, ILogger log, out string? reason)
    {
        var osRelease = probe.Files.GetValueOrDefault("/etc/os-release") ?? probe.Files.GetValueOrDefault("/usr/lib/os-release");
        if (osRelease is null)
        {
            reason = $"{root.Device} has /etc but no os-release";
            return null;
        }

        var fstab = probe.Files.GetValueOrDefault("/etc/fstab") ?? "";
        var mounts = ResolveFstab(fstab, filesystems, disks, root.Device, out reason);
        if (mounts is null)
        {
            return null;
        }

        var release = ParseOsRelease(osRelease);
        var id = release.GetValueOrDefault("ID") ?? "";
        var distro = Distros.GetValueOrDefault(id) ?? "unknown";
        var (major, minor) = Version(release.GetValueOrDefault("VERSION_ID"), distro == "debian" ? probe.Files.GetValueOrDefault("/etc/debian_version") : null);
        var binary = new[] { "/bin/ls", "/usr/bin/ls", "/bin/sh" }.FirstOrDefault(probe.Exists.Contains);
        string arch;
        try
        {
            arch = binary is null ? "unknown" : ElfArchitecture.FromHeader(s.ReadBytes(binary, ElfArchitecture.HeaderBytes, 0)) ?? s.FileArchitecture(binary);
        }
        catch (GuestfsException e)
        {
            log.Info($"inspection: could not read the architecture of {binary}: {e.Message}");
            arch = "unknown";
        }

        var format = PackageFormat(probe.Exists);
        GuestInspector.MountAll(s, mounts.Where(m => m.MountPoint != "/"), readOnly, log); // "/" is mounted already
        var hostname = probe.Files.GetValueOrDefault("/etc/hostname")?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
        var vgs = lvs.Count == 0 ? [] : s.VolumeGroups();
        reason = null;
        return new OsIdentity
        {
            Root = root.Device,
            OsType = "linux",
            Distro = distro,
            ProductName = release.GetValueOrDefault("PRETTY_NAME") ?? release.GetValueOrDefault("NAME") ?? distro,
            MajorVersion = major,
            MinorVersion = minor,
            Arch = arch,
            Hostname = hostname,
            MountPoints = mounts,
            Filesystems = filesystems
                .Where(f => f.Type != "LVM2_member")
                .Select(f => new GuestFilesystem(f.Device, f.Type, f.Uuid, f.Label, mounts.FirstOrDefault(m => m.Device == f.Device).MountPoint))
                .ToList(),
            VolumeGroups = vgs,
            LogicalVolumes = lvs,
            PackageFormat = format,
            PackageManager = PackageManager(format, probe.Exists),
            Method = IdentificationMethod.Quick,
            KernelDevices = filesystems.Where(f => f.KernelDevice is not null).ToDictionary(f => f.Device, f => f.KernelDevice!, StringComparer.Ordinal),
        };
    }

    /// <summary>The probe files found (path → text) and the probe paths that exist.</summary>
    public sealed record Probe(IReadOnlyDictionary<string, string> Files, IReadOnlySet<string> Exists);

    /// <summary>
    /// Reads the probe files and tests the probe paths with daemon calls that exec nothing (pread,
    /// stat): milliseconds each, where a guest shell costs about a second under TCG.
    /// </summary>
    public static Probe ReadProbe(IGuestFileSystem g)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in ProbeFiles)
        {
            if (g.IsFile(f) || (g.Exists(f) && !g.IsDirectory(f)))
            {
                var text = g.ReadText(f);
                files[f] = text.Length > MaxProbeFileChars ? throw new InvalidDataException($"{f} is over {MaxProbeFileChars} characters") : text;
            }
        }

        return new Probe(files, ProbePaths.Where(g.Exists).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>os-release's KEY=value lines, quotes removed (os-release(5)).</summary>
    public static Dictionary<string, string> ParseOsRelease(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || eq <= 0)
            {
                continue;
            }

            var v = line[(eq + 1)..].Trim();
            if (v.Length >= 2 && (v[0] == '"' || v[0] == '\'') && v[^1] == v[0])
            {
                v = v[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\\$", "$", StringComparison.Ordinal).Replace("\\`", "`", StringComparison.Ordinal);
            }

            d[line[..eq]] = v;
        }

        return d;
    }

    /// <summary>Major and minor from VERSION_ID ("9.3", "12", "22.04"); Debian's point release from /etc/debian_version when it has one ("12.15").</summary>
    public static (int Major, int Minor) Version(string? versionId, string? debianVersion)
    {
        if (debianVersion is not null && TryVersion(debianVersion.Trim(), out var dv) && (versionId is null || !TryVersion(versionId, out var ov) || ov.Major == dv.Major))
        {
            return dv;
        }

        return versionId is not null && TryVersion(versionId, out var v) ? v : (0, 0);
    }

    /// <summary>"9.3" → (9, 3); "15-SP5" → (15, 0): the leading digits of the first two dot-separated parts.</summary>
    private static bool TryVersion(string s, out (int Major, int Minor) v)
    {
        static int? Leading(string part)
        {
            var n = part.TakeWhile(char.IsAsciiDigit).Count();
            return n is > 0 and <= 9 ? int.Parse(part.AsSpan(0, n), NumberStyles.None, CultureInfo.InvariantCulture) : null;
        }

        var parts = s.Trim().Split('.');
        v = (0, 0);
        if (Leading(parts[0]) is not { } major)
        {
            return false;
        }

        v = (major, parts.Length > 1 && parts[0].All(char.IsAsciiDigit) ? Leading(parts[1]) ?? 0 : 0);
        return true;
    }

    public static string PackageFormat(IReadOnlySet<string> exists) =>
        exists.Contains("/var/lib/dpkg/status") ? "deb"
        : exists.Contains("/var/lib/rpm") || exists.Contains("/usr/lib/sysimage/rpm") ? "rpm"
        : exists.Contains("/var/lib/pacman") ? "pacman"
        : exists.Contains("/lib/apk/db") ? "apk"
        : "unknown";

    public static string PackageManager(string format, IReadOnlySet<string> exists) => format switch
    {
        "deb" => "apt",
        "rpm" when exists.Contains("/usr/bin/dnf") => "dnf",
        "rpm" when exists.Contains("/usr/bin/yum") => "yum",
        "rpm" when exists.Contains("/usr/bin/zypper") => "zypper",
        "pacman" => "pacman",
        "apk" => "apk",
        _ => "unknown",
    };

    /// <summary>Filesystem types of fstab entries that are not on a local block device (or not a filesystem at all).</summary>
    private static readonly HashSet<string> NotLocal = new(StringComparer.Ordinal)
    {
        "swap", "none", "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "nfs", "nfs4", "cifs", "smbfs", "fuse", "fuse.sshfs", "9p",
        "virtiofs", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "hugetlbfs", "mqueue", "binfmt_misc", "efivarfs",
        "configfs", "pstore", "autofs", "rpc_pipefs", "nfsd", "iso9660", "udf", "auto",
    };

    /// <summary>
    /// The (mountpoint, device) pairs of <paramref name="fstab"/>, "/" first and always present, with
    /// every local entry resolved to one of <paramref name="filesystems"/> by UUID=, LABEL=, PARTUUID=,
    /// /dev/disk/by-*, a bus name (/dev/sdb2 → the second disk's second partition, as the guest saw it)
    /// or an LVM name. Null with <paramref name="reason"/> when an entry cannot be resolved, names a
    /// different root, or names a mountpoint twice.
    /// </summary>
    public static List<(string MountPoint, string Device)>? ResolveFstab(string fstab, IReadOnlyList<BlkidFilesystem> filesystems, IReadOnlyList<string> disks, string root, out string? reason)
    {
        var result = new List<(string MountPoint, string Device)> { ("/", root) };
        foreach (var raw in fstab.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 3)
            {
                continue;
            }

            var (spec, mp, type) = (Unescape(f[0]), Unescape(f[1]), f[2]);
            var options = f.Length > 3 ? f[3].Split(',') : [];
            if (!mp.StartsWith('/') || type.Split(',').Any(NotLocal.Contains) || options.Contains("bind") || options.Contains("rbind"))
            {
                continue;
            }

            var dev = ResolveSpec(spec, filesystems, disks);
            if (dev is null && (options.Contains("noauto") || options.Contains("nofail")) && mp != "/")
            {
                continue; // not needed to boot, and not on these disks
            }

            if (dev is null)
            {
                reason = $"fstab entry {spec} ({mp}) matches no filesystem on the disks";
                return null;
            }

            if (mp == "/")
            {
                if (dev != root)
                {
                    reason = $"fstab mounts {spec} ({dev}) on /, but the OS was found on {root}";
                    return null;
                }

                continue;
            }

            if (result.Any(r => r.MountPoint == mp))
            {
                reason = $"fstab mounts {mp} twice";
                return null;
            }

            result.Add((mp, dev));
        }

        reason = null;
        return result;
    }

    private static string? ResolveSpec(string spec, IReadOnlyList<BlkidFilesystem> filesystems, IReadOnlyList<string> disks)
    {
        static string Unquote(string v) => v.Length >= 2 && v[0] == '"' && v[^1] == '"' ? v[1..^1] : v;
        BlkidFilesystem? By(Func<BlkidFilesystem, string?> key, string value) =>
            filesystems.Where(x => x.Type != "LVM2_member").FirstOrDefault(x => string.Equals(key(x), value, StringComparison.OrdinalIgnoreCase));

        (string Prefix, Func<BlkidFilesystem, string?> Key)[] tags =
        [
            ("UUID=", x => x.Uuid), ("LABEL=", x => x.Label), ("PARTUUID=", x => x.PartUuid),
            ("/dev/disk/by-uuid/", x => x.Uuid), ("/dev/disk/by-label/", x => x.Label), ("/dev/disk/by-partuuid/", x => x.PartUuid),
        ];
        foreach (var (prefix, key) in tags)
        {
            if (spec.StartsWith(prefix, StringComparison.Ordinal))
            {
                return By(key, Unquote(spec[prefix.Length..]))?.Device;
            }
        }

        if (BlockDeviceName.TryParse(spec) is { } name && !name.Disk.StartsWith("nvme", StringComparison.Ordinal))
        {
            // The guest's nth disk of a bus is the appliance's nth disk: sdb, hdb, xvdb and vdb all mean the second one.
            var letters = name.Disk.TrimStart('s', 'h', 'x', 'v', 'd');
            var index = letters.Aggregate(0, (acc, c) => (acc * 26) + (c - 'a' + 1)) - 1;
            if (index < 0 || index >= disks.Count)
            {
                return null;
            }

            var dev = disks[index] + (name.Partition is { } p ? BlockDeviceName.PartitionSeparator(disks[index]) + p.ToString(CultureInfo.InvariantCulture) : "");
            return filesystems.Any(x => x.Device == dev && x.Type != "LVM2_member") ? dev : null;
        }

        if (spec.StartsWith("/dev/mapper/", StringComparison.Ordinal))
        {
            // vg-lv with "-" inside a name doubled (device-mapper's escaping).
            var dm = spec["/dev/mapper/".Length..];
            for (var i = 1; i < dm.Length - 1; i++)
            {
                if (dm[i] == '-' && dm[i - 1] != '-' && dm[i + 1] != '-')
                {
                    var lv = $"/dev/{dm[..i].Replace("--", "-", StringComparison.Ordinal)}/{dm[(i + 1)..].Replace("--", "-", StringComparison.Ordinal)}";
                    return filesystems.Any(x => x.Device == lv) ? lv : null;
                }
            }

            return null;
        }

        return spec.StartsWith("/dev/", StringComparison.Ordinal) && filesystems.Any(x => x.Device == spec && x.Type != "LVM2_member") ? spec : null;
    }

    /// <summary>fstab's octal escapes (\040 for a space).</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && s[(i + 1)..(i + 4)].All(c => c is >= '0' and <= '7'))
            {
                sb.Append((char)Convert.ToInt32(s[(i + 1)..(i + 4)], 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    private static string? Tag(IReadOnlyDictionary<string, string> tags, string key) => tags.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    private static OsIdentity? GiveUp(string reason, ILogger log)
    {
        log.Info($"inspection: quick Linux path not used ({reason})");
        return null;
    }
}
