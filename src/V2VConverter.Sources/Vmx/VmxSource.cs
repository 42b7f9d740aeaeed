using System.Globalization;
using System.Text.RegularExpressions;
using Serilog;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Formats.Vmx;
using V2VConverter.Model.Catalog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.Vmx;

/// <summary>Options for turning a .vmx into the source model.</summary>
public sealed record VmxSourceOptions
{
    /// <summary>Check local disk files (existence, VMDK signature). Off for remote sources.</summary>
    public bool ProbeLocalFiles { get; init; } = true;

    public GuestOsCatalog? Catalog { get; init; }
}

/// <summary>
/// Builds the <see cref="VirtualMachine"/> model from a .vmx. The key table below follows VMware's
/// names; every missing key has a documented default, every malformed value is an error naming key and line.
/// </summary>
public static partial class VmxSource
{
    /// <summary>memsize when the key is missing: VMware's own default for a VM without one.</summary>
    public const long DefaultMemoryMiB = 32;

    private static readonly string[] ScsiKeys = ["scsi0", "scsi1", "scsi2", "scsi3"];

    public static VirtualMachine Load(string vmxPath, ILogger log, VmxSourceOptions? options = null)
    {
        var full = Path.GetFullPath(vmxPath);
        var doc = VmxDocument.Load(full);
        return Build(doc, Path.GetDirectoryName(full), log, options ?? new VmxSourceOptions());
    }

    /// <summary>For .vmx bytes fetched from elsewhere (a datastore over HTTPS): no local file checks.</summary>
    public static VirtualMachine FromBytes(byte[] content, string origin, string? baseDirectory, ILogger log, VmxSourceOptions? options = null)
    {
        var doc = VmxDocument.Parse(content, origin);
        return Build(doc, baseDirectory, log, options ?? new VmxSourceOptions { ProbeLocalFiles = false });
    }

    /// <summary>VMware's name for a VM's NVRAM when the .vmx does not say: the .vmx's own name with .nvram ("[ds] web/web.vmx" -> "web.nvram").</summary>
    public static string? DefaultNvramName(string? vmxOrigin)
    {
        var name = vmxOrigin is null ? "" : Path.GetFileNameWithoutExtension(vmxOrigin.Replace('\\', '/'));
        return name.Length == 0 ? null : name + ".nvram";
    }

