using System.Xml.Linq;
using Serilog.Events;
using V2VConverter.Mapping.Plan;
using V2VConverter.Sources.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>Issue 13 point 6: OVF to domain XML golden pairs, Golden/ovf/NAME.ovf with NAME.xml, named by feature, each validated.</summary>
public class OvfGoldenTests
{
    private static string OvfDir => Path.Combine(GoldenSupport.GoldenDir, "ovf");

    public static TheoryData<string> OvfFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(OvfDir, "*.ovf").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(f));
        }

        return data;
    }

    private static (string Xml, ConversionPlan Plan, TestLog Log) Run(string name)
    {
        var log = new TestLog();
        var path = Path.Combine(OvfDir, name + ".ovf");
        var vm = OvfSource.Load(path, log.Logger);
        var (xml, plan) = GoldenSupport.Plan(vm, path, "{ovfdir}", null, useOutputDir: true, keepHostDevices: false, log.Logger);
        return (xml, plan, log);
    }

    [Theory]
    [MemberData(nameof(OvfFiles))]
    public void Ovf_file_matches_its_golden_xml_and_validates(string name)
    {
        var (xml, _, _) = Run(name);
        GoldenSupport.AssertGolden(xml, Path.Combine(OvfDir, name + ".xml"));
        XmlValidator.AssertValidDomain(xml, name);
    }

    [Fact]
    public void Vsphere_export_gets_efi_secure_boot_topology_mac_and_both_scsi_disks()
    {
        var (xml, plan, _) = Run("vsphere7-efi-secureboot-pvscsi");
        var doc = XDocument.Parse(xml);
        Assert.Equal("rhel9-app", doc.Root!.Element("name")!.Value);
        Assert.Equal("yes", doc.Root.Element("os")!.Element("loader")!.Attribute("secure")!.Value);
        Assert.Equal("8388608", doc.Root.Element("memory")!.Value);
        var topology = doc.Descendants("topology").Single();
        Assert.Equal("2", topology.Attribute("sockets")!.Value);
        Assert.Equal("2", topology.Attribute("cores")!.Value);
        Assert.Equal("00:50:56:9a:3c:11", doc.Descendants("interface").Single().Element("mac")!.Attribute("address")!.Value);
        Assert.Equal(["scsi0:0", "scsi1:0"], plan.Disks.Select(d => d.Source.Key));
        Assert.Equal([40L << 30, 100L << 30], plan.Disks.Select(d => d.Source.CapacityBytes ?? 0));
    }

    [Fact]
    public void Virtualbox_export_has_its_sata_disk_ide_cdrom_and_vbox_mac()
    {
        var (xml, plan, _) = Run("virtualbox-ahci-ubuntu");
        var doc = XDocument.Parse(xml);
        Assert.Equal("ubuntu22", doc.Root!.Element("name")!.Value);
        Assert.Equal("4194304", doc.Root.Element("memory")!.Value);
        Assert.Equal("sata0:0", plan.Disks.Single().Source.Key);
        Assert.Equal("08:00:27:a1:b2:c3", doc.Descendants("interface").Single().Element("mac")!.Attribute("address")!.Value);
        Assert.Equal("a7c9e5d2-41f3-4b8e-9a0d-2c6e8f1b3d45", doc.Root.Element("uuid")!.Value);
        Assert.Single(doc.Descendants("disk"), d => (string?)d.Attribute("device") == "cdrom");
    }

    [Fact]
    public void Unknown_resource_types_are_warnings_and_the_rest_converts()
    {
        var (xml, _, log) = Run("unknown-resourcetype-warning");
        foreach (var type in new[] { "25", "7", "99" })
        {
            Assert.Contains(log.Events, e => e.Level == LogEventLevel.Warning && e.Message.Contains($"ResourceType {type})", StringComparison.Ordinal) && e.Message.Contains("does not know", StringComparison.Ordinal));
        }

        Assert.Single(XDocument.Parse(xml).Descendants("interface"));
    }
}
