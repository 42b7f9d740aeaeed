using System.Text;
using Serilog;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.Inspection;

/// <summary>
/// Inspects an identified Windows guest (C: mounted on "/"): libguestfs's facts (system root, control set, drive letters,
/// product variant), the hives (<see cref="WindowsRegistryFacts"/>), and the blockers found on the disks themselves
/// (a hibernated C:, BitLocker volumes, dynamic disks).
/// </summary>
public static class WindowsInspector
{
    /// <summary>GPT type of the EFI system partition.</summary>
    public const string EspGptType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

    /// <summary>GPT types of Windows dynamic-disk (LDM) metadata and data partitions.</summary>
    public static readonly IReadOnlySet<string> LdmGptTypes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", "AF9B60A0-1431-4F62-BC68-3311714A69AD",
    };

    /// <summary>MBR partition id of a dynamic disk.</summary>
    public const int LdmMbrId = 0x42;

    /// <summary>First bytes of hiberfil.sys while Windows is hibernated (or shut down by Fast Startup) and not yet resumed.</summary>
    private static readonly string[] HibernatedSignatures = ["hibr", "HIBR", "rstr", "RSTR"];

    public static WindowsInspection Inspect(GuestfsSession s, OsIdentity id, WindowsHives hives, IReadOnlyList<NicInfo> nics, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(hives);
        var systemRoot = SystemRoot(s, id);
        var controlSet = WindowsQuickIdentify.ControlSet(hives.System);
        var concerns = new List<WindowsConcern>();
        var (esp, disks, tags) = Partitions(s, concerns, log);
        Hibernation(s, hives, controlSet, concerns);
        if (WindowsRegistryFacts.PendingReboot(hives.Software) is { } pending)
        {
            concerns.Add(new WindowsConcern("pending-reboot", WindowsConcernSeverity.Blocker, $"Windows is waiting for a reboot to finish updates ({pending} exists); drivers installed now may be undone", "boot the VM on VMware, let it finish its updates and reboot, then convert (or --force)"));
        }

        var productName = WindowsRegistryFacts.ProductName(hives.Software) ?? id.ProductName;
        var inspection = new WindowsInspection
        {
            ProductName = productName,
            Major = id.MajorVersion,
            Minor = id.MinorVersion,
            Build = WindowsRegistryFacts.Build(hives.Software),
            Variant = WindowsRegistryFacts.Variant(hives.Software),
            EditionId = WindowsRegistryFacts.EditionId(hives.Software),
            Arch = id.Arch == "x86_64" ? "x86_64" : "i386",
            SystemRoot = systemRoot,
            ControlSet = controlSet,
            DriveLetters = DriveLetters(WindowsRegistryFacts.MountedDevices(hives.System), tags),
            VmwareTools = WindowsRegistryFacts.VmwareTools(hives.Software),
            VmwareServices = WindowsRegistryFacts.VmwareServices(hives.System, controlSet),
            Nics = WindowsRegistryFacts.Nics(hives.System, controlSet, nics),
            HasDriverDatabase = WindowsRegistryFacts.HasDriverDatabase(hives.System),
            EspDevice = esp,
            Concerns = concerns,
        };
        log.Info($"inspection: {inspection.ProductName}, NT {inspection.Major}.{inspection.Minor} build {inspection.Build}, {inspection.Variant}, {inspection.Arch}, {systemRoot}, {controlSet}; disks {string.Join(", ", disks)}");
        foreach (var n in inspection.Nics)
        {
            log.Info($"inspection: NIC {n.InterfaceGuid} \"{n.ConnectionName}\" {n.Description}: {(n.Dhcp ? "DHCP" : "static " + string.Join(" ", n.Addresses))}; MAC {n.Mac ?? "-"} ({n.MacMatch})");
        }

        foreach (var c in concerns)
        {
            log.Info($"inspection: {c}");
        }

        return inspection;
    }

    /// <summary>%SystemRoot% as a guest path: what the quick path found, else libguestfs's inspection.</summary>
    public static string SystemRoot(GuestfsSession s, OsIdentity id)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(id);
        return id.WindowsSystemRoot ?? s.InspectWindowsSystemRoot(id.Root);
    }

    /// <summary>The MBR disk signature of a partition: blkid's PTUUID when given, else the first half of its PART_ENTRY_UUID ("000004d2-02").</summary>
    private static uint? MbrSignature(IReadOnlyDictionary<string, string> tags)
    {
        var text = tags.GetValueOrDefault("PTUUID") ?? (tags.GetValueOrDefault("PART_ENTRY_SCHEME") == "dos" ? tags.GetValueOrDefault("PART_ENTRY_UUID")?.Split('-')[0] : null);
        return text is not null && uint.TryParse(text, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var sig) ? sig : null;
    }

    /// <summary>Drive letters to appliance devices: an MBR entry by the disk's signature and the partition's byte offset, a GPT entry by the partition GUID.</summary>
    public static IReadOnlyList<(string Letter, string Device)> DriveLetters(IReadOnlyList<WindowsRegistryFacts.MountedVolume> volumes, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> tags)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        ArgumentNullException.ThrowIfNull(tags);
        var result = new List<(string, string)>();
        foreach (var v in volumes)
        {
            var device = tags.FirstOrDefault(t =>
                v.GptPartition is { } guid
                    ? Guid.TryParse(t.Value.GetValueOrDefault("PART_ENTRY_UUID"), out var g) && g == guid
                    : MbrSignature(t.Value) is { } sig && sig == v.MbrSignature
                      && ulong.TryParse(t.Value.GetValueOrDefault("PART_ENTRY_OFFSET"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sectors) && sectors * 512 == v.Offset).Key;
            if (device is not null)
            {
                result.Add((v.Letter, device));
            }
        }

        return result;
    }

    /// <summary>
    /// Partition checks: BitLocker volumes and dynamic disks are blockers; the ESP is remembered. Everything comes from each
    /// partition's blkid tags (TYPE, PART_ENTRY_SCHEME and PART_ENTRY_TYPE: the GPT type GUID or the MBR id), which the
    /// identification already asked for: no partition-table program runs again.
    /// </summary>
    private static (string? Esp, List<string> Disks, Dictionary<string, IReadOnlyDictionary<string, string>> Tags) Partitions(GuestfsSession s, List<WindowsConcern> concerns, ILogger log)
    {
        string? esp = null;
        var partTags = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var part in s.ListPartitions())
        {
            var tags = Try(() => s.Blkid(part));
            if (tags is null)
            {
                continue;
            }

            partTags[part] = tags;
            var scheme = tags.GetValueOrDefault("PART_ENTRY_SCHEME");
            var type = tags.GetValueOrDefault("PART_ENTRY_TYPE") ?? "";
            if ((scheme == "dos" && int.TryParse(type.StartsWith("0x", StringComparison.Ordinal) ? type[2..] : type, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var id) && id == LdmMbrId)
                || (scheme == "gpt" && LdmGptTypes.Contains(type)))
            {
                concerns.Add(DynamicDisk(part));
            }
            else if (scheme == "gpt" && string.Equals(type, EspGptType, StringComparison.OrdinalIgnoreCase))
            {
                esp ??= part;
            }

            if (tags.TryGetValue("TYPE", out var fs) && string.Equals(fs, "BitLocker", StringComparison.OrdinalIgnoreCase))
            {
                concerns.Add(new WindowsConcern("bitlocker", WindowsConcernSeverity.Blocker, $"{part} is a BitLocker volume: it cannot be read or fixed offline, and the new virtual hardware would ask for the recovery key", "suspend or turn off BitLocker in the guest (manage-bde -off C:) and wait for decryption, then convert (or --force)"));
            }
        }

        var disks = partTags.GroupBy(t => t.Key.TrimEnd("0123456789".ToCharArray())).Select(g => $"{g.Key} {g.First().Value.GetValueOrDefault("PART_ENTRY_SCHEME") ?? "?"}").ToList();
        log.Info($"inspection: partitions checked for BitLocker and dynamic disks{(esp is null ? "" : $"; EFI system partition {esp}")}");
        return (esp, disks, partTags);
    }

    private static WindowsConcern DynamicDisk(string part) =>
        new("dynamic-disk", WindowsConcernSeverity.Blocker, $"{part} belongs to a dynamic disk (LDM): its volumes cannot be mounted or converted", "convert the disk back to a basic disk in the guest, or move the data off it (or --force to copy it unconverted)");

    private static void Hibernation(GuestfsSession s, WindowsHives hives, string controlSet, List<WindowsConcern> concerns)
    {
        var hiberboot = WindowsRegistryFacts.HiberbootEnabled(hives.System, controlSet);
        var path = Try(() => s.ResolveCase("/hiberfil.sys"));
        var exists = path is not null && (Try(() => (bool?)s.IsFile(path)) ?? false);
        var signature = exists ? Try(() => Encoding.ASCII.GetString(s.ReadBytes(path!, 4, 0))) : null;
        if (signature is not null && HibernatedSignatures.Contains(signature, StringComparer.Ordinal))
        {
            concerns.Add(new WindowsConcern("hibernated", WindowsConcernSeverity.Blocker, $"Windows is hibernated{(hiberboot == 1 ? " (Fast Startup is on: a shutdown hibernates the kernel)" : "")}: {path} holds a saved session (\"{signature}\"), so C: is not cleanly shut down", "boot the VM on VMware, disable Fast Startup (powercfg /h off) and shut it down fully (shutdown /s /t 0), then convert (or --force)"));
        }
        else if (hiberboot == 1)
        {
            concerns.Add(new WindowsConcern("fast-startup", WindowsConcernSeverity.Warning, $"Fast Startup is on (HiberbootEnabled=1){(exists ? $" and {path} exists but holds no saved session" : "")}: the last shutdown was a full one, but the next may not be", "powercfg /h off in the guest after the move"));
        }
    }

    private static T? Try<T>(Func<T> f)
        where T : class
    {
        try
        {
            return f();
        }
        catch (GuestfsException)
        {
            return null;
        }
    }

    private static T? Try<T>(Func<T?> f)
        where T : struct
    {
        try
        {
            return f();
        }
        catch (GuestfsException)
        {
            return null;
        }
    }
}
