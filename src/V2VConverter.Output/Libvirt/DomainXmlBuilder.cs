using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using V2VConverter.Mapping.Plan;
using V2VConverter.Output.Templates;

namespace V2VConverter.Output.Libvirt;

/// <summary>Builds the libvirt KVM domain XML for a <see cref="ConversionPlan"/> from the templates.</summary>
public sealed class DomainXmlBuilder(TemplateSet? templates = null)
{
    private readonly TemplateSet _templates = templates ?? TemplateSet.Embedded;

    public XDocument Build(ConversionPlan plan)
    {
        var vm = plan.Source;
        var t = plan.Tuning;
        var values = new Dictionary<string, string?>
        {
            ["name"] = plan.Name,
            ["uuid"] = vm.Uuid?.ToString("D"),
            ["description"] = plan.Description,
            ["origin"] = vm.Origin ?? "",
            ["guestOsId"] = vm.Guest.VmxId,
            ["guestOs"] = vm.Guest.Description,
            ["tuningProfile"] = t.Profile,
            ["memoryKiB"] = Num(vm.MemoryMiB * 1024),
            ["hugepages"] = t.Hugepages ? "true" : null,
            ["memtune"] = t.MemTune is null ? null : "true",
            ["memHardKiB"] = t.MemTune?.HardLimitKiB is { } h ? Num(h) : null,
            ["memSoftKiB"] = t.MemTune?.SoftLimitKiB is { } s ? Num(s) : null,
            ["blkioWeight"] = t.BlkioWeight is { } w ? Num(w) : null,
            ["vcpus"] = Num(vm.Cpu.VCpus),
            ["sockets"] = Num(vm.Cpu.Sockets),
            ["cores"] = Num(vm.Cpu.Cores),
            ["cpuMode"] = plan.CpuMode,
            ["arch"] = plan.Architecture,
            ["domainType"] = plan.DomainType,
            ["machine"] = plan.MachineType,
            ["efi"] = plan.Firmware.Efi ? "true" : null,
            ["loaderSecure"] = plan.Firmware.Efi ? (plan.Firmware.SecureBoot ? "yes" : "no") : null,
            ["loader"] = plan.Firmware.Loader,
            ["nvramTemplate"] = plan.Firmware.NvramTemplate,
            ["nvram"] = plan.Firmware.NvramPath,
            ["secureBoot"] = plan.Firmware.SecureBoot ? "true" : null,
            ["hyperv"] = plan.HyperV ? "true" : null,
            ["clockOffset"] = plan.ClockOffset,
        };

        var domain = _templates.Get("domain.xml").Render(values);
        var marker = domain.Descendants("v2v-devices").SingleOrDefault()
            ?? throw new InvalidDataException("template domain.xml: no <v2v-devices/> marker inside <devices>");
        marker.ReplaceWith(Devices(plan).ToArray());
        return new XDocument(new XDeclaration("1.0", "utf-8", null), domain);
    }

