using System.Globalization;
using V2VConverter.Mapping.Rules;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Plan;

public sealed partial class Planner
{
    private static readonly string[] DefaultBootOrder = ["hdd", "cdrom", "floppy"];

    private static int BusRank(DiskBus b) => b switch
    {
        DiskBus.Ide => 0,
        DiskBus.Scsi => 1,
        DiskBus.Sata => 2,
        DiskBus.Nvme => 3,
        _ => 4,
    };

    private static string Prefix(string bus) => bus switch
    {
        "virtio" => "vd",
        "ide" => "hd",
        "fdc" => "fd",
        _ => "sd",
    };

    private static string NextTarget(Dictionary<string, int> letters, string bus)
    {
        var prefix = Prefix(bus);
        letters.TryGetValue(prefix, out var n);
        letters[prefix] = n + 1;
        return prefix + DriveLetters(n);
    }

    /// <summary>Disks in a deterministic order: bios.hddOrder first, then bus (ide, scsi, sata, nvme), controller, unit.</summary>
    private List<DiskPlan> PlanDisks(VirtualMachine vm, RuleFacts facts, PlanOptions options, string format, Dictionary<string, int> letters, TuningPlan tuning)
    {
        var ordered = vm.Disks.OrderBy(d => BusRank(d.Bus)).ThenBy(d => d.Controller).ThenBy(d => d.Unit).ToList();
        var result = new List<DiskPlan>();
        var extension = format == "qcow2" ? ".qcow2" : ".raw";
        for (var i = 0; i < ordered.Count; i++)
        {
            var d = ordered[i];
            var bus = Require("devices:disk", facts with { Source = d.Bus.ToString().ToLowerInvariant() }, "bus", "disk bus");
            var target = NextTarget(letters, bus.Value);
            var fileName = $"{SafeFileName(vm.Name)}-sd{DriveLetters(i)}{extension}";
            Decide(d.Key, $"{d.Bus.ToString().ToLowerInvariant()} {d.FileName}", $"{bus.Value} {target}", bus.Rule);

            var (kind, storageTarget, storageRule) = PlanStorage(d, options);
            Decide(d.Key + " storage", d.Datastore is null ? "(local)" : $"[{d.Datastore}]", kind == StorageKind.Pool ? $"pool {storageTarget}" : Path.Combine(storageTarget, fileName), storageRule);
            result.Add(new DiskPlan(d, target, bus.Value, format, fileName, kind, storageTarget, null, tuning.IoTune));
        }

        return result;
    }

    private (StorageKind Kind, string Target, string Rule) PlanStorage(VirtualDisk d, PlanOptions options)
    {
        if (options.DiskStorage is { } chosen && chosen.TryGetValue(d.Key, out var storage) && storage.Length > 0)
        {
            return (options.OutputPool is null ? StorageKind.Directory : StorageKind.Pool, storage, "batch plan");
        }

        if (options.OutputDirectory is not null)
        {
            return (StorageKind.Directory, options.OutputDirectory, "option -os");
        }

        var m = new RuleSet(rules, "storage").Decide(new RuleFacts(GuestOs.Unknown("", GuestArchitecture.X86_64), Name: d.Datastore ?? ""));
        if (options.OutputPool is not null)
        {
            // Volumes only: a datastore's pool rule wins, anything else goes to -os POOL.
            return m?.Get("pool") is { Length: > 0 } rulePool ? (StorageKind.Pool, rulePool, m.Id) : (StorageKind.Pool, options.OutputPool, "option -os");
        }

        if (m is not null)
        {
            if (m.Get("pool") is { Length: > 0 } pool)
            {
                return (StorageKind.Pool, pool, m.Id);
            }

            if (m.Get("directory") is { Length: > 0 } dir)
            {
                return (StorageKind.Directory, dir, m.Id);
            }
        }

        if (rules["storage:default:pool"] is { Length: > 0 } defPool)
        {
            return (StorageKind.Pool, defPool, "storage#default");
        }

        return (StorageKind.Directory, rules["storage:default:directory"] ?? "/var/lib/libvirt/images", "storage#default");
    }

