using System.Globalization;
using Serilog;
using V2VConverter.Formats.Ova;
using V2VConverter.Model.Catalog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.Ova;

/// <summary>Options for turning an OVF descriptor into the source model.</summary>
public sealed record OvfSourceOptions
{
    /// <summary>Check whether referenced files exist beside the .ovf. Off when the files sit inside an archive.</summary>
    public bool ProbeLocalFiles { get; init; } = true;

    public GuestOsCatalog? Catalog { get; init; }

    /// <summary>Whether a referenced file is in the package (a member of an OVA); null: beside the .ovf on disk (see <see cref="ProbeLocalFiles"/>).</summary>
    public Func<string, bool>? FileExists { get; init; }

    /// <summary>
    /// False when the package is an archive: a CD-ROM or floppy image inside it cannot be attached to the new VM (a
    /// hypervisor reads a file, not a member), so its drive is left empty, with a warning.
    /// </summary>
    public bool MediaAttachable { get; init; } = true;
}

/// <summary>
/// Builds the <see cref="VirtualMachine"/> model from an OVF descriptor (vSphere "Export OVF Template", ovftool,
/// Workstation, VirtualBox). The CIM ResourceType table (DSP0004 CIM_ResourceAllocationSettingData):
/// <code>
///  3 processor      VirtualQuantity, vmw:CoresPerSocket        14 floppy drive
///  4 memory         VirtualQuantity x AllocationUnits           15/16 CD/DVD drive  HostResource ovf:/file/ID or empty
///  5 IDE controller Address = channel                           17 disk drive       HostResource ovf:/disk/ID -> DiskSection -> References
///  6 SCSI HBA       ResourceSubType lsilogic, lsilogicsas,      20 other storage    vmware.sata.ahci, AHCI (VirtualBox), vmware.nvme.controller
///                   buslogic, VirtualSCSI (pvscsi)              21/22 serial/parallel port, 23 USB, 24 video, 35 sound
/// 10 Ethernet       ResourceSubType E1000, E1000e, VmxNet3, PCNet32; Connection = network; Address = MAC
/// </code>
/// A drive's bus, controller and unit come from its Parent (the controller's InstanceID) and AddressOnParent. An item
/// of another ResourceType is a warning, not a failure.
/// </summary>
public static partial class OvfSource
{
    /// <summary>The largest memory accepted: 64 TiB in MiB.</summary>
    private const long MaxMiB = 64L * 1024 * 1024;

    public static VirtualMachine Load(string ovfPath, ILogger log, OvfSourceOptions? options = null)
    {
        var full = Path.GetFullPath(ovfPath);
        var envelope = OvfEnvelope.Load(full);
        return Build(envelope, Path.GetDirectoryName(full), log, options ?? new OvfSourceOptions());
    }

    /// <summary>
    /// The model of an OVF package (an OVA or an unpacked folder): the descriptor parsed from the package, each
    /// reference resolved to a file of the package (<see cref="OvfPackage.PathOf"/>), present when the package holds it.
    /// </summary>
    public static VirtualMachine Load(OvfPackage package, ILogger log, OvfSourceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        var envelope = OvfEnvelope.Parse(package.Descriptor, package.DescriptorPath);
        var inFolder = package.Kind == "folder";
        return Build(envelope, package.Root, log, (options ?? new OvfSourceOptions()) with { ProbeLocalFiles = false, FileExists = package.Exists, MediaAttachable = inFolder });
    }

    public static VirtualMachine Build(OvfEnvelope envelope, string? baseDirectory, ILogger log, OvfSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var w in envelope.Warnings)
        {
            log.Warn(w);
        }

        var ctx = new BuildContext(envelope, baseDirectory, log, options);
        var name = envelope.Name ?? envelope.VirtualSystemId;
        if (name is null)
        {
            name = Path.GetFileNameWithoutExtension(envelope.Origin);
            log.Warn($"the VirtualSystem has no Name; using \"{name}\"", envelope.Origin);
        }

