using System.Globalization;
using Microsoft.Extensions.Configuration;
using Serilog;
using V2VConverter.Mapping.Rules;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Plan;

/// <summary>Turns the source model and the mapping rules into a <see cref="ConversionPlan"/>, logging every decision.</summary>
public sealed partial class Planner(IConfiguration rules, ILogger log, IReadOnlyList<string>? ruleFiles = null)
{
    private readonly List<Decision> _decisions = [];

    public ConversionPlan Plan(VirtualMachine vm, PlanOptions options)
    {
        _decisions.Clear();
        if (options.TargetName is { } targetName && targetName != vm.Name)
        {
            Decide("name", vm.Name, targetName, "batch plan");
            vm = vm with { Name = targetName };
        }

        var guest = vm.Guest;
        if (options.CompatibilityMode)
        {
            guest = guest with { HasVirtioDrivers = false };
            Decide("guest", "virtio drivers", "compatibility devices (SATA, e1000)", "option --no-guest-fixups");
        }
        else if (options.GuestFacts is { } facts0)
        {
            guest = guest with { HasVirtioDrivers = facts0.VirtioDriversInstalled };
            Decide(
                "guest",
                vm.Guest.HasVirtioDrivers ? "virtio drivers (guest OS catalog)" : "no virtio drivers (guest OS catalog)",
                facts0.VirtioDriversInstalled ? "virtio devices" : "compatibility devices (SATA, e1000)",
                $"guest converter {facts0.Converter}: {facts0.Reason}");
        }

        var facts = new RuleFacts(guest);
        var machine = Require("devices:machine", facts, "type", "machine");
        var machineType = machine.Value;
        Decide("machine", "VMware virtual hardware " + (vm.HardwareVersion > 0 ? vm.HardwareVersion.ToString(CultureInfo.InvariantCulture) : "?"), machineType, machine.Rule);

        var hypervisor = Require("devices:domain", facts, "type", "domain type");
        if (hypervisor.Value is not ("kvm" or "qemu"))
        {
            throw new InvalidDataException($"mapping rule {hypervisor.Rule}: domain type \"{hypervisor.Value}\" (expected kvm, or qemu for a host without KVM)");
        }

        Decide("domain", "VMware", hypervisor.Value, hypervisor.Rule);

        var firmware = PlanFirmware(vm);
        if (firmware.SecureBoot && machineType != "q35")
        {
            machineType = "q35";
            Decide("machine", machine.Value, "q35", "secure boot needs q35 with SMM");
        }

        var tuning = PlanTuning(vm);
        var cpu = Optional("devices:cpu", facts, "mode");
        (string? Value, string? Rule) cpuMode = tuning.Profile is not null && rules[$"tuning:profiles:{tuning.Profile}:cpuMode"] is { Length: > 0 } profileCpu
            ? (profileCpu, $"tuning.profiles#{tuning.Profile}")
            : cpu;
        if (cpuMode.Value is not null)
        {
            Decide("cpu", $"{vm.Cpu.VCpus} vCPU ({vm.Cpu.Sockets} socket(s) x {vm.Cpu.Cores} core(s))", $"{cpuMode.Value}, same topology", cpuMode.Rule);
        }

        var clock = Optional("devices:clock", facts, "offset");
        var outputFormat = (options.OutputFormat ?? rules["storage:format"] ?? "qcow2").ToLowerInvariant();
        if (outputFormat is not ("qcow2" or "raw"))
        {
            throw new InvalidDataException($"output format \"{outputFormat}\" is not qcow2 or raw");
        }

        // A guest converter may have installed drivers for only some virtio devices (Windows: what virtio-win had for it).
        var only = options.GuestFacts?.VirtioDevices;
        bool Has(params string[] devices) => only is null ? guest.HasVirtioDrivers : devices.Any(only.Contains);
        var diskFacts = facts with { Guest = guest with { HasVirtioDrivers = Has("block", "scsi") } };
        var nicFacts = facts with { Guest = guest with { HasVirtioDrivers = Has("net") } };
        var letters = new Dictionary<string, int>(StringComparer.Ordinal);
        var disks = PlanDisks(vm, diskFacts, options, outputFormat, letters, tuning);
        if (only is not null && only.Contains("scsi") && !only.Contains("block") && disks.Any(d => d.Bus == "virtio"))
        {
            letters.Remove("vd");
            disks = disks.Select(d => d.Bus != "virtio" ? d : d with { Bus = "scsi", TargetDev = NextTarget(letters, "scsi") }).ToList();
            Decide("disks", "virtio-blk", "virtio-scsi (one virtio-scsi controller)", $"guest converter {options.GuestFacts!.Converter}: vioscsi is the boot driver (--block-driver virtio-scsi)");
        }

        var cdroms = PlanCdRoms(vm, facts, letters, options);
        var floppies = PlanFloppies(vm, options);
        var nics = PlanNics(vm, nicFacts, options);
        var anyVirtio = disks.Any(d => d.Bus == "virtio" || d.Bus == "scsi") || nics.Any(n => n.Model == "virtio");
        var balloon = only is null ? anyVirtio : only.Contains("balloon");
        var rng = only is null ? anyVirtio : only.Contains("rng");
        if (only is not null)
        {
            Decide("memballoon", "(none)", balloon ? "virtio" : "none", $"guest converter {options.GuestFacts!.Converter}: {(balloon ? "balloon driver staged" : "no balloon driver")}");
            Decide("rng", "(none)", rng ? "virtio" : "none", $"guest converter {options.GuestFacts!.Converter}: {(rng ? "viorng driver staged" : "no viorng driver")}");
        }
        AssignBootOrder(vm, ref disks, ref cdroms, ref floppies, ref nics);
        var video = PlanVideo(vm, facts);
        (string? Value, string? Rule) sound = vm.Sound is null ? (null, null) : Optional("devices:sound", facts with { Source = vm.Sound.VirtualDev }, "model");
        if (sound.Value is not null)
        {
            Decide("sound", vm.Sound!.VirtualDev, sound.Value, sound.Rule);
        }

        var usb = new List<string>();
        foreach (var u in vm.UsbControllers)
        {
            var m = Optional("devices:usb", facts with { Source = u.Kind.ToString().ToLowerInvariant() }, "model");
            if (m.Value is not null && !usb.Contains(m.Value))
            {
                usb.Add(m.Value);
                Decide("usb", u.Kind.ToString().ToLowerInvariant(), m.Value, m.Rule);
            }
        }

        var agent = Optional("devices:guestAgent", facts, "enabled");
        var guestAgent = !string.Equals(agent.Value, "false", StringComparison.OrdinalIgnoreCase);
        if (guestAgent && options.GuestFacts?.GuestAgent == false)
        {
            guestAgent = false;
            Decide("channel", "(none)", "(none)", $"guest converter {options.GuestFacts.Converter}: no guest agent or virtio-serial driver installed");
        }
        else if (guestAgent)
        {
            Decide("channel", "(none)", "qemu-guest-agent virtio-serial channel", agent.Rule ?? "default");
        }

        if (vm.Tpm)
        {
            Decide("tpm", "vTPM", "TPM 2.0 (swtpm emulator, CRB)", "the source VM has a vTPM");
        }

        var windows = vm.Guest.Family == GuestFamily.Windows;
        // Windows Vista / Server 2008 and later use the Hyper-V enlightenments; XP and 2003 predate them; TCG does not offer them.
        var hyperv = windows && !guest.Legacy && hypervisor.Value == "kvm";
        if (windows)
        {
            Decide("features", "(VMware)", hyperv ? "Hyper-V enlightenments, hypervclock" : "no Hyper-V enlightenments", hyperv ? "libvirt's defaults for Windows" : guest.Legacy ? "XP/2003-era Windows predates them" : "rule devices.domain gives qemu (TCG)");
        }

        var storageDir = options.OutputDirectory ?? rules["storage:default:directory"] ?? "/var/lib/libvirt/images";
        return new ConversionPlan
        {
            Source = vm,
            Name = XmlText("displayName", vm.Name, vm.Origin, keepLineBreaks: false),
            Description = vm.Annotation is null ? null : XmlText("annotation", vm.Annotation, vm.Origin, keepLineBreaks: true),
            DomainType = hypervisor.Value,
            MachineType = machineType,
            Architecture = vm.Guest.Architecture switch
            {
                GuestArchitecture.X86_64 => "x86_64",
                GuestArchitecture.Aarch64 => "aarch64",
                _ => "i686",
            },
            CpuMode = cpuMode.Value,
            Firmware = firmware,
            ClockOffset = clock.Value ?? "utc",
            Disks = disks,
            CdRoms = cdroms,
            Floppies = floppies,
            Nics = nics,
            Serials = vm.SerialPorts.Select(s => PlanSerial(s, storageDir, options, vm.Origin)).OfType<CharDevPlan>().ToList(),
            Parallels = vm.ParallelPorts.Select(p => PlanParallel(p, storageDir, options, vm.Origin)).OfType<CharDevPlan>().ToList(),
            Video = video,
            SoundModel = sound.Value,
            UsbModels = usb,
            GuestAgent = guestAgent,
            Balloon = balloon,
            Rng = rng,
            Tpm = vm.Tpm,
            HyperV = hyperv,
            Tuning = tuning,
            Decisions = _decisions.ToList(),
            RuleFiles = ruleFiles ?? [],
        };
    }

