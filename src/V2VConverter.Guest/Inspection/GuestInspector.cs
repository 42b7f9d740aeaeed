using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Inspection;

/// <summary>
/// Inspects a guest through a launched appliance: the OS identity and mountpoints first
/// (<see cref="Identify"/>: the quick path, or libguestfs inspection when the layout needs it), then
/// the guest's own files (mounted by then) for the rest.
/// </summary>
public static partial class GuestInspector
{
    /// <summary>
    /// Finds the OS root and mounts it and its fstab's filesystems (read-only when asked): the quick
    /// path (<see cref="QuickInspection"/>) when the layout is a plain one, else libguestfs's
    /// <c>inspect_os</c>. Null, with the reason logged, when no operating system is found.
    /// </summary>
    public static OsIdentity? Identify(GuestfsSession s, bool readOnly, ILogger log)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        OsIdentity? quick;
        try
        {
            quick = QuickInspection.TryIdentify(s, readOnly, log);
        }
        catch (GuestfsException e)
        {
            log.Info($"inspection: quick path failed ({e.Message}); using libguestfs inspect_os");
            s.UnmountAll();
            quick = null;
        }

        if (quick is null)
        {
            try
            {
                quick = V2VConverter.Guest.Windows.Inspection.WindowsQuickIdentify.TryIdentify(s, readOnly, log);
            }
            catch (Exception e) when (e is GuestfsException or InvalidDataException)
            {
                log.Info($"inspection: quick Windows path failed ({e.Message}); using libguestfs inspect_os");
                s.UnmountAll();
                quick = null;
            }
        }

        var id = quick ?? IdentifyWithLibguestfs(s, readOnly, log);
        if (id is not null)
        {
            log.Info($"inspection: {id.OsType} root {id.Root} found by {(id.Method == IdentificationMethod.Quick ? "the quick path" : "libguestfs inspect_os")} in {sw.Elapsed.TotalSeconds:F1} s; " +
                $"mounted {string.Join(", ", id.MountPoints.Select(m => $"{m.Device} on {m.MountPoint}"))}");
        }

