using System.Globalization;
using System.Text.RegularExpressions;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.Ova;

public static partial class OvfSource
{
    private const int MaxControllersPerBus = 4;
    private const int MaxUnit = 64;
    private const int MaxEthernet = 10;
    private const int MaxSerial = 4;
    private const int MaxParallel = 3;
    private const int MaxFloppy = 2;

    /// <summary>A controller Item with the model controller it became (null InstanceId for the implicit IDE channels).</summary>
    private sealed record ControllerSlot(string? InstanceId, DiskController Controller);

    private static string BusPrefix(DiskBus bus) => bus.ToString().ToLowerInvariant();

    private static List<ControllerSlot> ReadControllers(BuildContext ctx)
    {
        // Like a .vmx: the two IDE channels always exist; IDE Items map onto them by their Address.
        var result = new List<ControllerSlot> { new(null, new DiskController(DiskBus.Ide, 0)), new(null, new DiskController(DiskBus.Ide, 1)) };
        foreach (var item in ctx.OfType(5, 6, 20))
        {
            var sub = item.ResourceSubType ?? "";
            var (bus, model, raw) = item.ResourceType switch
            {
                5 => (DiskBus.Ide, ScsiModel.None, (string?)null),
                6 => ScsiFor(ctx, item, sub),
                _ => sub.Contains("nvme", StringComparison.OrdinalIgnoreCase) ? (DiskBus.Nvme, ScsiModel.None, null) : (DiskBus.Sata, ScsiModel.None, null),
            };
            if (item.ResourceType == 20 && bus == DiskBus.Sata && !sub.Equals("vmware.sata.ahci", StringComparison.OrdinalIgnoreCase) && !sub.Equals("AHCI", StringComparison.OrdinalIgnoreCase))
            {
                ctx.Log.Warn($"{item.Describe()}: ResourceSubType \"{sub}\" is not a known SATA or NVMe controller; treated as SATA (AHCI)", ctx.Envelope.Origin, item.Line);
            }

            var used = result.Where(r => r.Controller.Bus == bus).ToList();
            int? preferred = int.TryParse(item.Address, NumberStyles.None, CultureInfo.InvariantCulture, out var a) && a < MaxControllersPerBus ? a : null;
            if (bus == DiskBus.Ide)
            {
                var channel = preferred ?? used.FindIndex(r => r.InstanceId is null);
                var slot = used.FirstOrDefault(r => r.Controller.Index == channel && r.InstanceId is null);
                if (slot is null || channel > 1)
                {
                    ctx.Skip(item, $"ide{channel}", "a third IDE controller (VMware and KVM have two IDE channels)");
                    continue;
                }

                result[result.IndexOf(slot)] = slot with { InstanceId = item.InstanceId };
                continue;
            }

            var index = preferred is { } p && used.All(r => r.Controller.Index != p) ? p : Enumerable.Range(0, MaxControllersPerBus).Cast<int?>().FirstOrDefault(i => used.All(r => r.Controller.Index != i));
            if (index is null)
            {
                ctx.Skip(item, $"{BusPrefix(bus)}{MaxControllersPerBus}", $"more than {MaxControllersPerBus} {BusPrefix(bus)} controllers");
                continue;
            }

            result.Add(new ControllerSlot(item.InstanceId, new DiskController(bus, index.Value, model, raw)));
        }

        return result;
    }

    private static (DiskBus, ScsiModel, string?) ScsiFor(BuildContext ctx, OvfItem item, string sub)
    {
        var model = sub.ToLowerInvariant() switch
        {
            "lsilogic" or "" => ScsiModel.LsiLogic,
            "lsilogicsas" or "lsisas1068" => ScsiModel.LsiSas1068,
            "buslogic" => ScsiModel.BusLogic,
            "virtualscsi" or "pvscsi" => ScsiModel.PvScsi,
            _ => ScsiModel.Unknown,
        };
        if (model == ScsiModel.Unknown)
        {
            ctx.Log.Warn($"{item.Describe()}: ResourceSubType \"{sub}\" is an unknown SCSI controller model", ctx.Envelope.Origin, item.Line);
        }

        var raw = model switch
        {
            ScsiModel.LsiLogic => "lsilogic",
            ScsiModel.LsiSas1068 => "lsisas1068",
            ScsiModel.BusLogic => "buslogic",
            ScsiModel.PvScsi => "pvscsi",
            _ => sub,
        };
        return (DiskBus.Scsi, model, raw);
    }