    private void Decide(string subject, string from, string to, string? rule)
    {
        var d = new Decision(subject, from, to, rule ?? "default");
        _decisions.Add(d);
        log.Info(d.ToString());
    }

    private (string Value, string Rule) Require(string path, RuleFacts facts, string key, string what)
    {
        var (value, rule) = Optional(path, facts, key);
        return value is null
            ? throw new InvalidDataException($"mapping rules: no rule in {path.Replace(':', '.')} gives a {what} ({key}) for this guest")
            : (value, rule!);
    }

    private (string? Value, string? Rule) Optional(string path, RuleFacts facts, string key)
    {
        var m = new RuleSet(rules, path).Decide(facts);
        return m?.Get(key) is { Length: > 0 } v ? (v, m.Id) : (null, null);
    }

    /// <summary>The file name of a UEFI domain's own variable store: <c>NAME_VARS.fd</c>, as libvirt names the ones it makes.</summary>
    public static string VarsFileName(string vmName) => SafeFileName(vmName) + "_VARS.fd";

    private FirmwarePlan PlanFirmware(VirtualMachine vm)
    {
        if (vm.Firmware != Firmware.Efi)
        {
            Decide("firmware", "BIOS", "BIOS (SeaBIOS)", "firmware#bios");
            return new FirmwarePlan(false, false, null, null, null);
        }

        var section = vm.SecureBoot ? "firmware:efiSecure" : "firmware:efi";
        var loader = rules[$"{section}:loader"];
        var template = rules[$"{section}:nvramTemplate"];
        var nvramDir = rules["firmware:nvramDirectory"] ?? "/var/lib/libvirt/qemu/nvram";
        Decide("firmware", vm.SecureBoot ? "EFI, secure boot" : "EFI", $"OVMF {loader}", section.Replace(':', '#'));
        return new FirmwarePlan(true, vm.SecureBoot, loader, template, Path.Combine(nvramDir, VarsFileName(vm.Name)));
    }