    private List<CdRomPlan> PlanCdRoms(VirtualMachine vm, RuleFacts facts, Dictionary<string, int> letters, PlanOptions options)
    {
        var result = new List<CdRomPlan>();
        foreach (var c in vm.CdRoms.OrderBy(c => BusRank(c.Bus)).ThenBy(c => c.Controller).ThenBy(c => c.Unit))
        {
            var bus = Require("devices:cdrom", facts, "bus", "CD-ROM bus");
            var target = NextTarget(letters, bus.Value);
            var sourceFile = c.Kind == MediaKind.Image && c.ImageIsLocal ? ConfineImage(vm, c.Key, c.FileName, c.ResolvedPath, options) : null;
            var media = c.Kind switch
            {
                MediaKind.Image => sourceFile is null ? $"ISO {c.FileName} (not local, or outside the VM folder: empty drive)" : $"ISO {sourceFile}",
                MediaKind.HostDevice => "host drive (empty drive)",
                _ => "empty",
            };
            Decide(c.Key, $"cdrom {c.Kind.ToString().ToLowerInvariant()} {c.FileName}".TrimEnd(), $"{bus.Value} {target}, {media}", bus.Rule);
            result.Add(new CdRomPlan(c, target, bus.Value, sourceFile, null));
        }

        return result;
    }

    private List<FloppyPlan> PlanFloppies(VirtualMachine vm, PlanOptions options)
    {
        var result = new List<FloppyPlan>();
        var n = 0;
        foreach (var f in vm.Floppies)
        {
            var target = "fd" + DriveLetters(n++);
            var sourceFile = f.Kind == MediaKind.Image && f.ImageIsLocal ? ConfineImage(vm, $"floppy{f.Index}", f.FileName, f.ResolvedPath, options) : null;
            Decide($"floppy{f.Index}", $"floppy {f.Kind.ToString().ToLowerInvariant()} {f.FileName}".TrimEnd(), $"fdc {target}{(sourceFile is null ? ", empty" : ", " + sourceFile)}", "floppy#default");
            result.Add(new FloppyPlan(f, target, sourceFile, null));
        }

        return result;
    }

    private List<NicPlan> PlanNics(VirtualMachine vm, RuleFacts facts, PlanOptions options)
    {
        var result = new List<NicPlan>();
        foreach (var n in vm.Nics)
        {
            var model = Require("devices:nic", facts with { Source = n.VirtualDev }, "model", "NIC model");
            var sourceName = n.NetworkName ?? n.PortGroupKey ?? n.Vnet ?? n.ConnectionType;
            var net = new RuleSet(rules, "networks").Decide(facts with { Name = sourceName, ConnectionType = n.ConnectionType, Source = n.VirtualDev });
            var (targetText, netRule) = options.NicTargets is { } chosen && chosen.TryGetValue(n.Index, out var planned) ? (planned, "batch plan")
                : net?.Get("target") is { Length: > 0 } t ? (t, net.Id) : (rules["networks:default"] ?? "network:default", "networks#default");
            var (kind, name) = ParseNetworkTarget(targetText, netRule);
            var mac = n.MacAddress ?? "(new MAC)";
            Decide($"ethernet{n.Index}", $"{n.VirtualDev} {mac} on \"{sourceName}\"", $"{model.Value} {mac}", model.Rule);
            Decide($"ethernet{n.Index} network", $"\"{sourceName}\"", $"{kind.ToString().ToLowerInvariant()} {name}", netRule);
            result.Add(new NicPlan(n, model.Value, kind, name, null));
        }

        return result;
    }