    /// <summary>The controller, channel and unit of a drive Item, from its Parent and AddressOnParent; null when it has no usable controller (skipped).</summary>
    private static (DiskBus Bus, int Controller, int Unit, string Key)? Place(BuildContext ctx, OvfItem item, List<ControllerSlot> controllers, HashSet<string> taken)
    {
        if (item.Parent is null)
        {
            throw ctx.Invalid(item, "Parent", "", "the InstanceID of a controller (missing)");
        }

        var parent = ctx.Envelope.Items.FirstOrDefault(i => i.InstanceId == item.Parent);
        if (parent is null)
        {
            throw ctx.Invalid(item, "Parent", item.Parent, "the InstanceID of an Item of this VirtualHardwareSection");
        }

        var slot = controllers.FirstOrDefault(c => c.InstanceId == item.Parent);
        if (slot is null)
        {
            if (parent.ResourceType is 5 or 6 or 20)
            {
                ctx.Skip(item, $"parent {item.Parent}", $"its controller {parent.Describe()} is not carried over");
                return null;
            }

            throw ctx.Invalid(item, "Parent", item.Parent, $"a disk controller ({parent.Describe()} is not one)");
        }

        var bus = slot.Controller.Bus;
        var index = slot.Controller.Index;
        int unit;
        if (item.AddressOnParent is null)
        {
            unit = Enumerable.Range(0, MaxUnit + 1).First(u => !taken.Contains($"{BusPrefix(bus)}{index}:{u}") && !(bus == DiskBus.Scsi && u == 7));
            ctx.Log.Info($"{item.Describe()} has no AddressOnParent; using unit {unit}", ctx.Envelope.Origin, item.Line);
        }
        else if (!int.TryParse(item.AddressOnParent, NumberStyles.None, CultureInfo.InvariantCulture, out unit) || unit > MaxUnit)
        {
            throw ctx.Invalid(item, "AddressOnParent", item.AddressOnParent, $"a unit number from 0 to {MaxUnit}");
        }

        if (bus == DiskBus.Ide && unit > 1)
        {
            // VirtualBox numbers the four IDE places of its one controller 0-3: channel = unit / 2.
            index += unit / 2;
            unit %= 2;
            if (index > 1)
            {
                ctx.Skip(item, $"ide{index}:{unit}", "IDE has channels 0 and 1 only");
                return null;
            }
        }

        var key = $"{BusPrefix(bus)}{index}:{unit}";
        if (!taken.Add(key))
        {
            throw ctx.Invalid(item, "AddressOnParent", item.AddressOnParent, $"a free unit ({key} is used by another drive)");
        }

        return (bus, index, unit, key);
    }