        var firmwareText = envelope.Config.GetValueOrDefault("firmware")?.ToLowerInvariant();
        var firmware = firmwareText switch
        {
            null or "" when envelope.VboxFirmware is { } vbox => vbox.StartsWith("EFI", StringComparison.OrdinalIgnoreCase) ? Firmware.Efi : Firmware.Bios,
            null or "" or "bios" => Firmware.Bios,
            "efi" or "uefi" => Firmware.Efi,
            _ => throw new InvalidDataException($"{envelope.Origin}: VirtualHardwareSection <vmw:Config> key \"firmware\" = \"{firmwareText}\" is not bios or efi"),
        };
        var secureBoot = firmware == Firmware.Efi
            && (IsTrue(envelope.Config.GetValueOrDefault("uefi.secureBoot.enabled")) || IsTrue(envelope.Config.GetValueOrDefault("bootOptions.efiSecureBootEnabled")));

        var controllers = ReadControllers(ctx);
        var vm = new VirtualMachine
        {
            Name = name,
            Uuid = envelope.VboxUuid,
            Annotation = envelope.Annotation,
            Guest = ReadGuest(ctx),
            MemoryMiB = ReadMemory(ctx),
            Cpu = ReadCpu(ctx),
            Firmware = firmware,
            SecureBoot = secureBoot,
            HardwareVersion = HardwareVersion(envelope.SystemType),
            Controllers = controllers.Select(c => c.Controller).ToList(),
            Disks = ReadDisks(ctx, controllers),
            CdRoms = ReadCdRoms(ctx, controllers),
            Floppies = ReadFloppies(ctx),
            Nics = ReadNics(ctx),
            SerialPorts = ReadSerialPorts(ctx),
            ParallelPorts = ReadParallelPorts(ctx),
            Video = ReadVideo(ctx),
            Sound = ReadSound(ctx),
            UsbControllers = ReadUsb(ctx),
            SkippedDevices = ctx.Skipped,
            Origin = envelope.Origin,
            BaseDirectory = baseDirectory,
        };
        WarnUnknownItems(ctx);
        if (vm.SecureBoot)
        {
            log.Info("firmware EFI with secure boot");
        }

