using System.Globalization;
using Serilog;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.Inspection;

/// <summary>
/// Identifies a plain Windows guest in a few appliance calls instead of libguestfs's <c>inspect_os</c> (7-10 s under TCG):
/// blkid on each partition, then mount the NTFS candidates until one holds <c>\Windows\System32\config\SOFTWARE</c>, and read
/// the product, version and architecture from its hives (through hivex). It answers only when every filesystem is one a
/// Windows guest has (NTFS, FAT, the MSR, a CD image): a Linux filesystem or LVM beside NTFS (dual boot, a data disk) goes
/// to <c>inspect_os</c>, which weighs every OS it finds.
/// </summary>
public static class WindowsQuickIdentify
{
    /// <summary>Filesystem types that may sit beside a Windows root on the quick path.</summary>
    public static readonly IReadOnlySet<string> WindowsTypes = new HashSet<string>(StringComparer.Ordinal) { "ntfs", "vfat", "iso9660", "udf", "BitLocker", "swap" };

    /// <summary>The folders %SystemRoot% has had (Windows, WINDOWS on XP, WINNT on 2000).</summary>
    public static readonly IReadOnlyList<string> SystemRoots = ["/Windows", "/WINDOWS", "/WINNT"];

    /// <summary>Bound on the devices probed.</summary>
    public const int MaxDevices = 64;

    private const string CurrentVersionKey = @"Microsoft\Windows NT\CurrentVersion";

    public static OsIdentity? TryIdentify(GuestfsSession s, bool readOnly, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(s);
        var disks = s.ListDevices();
        var partitions = s.ListPartitions();
        var devices = disks.Where(d => !partitions.Any(p => p.StartsWith(d, StringComparison.Ordinal))).Concat(partitions).ToList();
        if (devices.Count > MaxDevices)
        {
            return GiveUp($"{devices.Count} devices", log);
        }

        var filesystems = new List<GuestFilesystem>();
        foreach (var dev in devices)
        {
            IReadOnlyDictionary<string, string> tags;
            try
            {
                tags = s.Blkid(dev);
            }
            catch (GuestfsException)
            {
                continue; // the MSR, an empty partition
            }

            if (!tags.TryGetValue("TYPE", out var type) || type.Length == 0)
            {
                continue;
            }

            if (!WindowsTypes.Contains(type))
            {
                return GiveUp($"{dev} holds {type}", log);
            }

            filesystems.Add(new GuestFilesystem(dev, type, tags.GetValueOrDefault("UUID"), tags.GetValueOrDefault("LABEL"), null));
        }

        foreach (var candidate in filesystems.Where(f => f.Type == "ntfs"))
        {
            try
            {
                s.Mount(candidate.Device, "/", readOnly);
            }
            catch (GuestfsException e)
            {
                if (!readOnly && e.Message.Contains("hibernat", StringComparison.OrdinalIgnoreCase))
                {
                    throw; // the caller turns a hibernated C: into a blocker
                }

                log.Info($"inspection: could not mount {candidate.Device} to look for Windows: {e.Message}");
                continue;
            }

            var root = SystemRoots.Select(r => s.ResolveCase(r)).FirstOrDefault(r => s.IsFile(s.ResolveCase(r + "/System32/config/SOFTWARE")));
            if (root is null)
            {
                s.Unmount("/");
                continue;
            }

            var id = Build(s, candidate, root, filesystems, log);
            if (id is null)
            {
                s.UnmountAll();
                return GiveUp($"{candidate.Device}{root} has no readable SOFTWARE and SYSTEM hives", log);
            }

            return id;
        }

        return GiveUp("no NTFS filesystem with \\Windows\\System32\\config", log);
    }

    private static OsIdentity? Build(GuestfsSession s, GuestFilesystem root, string systemRoot, List<GuestFilesystem> filesystems, ILogger log)
    {
        using var hives = WindowsHives.Download(s, systemRoot, writable: false, log);
        var sw = hives.Software;
        var product = sw.GetValue(CurrentVersionKey, "ProductName")?.AsString();
        if (product is null)
        {
            return null;
        }

        var (major, minor) = Version(sw);
        var controlSet = ControlSet(hives.System);
        var arch = hives.System.GetValue($@"{controlSet}\Control\Session Manager\Environment", "PROCESSOR_ARCHITECTURE")?.AsString() switch
        {
            "AMD64" => "x86_64",
            "x86" => "i386",
            "ARM64" => "aarch64",
            _ => Architecture(s, systemRoot),
        };
        var hostname = hives.System.GetValue($@"{controlSet}\Control\ComputerName\ComputerName", "ComputerName")?.AsString();
        return new OsIdentity
        {
            Root = root.Device,
            OsType = "windows",
            Distro = "windows",
            ProductName = product,
            MajorVersion = major,
            MinorVersion = minor,
            Arch = arch,
            Hostname = hostname,
            MountPoints = [("/", root.Device)],
            Filesystems = filesystems.Select(f => f.Device == root.Device ? f with { MountPoint = "/" } : f).ToList(),
            PackageFormat = "unknown",
            PackageManager = "unknown",
            Method = IdentificationMethod.Quick,
            WindowsSystemRoot = systemRoot,
        };
    }

    /// <summary>NT major.minor: CurrentMajorVersionNumber/CurrentMinorVersionNumber (Windows 10 and later), else CurrentVersion ("6.1").</summary>
    public static (int Major, int Minor) Version(Hive software)
    {
        ArgumentNullException.ThrowIfNull(software);
        if (software.GetValue(CurrentVersionKey, "CurrentMajorVersionNumber")?.AsDword() is { } major)
        {
            return ((int)major, (int)(software.GetValue(CurrentVersionKey, "CurrentMinorVersionNumber")?.AsDword() ?? 0));
        }

        var text = software.GetValue(CurrentVersionKey, "CurrentVersion")?.AsString() ?? "";
        var parts = text.Split('.');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ma) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var mi)
            ? (ma, mi)
            : (0, 0);
    }

    /// <summary>"ControlSet001": SYSTEM\Select's Current, the control set Windows boots with.</summary>
    public static string ControlSet(Hive system)
    {
        ArgumentNullException.ThrowIfNull(system);
        var current = system.GetValue("Select", "Current")?.AsDword() ?? 1;
        return current is >= 1 and <= 999 ? $"ControlSet{current:D3}" : "ControlSet001";
    }

    private static string Architecture(GuestfsSession s, string systemRoot)
    {
        try
        {
            return s.FileArchitecture(s.ResolveCase(systemRoot + "/System32/cmd.exe")) switch
            {
                "i386" => "i386",
                var a => a,
            };
        }
        catch (GuestfsException)
        {
            return "unknown";
        }
    }

    private static OsIdentity? GiveUp(string reason, ILogger log)
    {
        log.Info($"inspection: quick Windows path not used ({reason}); using libguestfs inspect_os");
        return null;
    }
}
