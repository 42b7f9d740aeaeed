using System.Xml.Linq;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>Our own golden pairs, named by feature: Golden/own/NAME.vmx with NAME.xml.</summary>
public class OwnGoldenTests
{
    private static readonly Dictionary<string, (Dictionary<string, string?> Settings, bool UseOutputDir)> Settings = new()
    {
        ["ethernet-static-bridge"] = (new()
        {
            ["networks:rules:cli-1:match"] = "VM Network",
            ["networks:rules:cli-1:target"] = "bridge:br0",
            ["networks:rules:cli-1:priority"] = "1000000",
        }, true),
        ["multi-disk-tuning"] = (new()
        {
            ["tuning:profile"] = "noisy-neighbour",
            ["storage:default:pool"] = "fast-ssd",
        }, false),
    };

    public static TheoryData<string> OwnFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(GoldenSupport.GoldenDir, "own"), "*.vmx").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }

        return data;
    }

    private static (string Xml, V2VConverter.Mapping.Plan.ConversionPlan Plan) Run(string name)
    {
        var (settings, useDir) = Settings.TryGetValue(name, out var s) ? s : (new Dictionary<string, string?>(), true);
        // host-devices-kept.vmx is converted with --keep-host-devices; every other file with the safe default.
        return GoldenSupport.Convert(Path.Combine(GoldenSupport.GoldenDir, "own", name + ".vmx"), settings, useDir, keepHostDevices: name == "host-devices-kept");
    }

    [Theory]
    [MemberData(nameof(OwnFiles))]
    public void Own_file_matches_its_golden_xml_and_validates(string name)
    {
        var (xml, _) = Run(name);
        GoldenSupport.AssertGolden(xml, Path.Combine(GoldenSupport.GoldenDir, "own", name + ".xml"));
        XmlValidator.AssertValidDomain(xml, name);
    }

    [Fact]
    public void Static_and_vpx_macs_are_kept_and_bridge_mapping_applies()
    {
        var doc = XDocument.Parse(Run("ethernet-static-bridge").Xml);
        var nics = doc.Descendants("interface").ToList();
        Assert.Equal("00:50:56:3a:71:0c", nics[0].Element("mac")!.Attribute("address")!.Value);
        Assert.Equal("br0", nics[0].Element("source")!.Attribute("bridge")!.Value);
        Assert.Equal("virtio", nics[0].Element("model")!.Attribute("type")!.Value);
        Assert.Equal("00:50:56:91:00:01", nics[1].Element("mac")!.Attribute("address")!.Value);
        Assert.Equal("default", nics[1].Element("source")!.Attribute("network")!.Value);
        Assert.Equal("2", doc.Descendants("topology").Single().Attribute("sockets")!.Value);
        Assert.Equal("421f0c3e-1122-3344-5566-778899aabbcc", doc.Root!.Element("uuid")!.Value);
    }

    [Fact]
    public void Names_and_paths_with_xml_metacharacters_are_escaped()
    {
        var (xml, _) = Run("xml-escaping");
        var doc = XDocument.Parse(xml);
        Assert.Equal("a<b&\"c'", doc.Root!.Element("name")!.Value);
        Assert.Equal("x < y & \"quoted\"", doc.Root.Element("description")!.Value);
        Assert.Equal("/var/lib/libvirt/images/a<b&\"c'-sda.qcow2", doc.Descendants("disk").First().Element("source")!.Attribute("file")!.Value);
        Assert.Contains("a&lt;b&amp;\"c'", xml);
    }

    [Fact]
    public void Efi_secure_boot_windows_gets_ovmf_smm_q35_and_no_virtio()
    {
        var doc = XDocument.Parse(Run("efi-secureboot-windows").Xml);
        var os = doc.Root!.Element("os")!;
        Assert.Equal("q35", os.Element("type")!.Attribute("machine")!.Value);
        Assert.Equal("yes", os.Element("loader")!.Attribute("secure")!.Value);
        Assert.Contains("OVMF", os.Element("loader")!.Value);
        Assert.NotNull(doc.Root.Element("features")!.Element("smm"));
        Assert.Equal("localtime", doc.Root.Element("clock")!.Attribute("offset")!.Value);
        Assert.All(doc.Descendants("disk").Where(d => (string?)d.Attribute("device") == "disk"), d => Assert.Equal("sata", d.Element("target")!.Attribute("bus")!.Value));
        Assert.Equal("e1000", doc.Descendants("interface").Single().Element("model")!.Attribute("type")!.Value);
        // boot order: hdd, cdrom, ethernet0
        Assert.Equal("1", doc.Descendants("disk").First(d => (string?)d.Attribute("device") == "disk").Element("boot")!.Attribute("order")!.Value);
        Assert.Equal("2", doc.Descendants("disk").First(d => (string?)d.Attribute("device") == "cdrom").Element("boot")!.Attribute("order")!.Value);
        Assert.Equal("3", doc.Descendants("interface").Single().Element("boot")!.Attribute("order")!.Value);
    }

    [Fact]
    public void Tuning_profile_and_pool_storage_are_applied()
    {
        var (xml, plan) = Run("multi-disk-tuning");
        var doc = XDocument.Parse(xml);
        Assert.Equal(16384L * 1024 * 125 / 100, long.Parse(doc.Descendants("hard_limit").Single().Value));
        Assert.Equal("200", doc.Descendants("blkiotune").Single().Element("weight")!.Value);
        Assert.All(doc.Descendants("disk").Where(d => (string?)d.Attribute("device") == "disk"), d =>
        {
            Assert.Equal("volume", d.Attribute("type")!.Value);
            Assert.Equal("fast-ssd", d.Element("source")!.Attribute("pool")!.Value);
            Assert.Equal("104857600", d.Element("iotune")!.Element("total_bytes_sec")!.Value);
        });
        // deterministic targets: ide disk first, then scsi by controller and unit
        Assert.Equal(["ide0:0", "scsi0:0", "scsi1:0", "scsi1:1"], plan.Disks.Select(d => d.Source.Key));
        Assert.Equal(["vda", "vdb", "vdc", "vdd"], plan.Disks.Select(d => d.TargetDev));
        Assert.Equal(["db01-sda.qcow2", "db01-sdb.qcow2", "db01-sdc.qcow2", "db01-sdd.qcow2"], plan.Disks.Select(d => d.OutputFileName));
        Assert.Contains(plan.Decisions, d => d.Rule == "tuning.profiles#noisy-neighbour");
    }

    [Fact]
    public void Legacy_os_gets_i440fx_ide_and_rtl8139()
    {
        var doc = XDocument.Parse(Run("legacy-winxp").Xml);
        Assert.Equal("pc", doc.Root!.Element("os")!.Element("type")!.Attribute("machine")!.Value);
        Assert.Equal("ide", doc.Descendants("disk").First().Element("target")!.Attribute("bus")!.Value);
        Assert.Equal("hda", doc.Descendants("disk").First().Element("target")!.Attribute("dev")!.Value);
        Assert.Equal("rtl8139", doc.Descendants("interface").Single().Element("model")!.Attribute("type")!.Value);
        // serial0 is a pipe (a UNIX socket on the KVM host): dropped by default, so the serial port is the added pty;
        // parallel0 writes a file: it becomes a pty.
        Assert.Equal("pty", doc.Descendants("serial").Single().Attribute("type")!.Value);
        Assert.Equal("pty", doc.Descendants("parallel").Single().Attribute("type")!.Value);
        Assert.Equal("ac97", doc.Descendants("sound").Single().Attribute("model")!.Value);
    }
}