        return vm;
    }

    private sealed record BuildContext(OvfEnvelope Envelope, string? BaseDirectory, ILogger Log, OvfSourceOptions Options)
    {
        public List<SkippedDevice> Skipped { get; } = [];

        /// <summary>Items read into the model (or knowingly skipped); the rest are warned about.</summary>
        public HashSet<OvfItem> Handled { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>Drive slots already claimed ("scsi0:1"), shared by disks and CD-ROMs.</summary>
        public HashSet<string> TakenUnits { get; } = [];

        public IEnumerable<OvfItem> OfType(params int[] types)
        {
            foreach (var i in Envelope.Items)
            {
                if (i.ResourceType is { } t && types.Contains(t))
                {
                    Handled.Add(i);
                    yield return i;
                }
            }
        }

        public InvalidDataException Invalid(OvfItem item, string field, string? value, string expected) =>
            new($"{Envelope.Origin}: line {item.Line}: {item.Describe()}: {field} = \"{value}\" is not {expected}");

        public void Skip(OvfItem item, string key, string reason)
        {
            Skipped.Add(new SkippedDevice(key, item.ElementName ?? item.Describe(), reason));
            Log.Warn($"{key} ({item.Describe()}) is not carried over: {reason}", Envelope.Origin, item.Line);
        }
    }

    private static bool IsTrue(string? v) => v is not null && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1");

    private static long ReadMemory(BuildContext ctx)
    {
        var items = ctx.OfType(4).ToList();
        if (items.Count == 0)
        {
            throw new InvalidDataException($"{ctx.Envelope.Origin}: VirtualHardwareSection: no memory Item (ResourceType 4)");
        }

        var item = items[0];
        if (!long.TryParse(item.VirtualQuantity, NumberStyles.None, CultureInfo.InvariantCulture, out var quantity) || quantity == 0)
        {
            throw ctx.Invalid(item, "VirtualQuantity", item.VirtualQuantity, "a positive whole number");
        }

        var unitsText = item.AllocationUnits;
        if (unitsText is null)
        {
            ctx.Log.Info($"memory Item has no AllocationUnits; assuming MiB (byte * 2^20)", ctx.Envelope.Origin, item.Line);
        }

        long unit;
        try
        {
            unit = OvfUnits.BytesPer(unitsText ?? "byte * 2^20");
        }
        catch (FormatException ex)
        {
            throw ctx.Invalid(item, "AllocationUnits", unitsText, $"a unit of bytes ({ex.Message})");
        }

        if (quantity > (MaxMiB << 20) / unit)
        {
            throw ctx.Invalid(item, "VirtualQuantity", $"{quantity} x {unitsText}", $"within {MaxMiB} MiB (64 TiB)");
        }

        var bytes = quantity * unit;
        var mib = (bytes + (1 << 20) - 1) >> 20;
        if (bytes % (1 << 20) != 0)
        {
            ctx.Log.Warn($"memory {quantity} x {unitsText} is not a whole number of MiB; rounded up to {mib} MiB", ctx.Envelope.Origin, item.Line);
        }

        return mib;
    }

    private static CpuTopology ReadCpu(BuildContext ctx)
    {
        var item = ctx.OfType(3).FirstOrDefault();
        if (item is null)
        {
            ctx.Log.Warn("VirtualHardwareSection has no processor Item (ResourceType 3); using 1 vCPU", ctx.Envelope.Origin);
            return new CpuTopology(1, 1);
        }

        if (!int.TryParse(item.VirtualQuantity, NumberStyles.None, CultureInfo.InvariantCulture, out var vcpus) || vcpus is < 1 or > 4096)
        {
            throw ctx.Invalid(item, "VirtualQuantity", item.VirtualQuantity, "a vCPU count from 1 to 4096");
        }

        var coresText = item.Vmware.GetValueOrDefault("CoresPerSocket") ?? item.Config.GetValueOrDefault("cpuid.coresPerSocket");
        var cores = 1;
        if (coresText is not null && (!int.TryParse(coresText, NumberStyles.None, CultureInfo.InvariantCulture, out cores) || cores is < 1 or > 4096))
        {
            throw ctx.Invalid(item, "vmw:CoresPerSocket", coresText, "a core count from 1 to 4096");
        }

        if (vcpus % cores != 0)
        {
            ctx.Log.Warn($"{vcpus} vCPUs is not a multiple of vmw:CoresPerSocket = {cores}; using {vcpus} sockets of 1 core", ctx.Envelope.Origin, item.Line);
            cores = 1;
        }

        return new CpuTopology(vcpus, cores);
    }

    /// <summary>The highest "vmx-NN" of vssd:VirtualSystemType ("vmx-07 vmx-13"), 0 for VirtualBox and others.</summary>
    private static int HardwareVersion(string? systemType)
    {
        var best = 0;
        foreach (var t in (systemType ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (t.StartsWith("vmx-", StringComparison.OrdinalIgnoreCase) && int.TryParse(t.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= 1000)
            {
                best = Math.Max(best, v);
            }
        }

        return best;
    }

    private static GuestOs ReadGuest(BuildContext ctx)
    {
        var env = ctx.Envelope;
        var catalog = ctx.Options.Catalog ?? GuestOsCatalog.Default;
        string? id;
        string how;
        if (env.VmwOsType is not null)
        {
            id = env.VmwOsType;
            how = $"vmw:osType \"{id}\"";
        }
        else if (env.OsId is { } cim && CimOsTypes.ToVmx(cim) is { } mapped)
        {
            id = mapped;
            how = $"ovf:id {cim} ({env.OsDescription ?? env.VboxOsType ?? "no description"}) as \"{id}\"";
        }
        else
        {
            id = null;
            how = env.OsId is { } c ? $"ovf:id {c} ({env.OsDescription})" : "no OperatingSystemSection";
        }

        var guest = catalog.Lookup(id, out var rule);
        if (rule is null)
        {
            ctx.Log.Warn($"guest OS from {how} is not in the catalog; treated as unknown (no virtio)", env.Origin);
        }
        else
        {
            ctx.Log.Info($"guest OS from {how} -> {guest.Description} ({guest.Architecture}, virtio {(guest.HasVirtioDrivers ? "yes" : "no")}), rule {rule}");
        }

        return guest;
    }

    private static void WarnUnknownItems(BuildContext ctx)
    {
        foreach (var item in ctx.Envelope.Items.Where(i => !ctx.Handled.Contains(i)))
        {
            ctx.Log.Warn($"{item.Describe()} is a device this converter does not know; ignored", ctx.Envelope.Origin, item.Line);
        }
    }
}