    private static (NetworkTargetKind, string) ParseNetworkTarget(string text, string rule)
    {
        var colon = text.IndexOf(':');
        var kind = colon < 0 ? "" : text[..colon].Trim().ToLowerInvariant();
        var name = colon < 0 ? "" : text[(colon + 1)..].Trim();
        return kind switch
        {
            "bridge" when name.Length > 0 => (NetworkTargetKind.Bridge, name),
            "network" when name.Length > 0 => (NetworkTargetKind.Network, name),
            _ => throw new InvalidDataException($"mapping rule {rule}: target \"{text}\" is not bridge:NAME or network:NAME"),
        };
    }

    private VideoPlan PlanVideo(VirtualMachine vm, RuleFacts facts)
    {
        var source = vm.Video ?? new Video("svga", 4096, 1, false);
        var model = Require("devices:video", facts with { Source = source.Model }, "model", "video model");
        // VGA and QXL need room for a usable resolution; never shrink what the VM had.
        var vram = model.Value is "vga" or "qxl" ? Math.Max(source.VramKiB, 16384) : source.VramKiB;
        var heads = model.Value is "qxl" or "virtio" ? source.Displays : 1;
        Decide("video", $"{source.Model} {source.VramKiB} KiB, {source.Displays} display(s)", $"{model.Value} {vram} KiB, {heads} head(s)", model.Rule);
        return new VideoPlan(model.Value, vram, heads);
    }

    private void AssignBootOrder(VirtualMachine vm, ref List<DiskPlan> disks, ref List<CdRomPlan> cdroms, ref List<FloppyPlan> floppies, ref List<NicPlan> nics)
    {
        var order = vm.BootOrder.Count > 0 ? vm.BootOrder : DefaultBootOrder;
        var next = 1;
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in order)
        {
            if (!used.Add(entry))
            {
                continue;
            }

            switch (entry)
            {
                case "hdd":
                    disks = disks.Select(d => d with { BootOrder = next++ }).ToList();
                    break;
                case "cdrom":
                    cdroms = cdroms.Select(c => c with { BootOrder = next++ }).ToList();
                    break;
                case "floppy":
                    floppies = floppies.Select(f => f with { BootOrder = next++ }).ToList();
                    break;
                default:
                    if (entry.StartsWith("ethernet", StringComparison.Ordinal) && int.TryParse(entry.AsSpan(8), NumberStyles.Integer, CultureInfo.InvariantCulture, out var idx))
                    {
                        var boot = next++;
                        nics = nics.Select(n => n.Source.Index == idx ? n with { BootOrder = boot } : n).ToList();
                    }
                    else
                    {
                        log.Warn($"bios.bootOrder entry \"{entry}\" is unknown and ignored", vm.Origin);
                    }

                    break;
            }
        }