    private TuningPlan PlanTuning(VirtualMachine vm)
    {
        var profile = rules["tuning:profile"];
        if (string.IsNullOrWhiteSpace(profile))
        {
            return new TuningPlan(null, false, null, null, null);
        }

        var section = rules.GetSection($"tuning:profiles:{profile}");
        if (!section.Exists())
        {
            var known = string.Join(", ", rules.GetSection("tuning:profiles").GetChildren().Select(c => c.Key));
            throw new InvalidDataException($"tuning profile \"{profile}\" is not defined (known profiles: {known})");
        }

        var rule = $"tuning.profiles#{profile}";
        var hugepages = bool.TryParse(section["hugepages"], out var h) && h;
        MemTunePlan? memtune = null;
        var hard = ReadLong(section, "memtune:hardLimitPercent", 1, 1000);
        var soft = ReadLong(section, "memtune:softLimitPercent", 1, 1000);
        if (hard is not null || soft is not null)
        {
            var kib = vm.MemoryMiB * 1024;
            memtune = new MemTunePlan(hard * kib / 100, soft * kib / 100);
            Decide("memtune", "(none)", $"hard {memtune.HardLimitKiB?.ToString(CultureInfo.InvariantCulture) ?? "-"} KiB, soft {memtune.SoftLimitKiB?.ToString(CultureInfo.InvariantCulture) ?? "-"} KiB", rule);
        }

        if (hugepages)
        {
            Decide("memory", $"{vm.MemoryMiB} MiB", "backed by hugepages", rule);
        }

        var weight = (int?)ReadLong(section, "blkioWeight", 100, 1000);
        if (weight is not null)
        {
            Decide("blkiotune", "(none)", $"weight {weight}", rule);
        }

        IoTunePlan? iotune = null;
        var io = section.GetSection("iotune");
        if (io.Exists())
        {
            iotune = new IoTunePlan(
                ReadLong(io, "totalBytesSec", 1, long.MaxValue),
                ReadLong(io, "totalIopsSec", 1, long.MaxValue),
                ReadLong(io, "readBytesSec", 1, long.MaxValue),
                ReadLong(io, "writeBytesSec", 1, long.MaxValue),
                ReadLong(io, "readIopsSec", 1, long.MaxValue),
                ReadLong(io, "writeIopsSec", 1, long.MaxValue));
        }

        return new TuningPlan(profile, hugepages, memtune, weight, iotune);
    }