        return id;
    }

    /// <summary>libguestfs's inspection: every layout it knows (LVM, btrfs, RAID, several OSes, Windows).</summary>
    public static OsIdentity? IdentifyWithLibguestfs(GuestfsSession s, bool readOnly, ILogger log)
    {
        var roots = s.InspectOs();
        if (roots.Count == 0)
        {
            log.Info("inspection: no operating system found on the disks");
            return null;
        }

        var warnings = new List<string>();
        if (roots.Count > 1)
        {
            log.Info($"inspection: {roots.Count} operating systems found ({string.Join(", ", roots)}); converting the first");
            warnings.Add($"{roots.Count} operating systems found ({string.Join(", ", roots)}); converting the first");
        }

        var root = roots[0];
        var type = s.InspectType(root);
        var mounts = s.InspectMountpoints(root);
        MountAll(s, mounts, readOnly, log);

        // The OS's own filesystems from inspection's cache: list_filesystems would probe every device again (seconds under TCG).
        // In device order (sda1, sda2, ..., sdb1, then LVs), as list_filesystems gave them: inspection's own order is a hash's.
        var fs = new List<GuestFilesystem>();
        foreach (var dev in s.InspectFilesystems(root).OrderBy(d => d, DeviceOrder))
        {
            var vfs = Try(() => s.VfsType(dev)) ?? "unknown";
            if (vfs is "unknown")
            {
                continue;
            }

            var mp = mounts.FirstOrDefault(m => m.Device == dev).MountPoint;
            fs.Add(new GuestFilesystem(dev, vfs, Try(() => s.VfsUuid(dev)), Try(() => s.VfsLabel(dev)), mp));
        }

        return new OsIdentity
        {
            Root = root,
            OsType = type,
            Distro = s.InspectDistro(root),
            ProductName = s.InspectProductName(root),
            MajorVersion = s.InspectMajorVersion(root),
            MinorVersion = s.InspectMinorVersion(root),
            Arch = s.InspectArch(root),
            Hostname = Try(() => s.InspectHostname(root)),
            MountPoints = mounts,
            Filesystems = fs,
            VolumeGroups = Try(s.VolumeGroups) ?? [],
            LogicalVolumes = Try(s.LogicalVolumes) ?? [],
            PackageFormat = s.InspectPackageFormat(root),
            PackageManager = s.InspectPackageManagement(root),
            Method = IdentificationMethod.Libguestfs,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Mounts (mountpoint, device) pairs parents first (shortest mountpoint first); a failure on "/" is
    /// an error, on any other mountpoint a logged note (the guest is converted without it).
    /// </summary>
    public static void MountAll(GuestfsSession s, IEnumerable<(string MountPoint, string Device)> mounts, bool readOnly, ILogger log)
    {
        foreach (var (mp, dev) in mounts.OrderBy(p => p.MountPoint.Length).ThenBy(p => p.MountPoint, StringComparer.Ordinal))
        {
            try
            {
                s.Mount(dev, mp, readOnly);
            }
            catch (GuestfsException e) when (mp != "/")
            {
                log.Info($"inspection: could not mount {dev} on {mp}: {e.Message}");
            }
        }
    }

    /// <summary>sda1, sda2, ..., sdb1, ..., then anything else (LVs) by name.</summary>
    public static readonly IComparer<string> DeviceOrder = Comparer<string>.Create((a, b) =>
    {
        var (x, y) = (BlockDeviceName.TryParse(a), BlockDeviceName.TryParse(b));
        if ((x is null) != (y is null))
        {
            return x is null ? 1 : -1;
        }

        if (x is null || y is null)
        {
            return string.CompareOrdinal(a, b);
        }

        var c = x.Disk.Length.CompareTo(y.Disk.Length);
        c = c != 0 ? c : string.CompareOrdinal(x.Disk, y.Disk);
        return c != 0 ? c : (x.Partition ?? 0).CompareTo(y.Partition ?? 0);
    });

    /// <param name="files">How the guest's files are probed (the session itself unless a test gives another).</param>
    public static GuestInspection Inspect(GuestfsSession s, OsIdentity id, ILogger log, IGuestFileSystem? files = null)
    {
        var warnings = new List<string>(id.Warnings);
        var found = Detect(files ?? s, id.PackageFormat, warnings);
        var result = new GuestInspection
        {
            Os = id,
            Filesystems = id.Filesystems.OrderBy(f => f.Device, DeviceOrder).ToList(),
            VolumeGroups = id.VolumeGroups,
            LogicalVolumes = id.LogicalVolumes,
            PackageFormat = id.PackageFormat,
            PackageManager = id.PackageManager,
            InitramfsTool = found.Initramfs,
            Bootloader = found.Bootloader,
            Kernels = found.Kernels,
            VmwareTools = found.Tools,
            Network = found.Network,
            HasSystemd = found.HasSystemd,
            Warnings = warnings,
        };
        log.Info($"inspection: {id.ProductName} ({id.Distro} {result.Version}, {id.Arch}), root {id.Root}, {result.PackageFormat}/{result.PackageManager}, " +
            $"initramfs {result.InitramfsTool}, bootloader {result.Bootloader.Kind}, kernels {string.Join(" ", result.Kernels.Select(k => k.Version))}, " +
            $"VMware Tools {result.VmwareTools.Flavour}, network {string.Join("+", result.Network.Systems)} ({string.Join(", ", result.Network.Interfaces.Select(i => i.Name ?? i.MacAddress))})");
        return result;
    }

    internal sealed record FileFindings(InitramfsTool Initramfs, BootloaderInfo Bootloader, IReadOnlyList<GuestKernel> Kernels, VmwareToolsInfo Tools, NetworkInfo Network, bool HasSystemd);

    /// <summary>Everything found from the guest's files alone (works on any <see cref="IGuestFileSystem"/>).</summary>
    internal static FileFindings Detect(IGuestFileSystem g, string packageFormat, List<string> warnings) =>
        new(DetectInitramfs(g), DetectBootloader(g), DetectKernels(g, warnings), DetectTools(g, packageFormat, warnings), DetectNetwork(g, warnings),
            FirstExisting(g, "/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd") is not null);

    internal static InitramfsTool DetectInitramfs(IGuestFileSystem g)
    {
        if (g.IsDirectory("/etc/initramfs-tools") && FirstExisting(g, "/usr/sbin/update-initramfs", "/sbin/update-initramfs") is not null)
        {
            return InitramfsTool.InitramfsTools;
        }

        if (FirstExisting(g, "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut") is not null)
        {
            return InitramfsTool.Dracut;
        }

        return FirstExisting(g, "/sbin/mkinitrd", "/usr/sbin/mkinitrd", "/usr/bin/mkinitrd") is not null ? InitramfsTool.Mkinitrd : InitramfsTool.Unknown;
    }

    internal static BootloaderInfo DetectBootloader(IGuestFileSystem g)
    {
        var cfg = FirstExisting(g, "/boot/grub/grub.cfg", "/boot/grub2/grub.cfg");
        if (cfg is not null)
        {
            var mk = FirstExisting(g, "/usr/sbin/grub-mkconfig", "/usr/sbin/grub2-mkconfig", "/sbin/grub-mkconfig", "/sbin/grub2-mkconfig");
            var dm = FirstExisting(g, Path.GetDirectoryName(cfg) + "/device.map");
            return new BootloaderInfo(BootloaderKind.Grub2, cfg, FirstExisting(g, "/etc/default/grub"), dm, mk is null ? null : $"{mk} -o {cfg}");
        }

        var legacy = FirstExisting(g, "/boot/grub/menu.lst", "/boot/grub/grub.conf");
        if (legacy is not null)
        {
            return new BootloaderInfo(BootloaderKind.GrubLegacy, legacy, null, FirstExisting(g, "/boot/grub/device.map"), null);
        }

        return new BootloaderInfo(BootloaderKind.Unknown, null, null, null, null);
    }

    internal static IReadOnlyList<GuestKernel> DetectKernels(IGuestFileSystem g, List<string> warnings)
    {
        var kernels = new List<GuestKernel>();
        foreach (var image in g.Glob("/boot/vmlinuz-*"))
        {
            var version = image["/boot/vmlinuz-".Length..];
            if (version.EndsWith(".old", StringComparison.Ordinal))
            {
                continue;
            }

            var initrd = FirstExisting(g, $"/boot/initrd.img-{version}", $"/boot/initramfs-{version}.img", $"/boot/initrd-{version}", $"/boot/initrd-{version}.img");
            var hasModules = g.IsDirectory($"/lib/modules/{version}") || g.IsDirectory($"/usr/lib/modules/{version}");
            if (!hasModules)
            {
                warnings.Add($"kernel {version} has no /lib/modules/{version}");
            }

            kernels.Add(new GuestKernel(version, image, initrd, hasModules));
        }

        return kernels;
    }

    internal static VmwareToolsInfo DetectTools(IGuestFileSystem g, string packageFormat, List<string> warnings)
    {
        var packages = new List<string>();
        if (packageFormat == "deb" && g.IsFile("/var/lib/dpkg/status"))
        {
            packages.AddRange(DpkgStatus.InstalledPackages(g.ReadText("/var/lib/dpkg/status")).Where(VmwareToolsPackages.IsToolsPackage));
        }
        else if (packageFormat == "rpm")
        {
            try
            {
                packages.AddRange(g.Command("rpm", "-qa", "--qf", "%{NAME}\\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(VmwareToolsPackages.IsToolsPackage));
            }
            catch (GuestfsException e)
            {
                warnings.Add($"could not list rpm packages: {e.Message}");
            }
        }

        var services = ServiceLinkCandidates(g);
        var locations = "/etc/vmware-tools/locations";
        if (packages.Count > 0)
        {
            var flavour = packages.Any(VmwareToolsPackages.IsOpenVmTools) ? VmwareToolsFlavour.OpenVmTools : VmwareToolsFlavour.VmwarePackages;
            return new VmwareToolsInfo(flavour, packages, null, services);
        }

        if (g.IsFile(locations))
        {
            var loc = VmwareToolsLocations.Parse(g.ReadText(locations));
            return new VmwareToolsInfo(VmwareToolsFlavour.TarInstalled, [], loc.Uninstaller, services);
        }

        return new VmwareToolsInfo(VmwareToolsFlavour.None, [], null, services);
    }

    internal static IReadOnlyList<string> ServiceLinkCandidates(IGuestFileSystem g)
    {
        var all = new List<string>();
        if (g.IsDirectory("/etc/systemd/system"))
        {
            all.AddRange(g.Find("/etc/systemd/system").Select(p => "/etc/systemd/system/" + p.TrimStart('/')));
        }

        foreach (var d in g.Glob("/etc/rc[0-6S].d"))
        {
            all.AddRange(g.Glob(d + "/*"));
        }

        foreach (var d in g.Glob("/etc/init.d/rc[0-6S].d"))
        {
            all.AddRange(g.Glob(d + "/*"));
        }

        return VmwareServiceLinks.Select(all);
    }

    internal static NetworkInfo DetectNetwork(IGuestFileSystem g, List<string> warnings)
    {
        var systems = new List<NetworkConfigSystem>();
        var ifaces = new List<ConfiguredInterface>();
        void Scan(NetworkConfigSystem sys, IEnumerable<string> paths, Func<string, string, IReadOnlyList<ConfiguredInterface>> parse)
        {
            var any = false;
            foreach (var p in paths.Distinct(StringComparer.Ordinal))
            {
                if (!g.IsFile(p))
                {
                    continue;
                }

                any = true;
                try
                {
                    ifaces.AddRange(parse(p, g.ReadText(p)));
                }
                catch (GuestfsException e)
                {
                    warnings.Add($"could not read {p}: {e.Message}");
                }
            }

            if (any)
            {
                systems.Add(sys);
            }
        }

        Scan(NetworkConfigSystem.Ifupdown, new[] { "/etc/network/interfaces" }.Concat(g.Glob("/etc/network/interfaces.d/*")), NetworkConfigParsers.ParseIfupdown);
        Scan(NetworkConfigSystem.Netplan, g.Glob("/etc/netplan/*.yaml").Concat(g.Glob("/etc/netplan/*.yml")), NetworkConfigParsers.ParseNetplan);
        Scan(NetworkConfigSystem.NetworkManager, g.Glob("/etc/NetworkManager/system-connections/*"), NetworkConfigParsers.ParseNetworkManagerKeyfile);
        Scan(NetworkConfigSystem.Ifcfg, g.Glob("/etc/sysconfig/network-scripts/ifcfg-*").Concat(g.Glob("/etc/sysconfig/network/ifcfg-*")), NetworkConfigParsers.ParseIfcfg);
        Scan(NetworkConfigSystem.SystemdNetworkd, g.Glob("/etc/systemd/network/*.network"), NetworkConfigParsers.ParseNetworkd);

        // An ifupdown file with only "lo" is the Debian default even on NetworkManager systems: keep it listed, it is harmless.
        return new NetworkInfo(systems, ifaces);
    }

    internal static string? FirstExisting(IGuestFileSystem g, params string[] paths) => paths.FirstOrDefault(g.Exists);

    private static T? Try<T>(Func<T> f)
        where T : class
    {
        try
        {
            var v = f();
            return v is string s && s.Length == 0 ? null : v;
        }
        catch (GuestfsException)
        {
            return null;
        }
    }
}