        Decide("boot order", vm.BootOrder.Count > 0 ? string.Join(",", vm.BootOrder) : "(VMware default)", string.Join(",", order), vm.BootOrder.Count > 0 ? "bios.bootOrder" : "boot#default");
    }

    private CharDevPlan? PlanSerial(SerialPort s, string storageDir, PlanOptions options, string? origin)
    {
        var subject = $"serial{s.Index}";
        var plan = ConfineCharDev(PlanCharDev("serial", s.Index, s.Kind, s.Target, s.PipeEnd, s.NetworkDirection, storageDir, options.KeepHostDevices), subject, s.Kind, s.Target, options, origin);
        var from = $"{s.Kind.ToString().ToLowerInvariant()} {s.Target}".TrimEnd();
        if (plan is null)
        {
            Decide(subject, from, "not carried", HostDeviceSafetyRule);
            return null;
        }

        Decide(subject, from, $"{plan.Type} {plan.Path ?? plan.Host + ":" + plan.Service}".TrimEnd(':', ' '), "serial#" + plan.Type);
        return plan;
    }

    private CharDevPlan? PlanParallel(ParallelPort p, string storageDir, PlanOptions options, string? origin)
    {
        var subject = $"parallel{p.Index}";
        var kind = p.Kind is CharDeviceKind.HostDevice or CharDeviceKind.File ? p.Kind : CharDeviceKind.Unknown;
        var plan = ConfineCharDev(PlanCharDev("parallel", p.Index, kind, p.Target, null, null, storageDir, options.KeepHostDevices), subject, p.Kind, p.Target, options, origin);
        var from = $"{p.Kind.ToString().ToLowerInvariant()} {p.Target}".TrimEnd();
        if (plan is null)
        {
            Decide(subject, from, "not carried", HostDeviceSafetyRule);
            return null;
        }

        Decide(subject, from, $"{plan.Type} {plan.Path}".TrimEnd(), "parallel#" + plan.Type);
        return plan;
    }

    private CharDevPlan PlanCharDev(string kind, int index, CharDeviceKind source, string? target, string? pipeEnd, string? direction, string storageDir, bool keepHostDevices)
    {
        var desc = $"{source} {target}".Trim();
        switch (source)
        {
            case CharDeviceKind.HostDevice when !string.IsNullOrEmpty(target) && target.StartsWith('/'):
                return new CharDevPlan(kind, index, "dev", target, null, null, null, null, desc);
            case CharDeviceKind.File when !string.IsNullOrEmpty(target):
                var path = Path.IsPathRooted(target) && target.StartsWith('/') ? target : Path.Combine(storageDir, Path.GetFileName(target.Replace('\\', '/')));
                return new CharDevPlan(kind, index, "file", path, null, null, null, null, desc);
            case CharDeviceKind.Pipe when !string.IsNullOrEmpty(target):
                var sock = target.StartsWith('/') ? target : Path.Combine("/var/lib/libvirt/qemu", SafeFileName(target.Replace('\\', '/').Split('/').Last()) + ".sock");
                if (!target.StartsWith('/') && keepHostDevices)
                {
                    log.Warn($"{kind}{index}: VMware pipe \"{target}\" becomes the UNIX socket {sock}");
                }

                return new CharDevPlan(kind, index, "unix", sock, pipeEnd == "client" ? "connect" : "bind", null, null, null, desc);
            case CharDeviceKind.Network when !string.IsNullOrEmpty(target):
                if (TryParseNetworkSerial(target, out var scheme, out var host, out var port))
                {
                    var mode = direction == "client" ? "connect" : "bind";
                    if (mode == "bind" && string.IsNullOrEmpty(host))
                    {
                        host = "0.0.0.0";
                    }

                    return scheme switch
                    {
                        "udp" => new CharDevPlan(kind, index, "udp", null, "connect", host, port, null, desc),
                        "telnet" => new CharDevPlan(kind, index, "tcp", null, mode, host, port, "telnet", desc),
                        "telnets" or "ssl" or "tls" => new CharDevPlan(kind, index, "tcp", null, mode, host, port, "tls", desc),
                        _ => new CharDevPlan(kind, index, "tcp", null, mode, host, port, "raw", desc),
                    };
                }

                log.Warn($"{kind}{index}: network backing \"{target}\" is not understood; the port becomes a pty");
                break;
            case CharDeviceKind.Thinprint:
                log.Warn($"{kind}{index}: ThinPrint has no KVM equivalent; the port becomes a pty");
                break;
        }

        return new CharDevPlan(kind, index, "pty", null, null, null, null, null, desc);
    }

    private static bool TryParseNetworkSerial(string uri, out string scheme, out string host, out string port)
    {
        scheme = host = port = "";
        var sep = uri.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
        {
            return false;
        }

        scheme = uri[..sep].ToLowerInvariant();
        var rest = uri[(sep + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        host = rest[..colon].Trim('[', ']');
        port = rest[(colon + 1)..];
        if (host.Contains('@'))
        {
            host = host[(host.IndexOf('@') + 1)..];
        }

        return port.Length > 0 && port.All(char.IsAsciiDigit) && scheme is "tcp" or "tcp4" or "tcp6" or "telnet" or "telnets" or "ssl" or "tls" or "udp";
    }
}