    public static VirtualMachine Build(VmxDocument doc, string? baseDirectory, ILogger log, VmxSourceOptions options)
    {
        foreach (var w in doc.Warnings)
        {
            log.Warn(w);
        }

        var ctx = new BuildContext(doc, baseDirectory, log, options);
        var name = doc.GetNonEmpty("displayName");
        if (name is null)
        {
            name = Path.GetFileNameWithoutExtension(doc.Origin);
            log.Warn($"displayName is missing; using \"{name}\"", doc.Origin);
        }

        long memory;
        if (doc.Contains("memsize"))
        {
            memory = doc.GetInt64("memsize", DefaultMemoryMiB, 1, 64L * 1024 * 1024);
        }
        else
        {
            memory = DefaultMemoryMiB;
            log.Warn($"memsize is missing; using VMware's default of {DefaultMemoryMiB} MiB", doc.Origin);
        }

        var vcpus = doc.GetInt32("numvcpus", 1, 1, 4096);
        var coresPerSocket = doc.GetInt32("cpuid.coresPerSocket", 1, 1, 4096);
        if (vcpus % coresPerSocket != 0)
        {
            log.Warn($"numvcpus = {vcpus} is not a multiple of cpuid.coresPerSocket = {coresPerSocket}; using {vcpus} sockets of 1 core", doc.Where("cpuid.coresPerSocket"));
            coresPerSocket = 1;
        }

        var catalog = options.Catalog ?? GuestOsCatalog.Default;
        var guestId = doc.GetNonEmpty("guestOS");
        var guest = catalog.Lookup(guestId, out var rule);
        if (rule is null)
        {
            log.Warn(guestId is null ? "guestOS is missing; the guest OS is unknown" : $"guestOS = \"{guestId}\" is not in the catalog; treated as unknown (no virtio)", doc.Where("guestOS"));
        }
        else
        {
            log.Info($"guestOS \"{guestId}\" -> {guest.Description} ({guest.Architecture}, virtio {(guest.HasVirtioDrivers ? "yes" : "no")}), rule {rule}");
        }

        var firmware = (doc.GetNonEmpty("firmware") ?? "bios").ToLowerInvariant() switch
        {
            "efi" => Firmware.Efi,
            "bios" => Firmware.Bios,
            var other => throw new InvalidDataException($"{doc.Where("firmware")}: firmware = \"{other}\" is not bios or efi"),
        };

        var controllers = ReadControllers(ctx);
        SkipOutOfRangeDevices(ctx);
        var (disks, cdroms) = ReadDriveSlots(ctx, controllers);
        var vm = new VirtualMachine
        {
            Name = name,
            Uuid = ParseUuid(ctx, "uuid.bios"),
            Annotation = doc.GetNonEmpty("annotation"),
            Guest = guest,
            MemoryMiB = memory,
            Cpu = new CpuTopology(vcpus, coresPerSocket),
            Firmware = firmware,
            SecureBoot = firmware == Firmware.Efi && doc.GetBool("uefi.secureBoot.enabled", false),
            Tpm = doc.GetBool("vtpm.present", false),
            HardwareVersion = doc.GetInt32("virtualHW.version", 0, 0, 1000),
            Controllers = controllers,
            Disks = disks,
            CdRoms = cdroms,
            Floppies = ReadFloppies(ctx),
            Nics = ReadNics(ctx),
            SerialPorts = ReadSerialPorts(ctx),
            ParallelPorts = ReadParallelPorts(ctx),
            Video = ReadVideo(doc),
            Sound = doc.GetBool("sound.present", false) ? new Sound((doc.GetNonEmpty("sound.virtualDev") ?? "es1371").ToLowerInvariant()) : null,
            UsbControllers = ReadUsb(doc),
            SkippedDevices = ctx.Skipped,
            BootOrder = (doc.GetNonEmpty("bios.bootOrder") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList(),
            Origin = doc.Origin,
            BaseDirectory = baseDirectory,
            NvramFile = doc.GetNonEmpty("nvram") ?? (firmware == Firmware.Efi ? DefaultNvramName(doc.Origin) : null),
        };

        if (firmware == Firmware.Efi && vm.SecureBoot)
        {
            log.Info("firmware EFI with secure boot");
        }

        if (doc.GetBool("vtpm.present", false))
        {
            log.Warn("the VM has a virtual TPM (vtpm.present); its keys cannot be carried over. BitLocker or LUKS sealed to it will ask for a recovery key", doc.Where("vtpm.present"));
        }

        return vm;
    }

    private sealed record BuildContext(VmxDocument Doc, string? BaseDirectory, ILogger Log, VmxSourceOptions Options)
    {
        public List<SkippedDevice> Skipped { get; } = [];

        public void Skip(string key, string description, string reason, string whereKey)
        {
            Skipped.Add(new SkippedDevice(key, description, reason));
            Log.Warn($"{key} ({description}) is not carried over: {reason}", Doc.Where(whereKey));
        }
    }

    /// <summary>"50 11 5e 16 9b dc 49 d7-f1 71 53 c4 d7 f9 17 10" to 50115e16-9bdc-49d7-f171-53c4d7f91710.</summary>
    private static Guid? ParseUuid(BuildContext ctx, string key)
    {
        var e = ctx.Doc.GetEntry(key);
        if (e is null || e.Value.Trim().Length == 0)
        {
            return null;
        }

        var hex = new string(e.Value.Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        if (hex.Length != 32 || !hex.All(char.IsAsciiHexDigit))
        {
            throw ctx.Doc.Invalid(e, "a UUID of 16 hex bytes (\"56 4d ... -... \")");
        }

        return Guid.ParseExact($"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}", "D");
    }

    private static List<DiskController> ReadControllers(BuildContext ctx)
    {
        var doc = ctx.Doc;
        var result = new List<DiskController>
        {
            new(DiskBus.Ide, 0),
            new(DiskBus.Ide, 1),
        };
        for (var i = 0; i < DriveSlots.Controllers; i++)
        {
            var key = ScsiKeys[i];
            if (doc.GetBool($"{key}.present", false))
            {
                var raw = doc.GetNonEmpty($"{key}.virtualDev");
                var model = (raw ?? "").ToLowerInvariant() switch
                {
                    "lsilogic" => ScsiModel.LsiLogic,
                    "lsisas1068" => ScsiModel.LsiSas1068,
                    "buslogic" => ScsiModel.BusLogic,
                    "pvscsi" => ScsiModel.PvScsi,
                    "" => ScsiModel.LsiLogic,
                    _ => ScsiModel.Unknown,
                };
                if (raw is null)
                {
                    ctx.Log.Info($"{key}.virtualDev is missing; assuming lsilogic", doc.Where($"{key}.present"));
                }
                else if (model == ScsiModel.Unknown)
                {
                    ctx.Log.Warn($"{key}.virtualDev = \"{raw}\" is an unknown SCSI controller model", doc.Where($"{key}.virtualDev"));
                }

                result.Add(new DiskController(DiskBus.Scsi, i, model, raw, doc.GetNonEmpty($"{key}.sharedBus")));
            }

            if (doc.GetBool($"sata{i}.present", false))
            {
                result.Add(new DiskController(DiskBus.Sata, i));
            }

            if (doc.GetBool($"nvme{i}.present", false))
            {
                result.Add(new DiskController(DiskBus.Nvme, i));
            }
        }

        return result;
    }

    /// <summary>
    /// The drive slots VMware allows, per bus. SCSI: controllers 0-3, units 0-15 (lsilogic, lsisas1068, buslogic) or
    /// 0-64 (pvscsi, vSphere 6.7 and later), unit 7 being the controller itself. SATA: 0-3, units 0-29. NVMe: 0-3,
    /// units 0-14 up to vSphere 7 and 0-63 from vSphere 8. IDE: channels 0-1, units 0-1.
    /// </summary>
    private static class DriveSlots
    {
        public const int Controllers = 4;
        public const int IdeChannels = 2;
        public const int IdeUnits = 2;
        public const int ScsiUnits = 16;
        public const int PvScsiUnits = 65;
        public const int ScsiControllerUnit = 7;
        public const int SataUnits = 30;
        public const int NvmeUnits = 64;

        public static int Count(DiskBus bus) => bus == DiskBus.Ide ? IdeChannels : Controllers;

        /// <summary>Units tried on a controller; every SCSI model gets pvscsi's 0-64, the rest are warned about when present.</summary>
        public static int Units(DiskBus bus) => bus switch
        {
            DiskBus.Ide => IdeUnits,
            DiskBus.Scsi => PvScsiUnits,
            DiskBus.Sata => SataUnits,
            _ => NvmeUnits,
        };
    }

    private static IEnumerable<(DiskBus Bus, int Controller, int Unit)> Slots()
    {
        foreach (var bus in new[] { DiskBus.Ide, DiskBus.Scsi, DiskBus.Sata, DiskBus.Nvme })
        {
            for (var c = 0; c < DriveSlots.Count(bus); c++)
            {
                for (var u = 0; u < DriveSlots.Units(bus); u++)
                {
                    if (bus != DiskBus.Scsi || u != DriveSlots.ScsiControllerUnit)
                    {
                        yield return (bus, c, u);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Every "<c>BUSc:u.present</c>", "<c>ethernetN.present</c>"... key that is true but names no slot VMware allows
    /// (<c>scsi99999:0</c>, <c>sata0:30</c>, <c>ethernet10</c>, <c>scsi0:7</c>, <c>scsi0:01</c>): not carried, and said so.
    /// </summary>
    private static void SkipOutOfRangeDevices(BuildContext ctx)
    {
        var doc = ctx.Doc;
        foreach (var e in doc.Entries.ToList())
        {
            var drive = DriveKey().Match(e.Key);
            var single = drive.Success ? null : SingleKey().Match(e.Key);
            if (!drive.Success && single is not { Success: true })
            {
                continue;
            }

            if (!doc.GetBool(e.Key, false))
            {
                continue;
            }

            var device = e.Key[..^".present".Length];
            var reason = drive.Success ? DriveSlotProblem(drive) : SingleSlotProblem(single!);
            if (reason is not null)
            {
                ctx.Skip(device, doc.GetNonEmpty(device + ".fileName") ?? "device", reason, e.Key);
            }
        }
    }

    private static string? DriveSlotProblem(Match m)
    {
        var busText = m.Groups["bus"].Value.ToLowerInvariant();
        var bus = busText switch
        {
            "ide" => DiskBus.Ide,
            "scsi" => DiskBus.Scsi,
            "sata" => DiskBus.Sata,
            _ => DiskBus.Nvme,
        };
        var cText = m.Groups["c"].Value;
        var uText = m.Groups["u"].Value;
        if (!int.TryParse(cText, NumberStyles.None, CultureInfo.InvariantCulture, out var c) || c >= DriveSlots.Count(bus))
        {
            return $"VMware has {busText} controllers 0-{DriveSlots.Count(bus) - 1}, not {cText}";
        }

        var units = bus == DiskBus.Scsi ? DriveSlots.PvScsiUnits : DriveSlots.Units(bus);
        if (!int.TryParse(uText, NumberStyles.None, CultureInfo.InvariantCulture, out var u) || u >= units)
        {
            return $"VMware allows units 0-{units - 1} on a {busText} controller, not {uText}";
        }

        if (bus == DiskBus.Scsi && u == DriveSlots.ScsiControllerUnit)
        {
            return "SCSI unit 7 is the controller's own ID";
        }

        // In range but written another way (scsi0:01): the slot is read under its plain name only.
        return cText != c.ToString(CultureInfo.InvariantCulture) || uText != u.ToString(CultureInfo.InvariantCulture)
            ? $"the key is not written the way VMware writes it ({busText}{c}:{u})"
            : null;
    }

    private static string? SingleSlotProblem(Match m)
    {
        var kind = m.Groups["kind"].Value.ToLowerInvariant();
        var nText = m.Groups["n"].Value;
        var max = kind switch
        {
            "ethernet" => MaxEthernet,
            "serial" => MaxSerial,
            "parallel" => MaxParallel,
            _ => MaxFloppy,
        };
        if (!int.TryParse(nText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n >= max)
        {
            return $"VMware has {kind}0-{kind}{max - 1}, not {kind}{nText}";
        }

        return nText != n.ToString(CultureInfo.InvariantCulture) ? $"the key is not written the way VMware writes it ({kind}{n})" : null;
    }

    [GeneratedRegex(@"^(?<bus>ide|scsi|sata|nvme)(?<c>[0-9]+):(?<u>[0-9]+)\.present$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DriveKey();

    [GeneratedRegex(@"^(?<kind>ethernet|serial|parallel|floppy)(?<n>[0-9]+)\.present$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SingleKey();

    private static string BusPrefix(DiskBus bus) => bus switch
    {
        DiskBus.Ide => "ide",
        DiskBus.Scsi => "scsi",
        DiskBus.Sata => "sata",
        DiskBus.Nvme => "nvme",
        _ => throw new ArgumentOutOfRangeException(nameof(bus)),
    };

    private static (List<VirtualDisk> Disks, List<CdRom> CdRoms) ReadDriveSlots(BuildContext ctx, List<DiskController> controllers)
    {
        var doc = ctx.Doc;
        var disks = new List<VirtualDisk>();
        var cdroms = new List<CdRom>();
        foreach (var (bus, c, u) in Slots())
        {
            var key = $"{BusPrefix(bus)}{c}:{u}";
            if (!doc.GetBool($"{key}.present", false))
            {
                continue;
            }

            var controller = controllers.FirstOrDefault(x => x.Bus == bus && x.Index == c);
            if (controller is null)
            {
                ctx.Skip(key, doc.Get($"{key}.fileName") ?? "device", $"its controller {BusPrefix(bus)}{c} is not present", $"{key}.present");
                continue;
            }

            if (bus == DiskBus.Scsi && u >= DriveSlots.ScsiUnits && controller.Model != ScsiModel.PvScsi)
            {
                ctx.Log.Warn(
                    $"{key}: unit {u} is beyond units 0-{DriveSlots.ScsiUnits - 1} of the {controller.RawModel ?? "lsilogic"} controller {BusPrefix(bus)}{c} (VMware allows 16-64 only on pvscsi); carried anyway",
                    doc.Where($"{key}.present"));
            }

            var fileName = doc.Get($"{key}.fileName")?.Trim();
            var deviceType = (doc.GetNonEmpty($"{key}.deviceType") ?? "").ToLowerInvariant();
            var kind = deviceType switch
            {
                "cdrom-image" or "cdrom-raw" or "atapi-cdrom" => "cdrom",
                "scsi-passthru" => "passthru",
                "rawdisk" => "rawdisk",
                "scsi-harddisk" or "ata-harddisk" or "disk" or "plaindisk" => "disk",
                "" when fileName is not null && fileName.EndsWith(".iso", StringComparison.OrdinalIgnoreCase) => "cdrom",
                "" when fileName is not null && fileName.EndsWith(".vmdk", StringComparison.OrdinalIgnoreCase) => "disk",
                "" => "disk",
                _ => "unknown",
            };
            switch (kind)
            {
                case "cdrom" when deviceType == "cdrom-raw":
                    // Raw (SCSI generic) access to the host's drive: libvirt models it as a LUN, not a CD-ROM.
                    ctx.Skip(key, $"cdrom-raw {fileName}", "raw passthrough of the VMware host's optical drive; attach an ISO in libvirt instead", $"{key}.deviceType");
                    break;
                case "cdrom" when doc.GetBool($"{key}.clientDevice", false):
                    ctx.Skip(key, $"{deviceType} (client device)", "the drive belongs to the vSphere client machine", $"{key}.clientDevice");
                    break;
                case "cdrom":
                    cdroms.Add(ReadCdRom(ctx, key, bus, c, u, deviceType, fileName));
                    break;
                case "passthru":
                    ctx.Skip(key, $"scsi-passthru {fileName}", "SCSI passthrough of a VMware host device", $"{key}.deviceType");
                    break;
                case "unknown":
                    ctx.Skip(key, $"deviceType {deviceType}", "unknown device type", $"{key}.deviceType");
                    break;
                default:
                    disks.Add(ReadDisk(ctx, key, bus, c, u, fileName, kind == "rawdisk"));
                    break;
            }
        }

        return (disks, cdroms);
    }

    private static VirtualDisk ReadDisk(BuildContext ctx, string key, DiskBus bus, int c, int u, string? fileName, bool rawDevice)
    {
        var doc = ctx.Doc;
        if (string.IsNullOrEmpty(fileName))
        {
            throw new InvalidDataException($"{doc.Where($"{key}.present")}: {key} is a hard disk without {key}.fileName");
        }

        var modeText = (doc.GetNonEmpty($"{key}.mode") ?? "persistent").ToLowerInvariant();
        var mode = modeText switch
        {
            "persistent" => DiskMode.Persistent,
            "nonpersistent" => DiskMode.Nonpersistent,
            "independent-persistent" => DiskMode.IndependentPersistent,
            "independent-nonpersistent" => DiskMode.IndependentNonpersistent,
            "undoable" => DiskMode.Undoable,
            _ => throw doc.Invalid(doc.GetEntry($"{key}.mode")!, "persistent, nonpersistent, independent-persistent, independent-nonpersistent or undoable"),
        };
        if (mode is DiskMode.IndependentNonpersistent or DiskMode.Nonpersistent)
        {
            ctx.Log.Warn($"{key} is {modeText}: VMware discards its changes at power-off; the converted disk keeps the base disk's content", doc.Where($"{key}.mode"));
        }

        var (resolved, datastore) = ResolveFile(ctx, fileName);
        var state = DiskFileState.Unknown;
        if (rawDevice)
        {
            ctx.Log.Warn($"{key} is a raw device mapping ({fileName}); its data must be copied separately", doc.Where($"{key}.fileName"));
        }
        else if (resolved is not null && ctx.Options.ProbeLocalFiles)
        {
            if (Directory.Exists(resolved))
            {
                throw new InvalidDataException($"{doc.Where($"{key}.fileName")}: {key}.fileName = \"{fileName}\" resolves to {resolved}, which is a directory, not a VMDK");
            }

            if (!File.Exists(resolved))
            {
                state = DiskFileState.Missing;
                ctx.Log.Warn($"{key}.fileName = \"{fileName}\": {resolved} does not exist; the disk is listed but cannot be copied", doc.Where($"{key}.fileName"));
            }
            else if (OutsideFolder(ctx, resolved) is { } real)
            {
                // Nothing outside the VM folder is read without --allow-absolute-extents, not even to probe it.
                state = DiskFileState.Present;
                ctx.Log.Info($"{key}.fileName = \"{fileName}\" is {real}, outside the VM folder: not read here; convert reads it only with --allow-absolute-extents", doc.Where($"{key}.fileName"));
            }
            else if (!VmdkSniffer.IsSupported(Sniff(ctx, key, fileName, resolved)))
            {
                throw new InvalidDataException($"{doc.Where($"{key}.fileName")}: {key}.fileName = \"{fileName}\" resolves to {resolved}, which is not a VMDK (no descriptor, KDMV or COWD signature)");
            }
            else
            {
                state = DiskFileState.Present;
            }
        }

        return new VirtualDisk
        {
            Key = key,
            Bus = bus,
            Controller = c,
            Unit = u,
            FileName = fileName,
            ResolvedPath = resolved,
            FileState = state,
            Mode = mode,
            Datastore = datastore,
            IsRawDevice = rawDevice,
            WriteThrough = doc.GetNonEmpty($"{key}.writeThrough"),
        };
    }

    /// <summary>The real path of <paramref name="resolved"/> when it lies outside the real VM folder; null when inside (or no folder).</summary>
    private static string? OutsideFolder(BuildContext ctx, string resolved)
    {
        if (ctx.BaseDirectory is null)
        {
            return null;
        }

        try
        {
            var real = InputFile.RealPath(resolved);
            return InputFile.IsWithin(real, InputFile.RealPath(ctx.BaseDirectory)) ? null : real;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the probe that follows reports it, naming the key
        }
    }

    /// <summary>The VMDK kind of a disk file; a FIFO, a device or an unreadable file is an error naming the key.</summary>
    private static VmdkFileKind Sniff(BuildContext ctx, string key, string fileName, string resolved)
    {
        try
        {
            return VmdkSniffer.Detect(resolved);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{ctx.Doc.Where($"{key}.fileName")}: {key}.fileName = \"{fileName}\": {ex.Message}", ex);
        }
    }

    private static CdRom ReadCdRom(BuildContext ctx, string key, DiskBus bus, int c, int u, string deviceType, string? fileName)
    {
        var doc = ctx.Doc;
        var connected = doc.GetBool($"{key}.startConnected", true);
        if (deviceType is "cdrom-raw" or "atapi-cdrom")
        {
            return new CdRom(key, bus, c, u, MediaKind.HostDevice, fileName, null, connected, false);
        }

        if (string.IsNullOrEmpty(fileName) || fileName.Equals("emptyBackingString", StringComparison.OrdinalIgnoreCase))
        {
            return new CdRom(key, bus, c, u, MediaKind.Empty, null, null, connected, false);
        }

        var (resolved, _) = ResolveFile(ctx, fileName);
        var local = resolved is not null && ctx.Options.ProbeLocalFiles && File.Exists(resolved);
        if (!local)
        {
            ctx.Log.Info($"{key}: ISO \"{fileName}\" is not available here; the converted VM gets an empty drive", doc.Where($"{key}.fileName"));
        }

        return new CdRom(key, bus, c, u, MediaKind.Image, fileName, resolved, connected, local);
    }

    private static List<Floppy> ReadFloppies(BuildContext ctx)
    {
        var doc = ctx.Doc;
        var result = new List<Floppy>();
        for (var i = 0; i < MaxFloppy; i++)
        {
            var key = $"floppy{i}";
            if (!doc.GetBool($"{key}.present", false))
            {
                continue;
            }

            if (doc.GetBool($"{key}.clientDevice", false))
            {
                ctx.Skip(key, "floppy (client device)", "the drive belongs to the vSphere client machine", $"{key}.clientDevice");
                continue;
            }

            var fileType = (doc.GetNonEmpty($"{key}.fileType") ?? "device").ToLowerInvariant();
            var fileName = doc.GetNonEmpty($"{key}.fileName");
            var connected = doc.GetBool($"{key}.startConnected", true);
            if (fileType == "file" && fileName is not null)
            {
                var (resolved, _) = ResolveFile(ctx, fileName);
                var local = resolved is not null && ctx.Options.ProbeLocalFiles && File.Exists(resolved);
                result.Add(new Floppy(i, MediaKind.Image, fileName, resolved, connected, local));
            }
            else if (fileType == "device")
            {
                result.Add(new Floppy(i, MediaKind.HostDevice, fileName, null, connected, false));
            }
            else
            {
                result.Add(new Floppy(i, MediaKind.Empty, null, null, connected, false));
            }
        }

        return result;
    }

    /// <summary>
    /// Resolves a VMX file name: absolute paths stay, "[datastore] dir/file" records the datastore (not
    /// resolvable locally), others are relative to the .vmx folder. "../" is legitimate (linked clones).
    /// </summary>
    private static (string? Resolved, string? Datastore) ResolveFile(BuildContext ctx, string fileName)
    {
        var m = DatastorePath().Match(fileName);
        if (m.Success)
        {
            var ds = m.Groups["ds"].Value;
            var rest = m.Groups["path"].Value;
            // A copied datastore folder: the file may sit beside the .vmx under its own name.
            string? local = null;
            if (ctx.BaseDirectory is not null && ctx.Options.ProbeLocalFiles)
            {
                var beside = Path.Combine(ctx.BaseDirectory, Path.GetFileName(rest));
                local = File.Exists(beside) ? beside : null;
            }

            return (local, ds);
        }

        if (Path.IsPathRooted(fileName))
        {
            var vmfs = VmfsVolumePath().Match(fileName);
            if (vmfs.Success && !File.Exists(fileName) && ctx.BaseDirectory is not null && ctx.Options.ProbeLocalFiles)
            {
                // /vmfs/volumes/<ds>/<vm>/<file> copied next to the .vmx.
                var beside = Path.Combine(ctx.BaseDirectory, Path.GetFileName(fileName));
                if (File.Exists(beside))
                {
                    return (beside, vmfs.Groups["ds"].Value);
                }
            }

            return (fileName, vmfs.Success ? vmfs.Groups["ds"].Value : null);
        }

        return (ctx.BaseDirectory is null ? null : Path.GetFullPath(Path.Combine(ctx.BaseDirectory, fileName)), null);
    }

    [GeneratedRegex(@"^\[(?<ds>[^\]]+)\]\s*(?<path>.*)$")]
    private static partial Regex DatastorePath();

    [GeneratedRegex(@"^/vmfs/volumes/(?<ds>[^/]+)/")]
    private static partial Regex VmfsVolumePath();
}