    /// <summary>The XML as text: two-space indentation, a final newline, no XML declaration (like virsh dumpxml).</summary>
    public string BuildString(ConversionPlan plan)
    {
        var doc = Build(plan);
        var sb = new StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = true, NewLineChars = "\n" }))
        {
            doc.Root!.WriteTo(w);
        }

        return sb.Append('\n').ToString();
    }

    private IEnumerable<XElement> Devices(ConversionPlan plan)
    {
        if (plan.VirtioScsi)
        {
            yield return Render("devices/controller-virtio-scsi.xml", []);
        }

        foreach (var d in plan.Disks)
        {
            var io = d.IoTune;
            yield return Render("devices/disk.xml", new()
            {
                ["diskType"] = d.StorageKind == StorageKind.Pool ? "volume" : "file",
                ["format"] = d.Format,
                ["file"] = d.StorageKind == StorageKind.Directory ? d.OutputPath : null,
                ["pool"] = d.StorageKind == StorageKind.Pool ? d.StorageTarget : null,
                ["volume"] = d.StorageKind == StorageKind.Pool ? d.OutputFileName : null,
                ["dev"] = d.TargetDev,
                ["bus"] = d.Bus,
                ["iotune"] = io is null ? null : "true",
                ["ioTotalBytesSec"] = Opt(io?.TotalBytesSec),
                ["ioReadBytesSec"] = Opt(io?.ReadBytesSec),
                ["ioWriteBytesSec"] = Opt(io?.WriteBytesSec),
                ["ioTotalIopsSec"] = Opt(io?.TotalIopsSec),
                ["ioReadIopsSec"] = Opt(io?.ReadIopsSec),
                ["ioWriteIopsSec"] = Opt(io?.WriteIopsSec),
                ["boot"] = Opt(d.BootOrder),
            });
        }

        foreach (var c in plan.CdRoms)
        {
            yield return Render("devices/cdrom.xml", new()
            {
                ["file"] = c.SourceFile,
                ["dev"] = c.TargetDev,
                ["bus"] = c.Bus,
                ["boot"] = Opt(c.BootOrder),
            });
        }

        foreach (var f in plan.Floppies)
        {
            yield return Render("devices/floppy.xml", new()
            {
                ["file"] = f.SourceFile,
                ["dev"] = f.TargetDev,
                ["boot"] = Opt(f.BootOrder),
            });
        }

        foreach (var usb in plan.UsbModels)
        {
            yield return Render("devices/usb.xml", new() { ["model"] = usb });
        }

        if (plan.UsbModels.Count == 0)
        {
            yield return Render("devices/usb.xml", new() { ["model"] = "none" });
        }

        foreach (var n in plan.Nics)
        {
            yield return Render("devices/interface.xml", new()
            {
                ["type"] = n.TargetKind == NetworkTargetKind.Bridge ? "bridge" : "network",
                ["mac"] = n.Source.MacAddress,
                ["bridge"] = n.TargetKind == NetworkTargetKind.Bridge ? n.TargetName : null,
                ["network"] = n.TargetKind == NetworkTargetKind.Network ? n.TargetName : null,
                ["model"] = n.Model,
                ["linkDown"] = n.Source.StartConnected ? null : "true",
                ["boot"] = Opt(n.BootOrder),
            });
        }

        foreach (var s in plan.Serials)
        {
            yield return CharDev("devices/serial.xml", s);
        }

        if (plan.Serials.Count == 0)
        {
            yield return CharDev("devices/serial.xml", new CharDevPlan("serial", 0, "pty", null, null, null, null, null, "(added)"));
        }

        yield return Render("devices/console.xml", []);
        foreach (var p in plan.Parallels)
        {
            yield return CharDev("devices/parallel.xml", p);
        }

        if (plan.GuestAgent)
        {
            yield return Render("devices/guest-agent.xml", []);
        }

        if (plan.UsbModels.Count > 0)
        {
            yield return Render("devices/input-tablet.xml", []);
        }

        yield return Render("devices/graphics.xml", new() { ["port"] = "-1", ["autoport"] = "yes" });
        if (plan.SoundModel is not null)
        {
            yield return Render("devices/sound.xml", new() { ["model"] = plan.SoundModel });
        }

        yield return Render("devices/video.xml", new()
        {
            ["model"] = plan.Video.Model,
            ["vram"] = plan.Video.Model is "vga" or "qxl" or "vmvga" or "cirrus" ? Num(plan.Video.VramKiB) : null,
            ["heads"] = Num(plan.Video.Heads),
        });
        if (plan.Tpm)
        {
            yield return Render("devices/tpm.xml", []);
        }

        yield return Render("devices/memballoon.xml", new() { ["model"] = plan.Balloon ? "virtio" : "none" });
        if (plan.Rng)
        {
            yield return Render("devices/rng.xml", []);
        }

    }

    private XElement CharDev(string template, CharDevPlan c) => Render(template, new()
    {
        ["type"] = c.Type,
        ["path"] = c.Path,
        ["mode"] = c.Mode,
        ["host"] = c.Host,
        ["service"] = c.Service,
        ["protocol"] = c.Protocol,
        ["index"] = Num(c.Index),
    });

    private XElement Render(string name, Dictionary<string, string?> values) => _templates.Get(name).Render(values);

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string? Opt(long? n) => n is null ? null : Num(n.Value);
}