    private static List<VirtualDisk> ReadDisks(BuildContext ctx, List<ControllerSlot> controllers)
    {
        var env = ctx.Envelope;
        var result = new List<VirtualDisk>();
        var taken = ctx.TakenUnits;
        foreach (var item in ctx.OfType(17))
        {
            var host = item.HostResources.FirstOrDefault() ?? throw ctx.Invalid(item, "HostResource", "", "a reference to a disk (ovf:/disk/ID) (missing)");
            var (kind, id) = ParseHostResource(host);
            OvfFile? file;
            long? capacity = null;
            if (kind == "disk")
            {
                var disk = env.Disks.FirstOrDefault(d => d.DiskId == id) ?? throw ctx.Invalid(item, "HostResource", host, "a disk of the DiskSection (no Disk has that ovf:diskId)");
                capacity = disk.CapacityBytes;
                if (disk.FileRef is null)
                {
                    ctx.Skip(item, $"disk {id}", $"a blank disk of {disk.CapacityBytes} bytes with no file in the package; create it on the KVM side");
                    continue;
                }

                file = env.Files.FirstOrDefault(f => f.Id == disk.FileRef)
                    ?? throw new InvalidDataException($"{env.Origin}: line {disk.Line}: <Disk> ovf:diskId \"{id}\": ovf:fileRef = \"{disk.FileRef}\" is not the ovf:id of a References/File");
            }
            else if (kind == "file")
            {
                file = env.Files.FirstOrDefault(f => f.Id == id) ?? throw ctx.Invalid(item, "HostResource", host, "a file of the References (no File has that ovf:id)");
            }
            else
            {
                throw ctx.Invalid(item, "HostResource", host, "ovf:/disk/ID or ovf:/file/ID");
            }

            if (file.ChunkSize is not null)
            {
                throw new NotSupportedException($"{env.Origin}: File \"{file.Href}\" is split in chunks (ovf:chunkSize = {file.ChunkSize}); re-export without --chunkSize");
            }

            var place = Place(ctx, item, controllers, taken);
            if (place is not { } p)
            {
                continue;
            }

            var (resolved, state) = Resolve(ctx, file.Href);
            if (state == DiskFileState.Missing)
            {
                ctx.Log.Warn($"{p.Key}: \"{file.Href}\" is not beside the descriptor ({resolved}); the disk is listed but cannot be copied", env.Origin, item.Line);
            }

            result.Add(new VirtualDisk
            {
                Key = p.Key,
                Bus = p.Bus,
                Controller = p.Controller,
                Unit = p.Unit,
                FileName = file.Href,
                ResolvedPath = resolved,
                FileState = state,
                CapacityBytes = capacity,
                Compression = file.Compression,
            });
        }

        return result;
    }

    private static (string Kind, string Id) ParseHostResource(string host)
    {
        var m = HostResourcePattern().Match(host);
        return m.Success ? (m.Groups["kind"].Value.ToLowerInvariant(), m.Groups["id"].Value) : ("", host);
    }