    private static long? ReadLong(IConfiguration section, string key, long min, long max)
    {
        var v = section[key];
        if (string.IsNullOrWhiteSpace(v))
        {
            return null;
        }

        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            var path = section is IConfigurationSection s ? s.Path + ":" + key : key;
            throw new InvalidDataException($"mapping rules: {path.Replace(':', '.')} = \"{v}\" is not a whole number in {min}..{max}");
        }

        return n;
    }

    /// <summary>Longest <see cref="SafeFileName"/> in UTF-8 bytes: room for the suffixes (<c>-sdaa.qcow2</c>,
    /// <c>.YYYYMMDD-HHMMSS.log.json</c>) and a temporary name's <c>.v2v-tmp-PID-RANDOM</c> within NAME_MAX (255).</summary>
    public const int MaxFileNameBytes = 120;

    /// <summary>
    /// The VM name as a file name: no '/', NUL or control characters, not hidden, and at most
    /// <see cref="MaxFileNameBytes"/> UTF-8 bytes. A longer name is cut and ends with <c>~</c> and 8 hex digits of its
    /// SHA-256, so two long names that share a prefix still get different files. The domain XML keeps the full name.
    /// </summary>
    public static string SafeFileName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.Select(c => c == '/' || c == '\0' || char.IsControl(c) ? '_' : c).ToArray();
        var s = new string(chars).Trim();
        if (s.Length == 0 || s == "." || s == "..")
        {
            s = "vm";
        }

        s = s.StartsWith('.') ? "_" + s[1..] : s;
        if (System.Text.Encoding.UTF8.GetByteCount(s) <= MaxFileNameBytes)
        {
            return s;
        }

        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
        var budget = MaxFileNameBytes - hash.Length - 1;
        var cut = new System.Text.StringBuilder();
        var used = 0;
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(s);
        while (e.MoveNext())
        {
            var element = e.GetTextElement();
            var n = System.Text.Encoding.UTF8.GetByteCount(element);
            if (used + n > budget)
            {
                break;
            }

            cut.Append(element);
            used += n;
        }

        return $"{cut.ToString().TrimEnd()}~{hash}";
    }

    /// <summary>sd + a, b, ... z, aa, ab ... (the kernel's naming).</summary>
    public static string DriveLetters(int index)
    {
        var s = "";
        index++;
        while (index > 0)
        {
            index--;
            s = (char)('a' + (index % 26)) + s;
            index /= 26;
        }

        return s;
    }
}