    [GeneratedRegex(@"^(?:ovf:)?/(?<kind>disk|file)/(?<id>.+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HostResourcePattern();

    private static (string? Resolved, DiskFileState State) Resolve(BuildContext ctx, string href)
    {
        if (ctx.BaseDirectory is null)
        {
            return (null, DiskFileState.Unknown);
        }

        var resolved = Path.GetFullPath(Path.Combine(ctx.BaseDirectory, href));
        if (ctx.Options.FileExists is { } exists)
        {
            return (resolved, exists(resolved) ? DiskFileState.Present : DiskFileState.Missing);
        }

        if (!ctx.Options.ProbeLocalFiles)
        {
            return (resolved, DiskFileState.Unknown);
        }

        return (resolved, File.Exists(resolved) ? DiskFileState.Present : DiskFileState.Missing);
    }

    private static List<CdRom> ReadCdRoms(BuildContext ctx, List<ControllerSlot> controllers)
    {
        var result = new List<CdRom>();
        foreach (var item in ctx.OfType(15, 16))
        {
            var place = Place(ctx, item, controllers, ctx.TakenUnits);
            if (place is not { } p)
            {
                continue;
            }

            var connected = item.AutomaticAllocation ?? true;
            var image = ImageFile(ctx, item);
            if (image is null)
            {
                result.Add(new CdRom(p.Key, p.Bus, p.Controller, p.Unit, MediaKind.Empty, null, null, connected, false));
                continue;
            }

            var (resolved, state) = Resolve(ctx, image.Href);
            if (!ctx.Options.MediaAttachable)
            {
                ctx.Log.Warn($"{item.ElementName ?? "drive"}: the image \"{image.Href}\" is inside the package, where the new VM cannot read it; the drive is left empty (extract the image and attach it afterwards)", ctx.Envelope.Origin, item.Line);
                result.Add(new CdRom(p.Key, p.Bus, p.Controller, p.Unit, MediaKind.Empty, null, null, connected, false));
                continue;
            }

            result.Add(new CdRom(p.Key, p.Bus, p.Controller, p.Unit, MediaKind.Image, image.Href, resolved, connected, state == DiskFileState.Present));
        }

        return result;
    }

    /// <summary>The packaged image (ovf:/file/ID) of a CD-ROM or floppy Item, or null for an empty drive.</summary>
    private static OvfFile? ImageFile(BuildContext ctx, OvfItem item)
    {
        foreach (var host in item.HostResources)
        {
            var (kind, id) = ParseHostResource(host);
            if (kind == "file")
            {
                return ctx.Envelope.Files.FirstOrDefault(f => f.Id == id) ?? throw ctx.Invalid(item, "HostResource", host, "a file of the References (no File has that ovf:id)");
            }
        }

        return null;
    }

    private static List<Floppy> ReadFloppies(BuildContext ctx)
    {
        var result = new List<Floppy>();
        foreach (var item in ctx.OfType(14))
        {
            if (result.Count == MaxFloppy)
            {
                ctx.Skip(item, $"floppy{result.Count}", $"VMware and KVM have {MaxFloppy} floppy drives");
                continue;
            }

            var image = ImageFile(ctx, item);
            var connected = item.AutomaticAllocation ?? true;
            if (image is null)
            {
                result.Add(new Floppy(result.Count, MediaKind.Empty, null, null, connected, false));
                continue;
            }

            var (resolved, state) = Resolve(ctx, image.Href);
            if (!ctx.Options.MediaAttachable)
            {
                ctx.Log.Warn($"{item.ElementName ?? "drive"}: the image \"{image.Href}\" is inside the package, where the new VM cannot read it; the drive is left empty (extract the image and attach it afterwards)", ctx.Envelope.Origin, item.Line);
                result.Add(new Floppy(result.Count, MediaKind.Empty, null, null, connected, false));
                continue;
            }

            result.Add(new Floppy(result.Count, MediaKind.Image, image.Href, resolved, connected, state == DiskFileState.Present));
        }

        return result;
    }

    private static string NicModel(BuildContext ctx, OvfItem item)
    {
        var sub = item.ResourceSubType ?? "";
        var model = sub.ToLowerInvariant() switch
        {
            "e1000" or "82545em" => "e1000",
            "e1000e" => "e1000e",
            "vmxnet3" => "vmxnet3",
            "vmxnet2" or "vmxnet" => "vmxnet",
            "pcnet32" or "pcnet" or "pcnetpci" or "am79c970a" or "am79c973" or "vlance" => "vlance",
            "virtio" or "virtio-net" => "virtio",
            "82540em" or "82543gc" => "e1000",
            "" => "e1000",
            var other => other,
        };
        if (sub.Length == 0)
        {
            ctx.Log.Info($"{item.Describe()} has no ResourceSubType; assuming E1000", ctx.Envelope.Origin, item.Line);
        }

        return model;
    }

    private static List<NetworkAdapter> ReadNics(BuildContext ctx)
    {
        var result = new List<NetworkAdapter>();
        foreach (var item in ctx.OfType(10))
        {
            if (result.Count == MaxEthernet)
            {
                ctx.Skip(item, $"ethernet{result.Count}", $"VMware has {MaxEthernet} network adapters at most");
                continue;
            }

            string? mac = null;
            var address = item.Address;
            if (address is null && ctx.Envelope.VboxMacs.Count > result.Count && ctx.Envelope.VboxMacs[result.Count].Length > 0)
            {
                // VirtualBox keeps the MAC in its vbox:Machine section, by adapter slot.
                address = ctx.Envelope.VboxMacs[result.Count];
            }

            if (address is { Length: > 0 })
            {
                var hex = address.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
                if (hex.Length != 12 || !hex.All(char.IsAsciiHexDigit))
                {
                    throw ctx.Invalid(item, "Address", address, "a MAC address (xx:xx:xx:xx:xx:xx)");
                }

                mac = string.Join(':', Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2))).ToLowerInvariant();
            }

            int? pciSlot = int.TryParse(item.Config.GetValueOrDefault("slotInfo.pciSlotNumber"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s <= 65535 ? s : null;
            result.Add(new NetworkAdapter
            {
                Index = result.Count,
                VirtualDev = NicModel(ctx, item),
                NetworkName = item.Connections.FirstOrDefault(),
                ConnectionType = "bridged",
                AddressType = mac is null ? MacAddressType.None : MacAddressType.Static,
                MacAddress = mac,
                StartConnected = item.AutomaticAllocation ?? true,
                PciSlotNumber = pciSlot,
            });
        }

        return result;
    }

    private static CharDeviceKind CharKind(string? sub) => (sub ?? "").ToLowerInvariant() switch
    {
        "vmware.serialport.device" or "vmware.parallelport.device" => CharDeviceKind.HostDevice,
        "vmware.serialport.file" or "vmware.parallelport.file" => CharDeviceKind.File,
        "vmware.serialport.pipe" => CharDeviceKind.Pipe,
        "vmware.serialport.uri" => CharDeviceKind.Network,
        _ => CharDeviceKind.Unknown,
    };

    private static List<SerialPort> ReadSerialPorts(BuildContext ctx)
    {
        var result = new List<SerialPort>();
        foreach (var item in ctx.OfType(21))
        {
            if (result.Count == MaxSerial)
            {
                ctx.Skip(item, $"serial{result.Count}", $"VMware has {MaxSerial} serial ports at most");
                continue;
            }

            // The OVF does not carry the backing (host device, file, pipe): the port becomes a pty.
            result.Add(new SerialPort(result.Count, CharDeviceKind.Unknown, null, null, null, false, item.AutomaticAllocation ?? true));
            ctx.Log.Info($"serial{result.Count - 1} ({item.ResourceSubType ?? "no subtype"}): the OVF does not carry its backing; it becomes a pty", ctx.Envelope.Origin, item.Line);
        }

        return result;
    }

    private static List<ParallelPort> ReadParallelPorts(BuildContext ctx)
    {
        var result = new List<ParallelPort>();
        foreach (var item in ctx.OfType(22))
        {
            if (result.Count == MaxParallel)
            {
                ctx.Skip(item, $"parallel{result.Count}", $"VMware has {MaxParallel} parallel ports at most");
                continue;
            }

            result.Add(new ParallelPort(result.Count, CharKind(item.ResourceSubType) == CharDeviceKind.HostDevice ? CharDeviceKind.HostDevice : CharDeviceKind.Unknown, null, item.AutomaticAllocation ?? true));
        }

        return result;
    }

    private static Video? ReadVideo(BuildContext ctx)
    {
        var item = ctx.OfType(24).FirstOrDefault();
        if (item is null)
        {
            return null;
        }

        var vram = long.TryParse(item.Config.GetValueOrDefault("videoRamSizeInKB"), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is > 0 and <= 4L * 1024 * 1024 ? v : 4096;
        var displays = int.TryParse(item.Config.GetValueOrDefault("numDisplays"), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 1 and <= 16 ? d : 1;
        return new Video("svga", vram, displays, IsTrue(item.Config.GetValueOrDefault("enable3DSupport")));
    }

    private static Sound? ReadSound(BuildContext ctx)
    {
        Sound? result = null;
        foreach (var item in ctx.Envelope.Items.Where(i => i.ResourceType == 35
            || (i.ResourceType == 1 && (i.ResourceSubType ?? "").StartsWith("vmware.soundcard.", StringComparison.OrdinalIgnoreCase))))
        {
            ctx.Handled.Add(item);
            var sub = (item.ResourceSubType ?? "").ToLowerInvariant().Replace("vmware.soundcard.", "", StringComparison.Ordinal);
            var model = sub switch
            {
                "ensoniq1371" or "es1371" => "es1371",
                "hdaudio" or "hda" => "hdaudio",
                "sb16" => "sb16",
                "" => "es1371",
                var other => other,
            };
            result ??= new Sound(model);
        }

        foreach (var item in ctx.Envelope.Items.Where(i => i.ResourceType == 1 && (i.ResourceSubType ?? "").Equals("vmware.vmci", StringComparison.OrdinalIgnoreCase)))
        {
            ctx.Handled.Add(item);
            ctx.Log.Info($"{item.Describe()}: VMware's VMCI device has no KVM counterpart; not carried", ctx.Envelope.Origin, item.Line);
        }

        return result;
    }

    private static List<UsbController> ReadUsb(BuildContext ctx)
    {
        var result = new List<UsbController>();
        foreach (var item in ctx.OfType(23))
        {
            var sub = item.ResourceSubType ?? "";
            var kind = sub.Contains("xhci", StringComparison.OrdinalIgnoreCase) ? UsbKind.Xhci : sub.Contains("ehci", StringComparison.OrdinalIgnoreCase) ? UsbKind.Ehci : UsbKind.Uhci;
            if (!result.Any(u => u.Kind == kind))
            {
                result.Add(new UsbController(kind));
            }
        }

        return result;
    }
}
