using System.Xml.Linq;
using V2VConverter.Model.Vm;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>
/// Every .vmx in ../shared/corpus/libvirt-vmx: our XML is a golden pair, validates against libvirt's
/// schema, and agrees with the XML libvirt's own VMX driver produced on MACs, memory, vCPUs, disks,
/// CD-ROMs, floppies and uuid.
/// </summary>
public class CorpusGoldenTests
{
    private static string? CorpusDir => RepoPaths.Shared is { } s ? Path.Combine(s, "corpus", "libvirt-vmx") : null;

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        if (CorpusDir is { } dir && Directory.Exists(dir))
        {
            foreach (var f in Directory.GetFiles(dir, "*.vmx").Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(f));
            }
        }
        else
        {
            data.Add("(corpus absent)");
        }

        return data;
    }

    private static string RequireCorpus(string name)
    {
        if (CorpusDir is null || !Directory.Exists(CorpusDir))
        {
            Assert.Skip("../shared/corpus/libvirt-vmx is not present; corpus golden tests skipped");
        }

        return Path.Combine(CorpusDir!, name);
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_file_matches_its_golden_xml_and_validates(string name)
    {
        var vmx = RequireCorpus(name);
        var (xml, _) = GoldenSupport.Convert(vmx);
        GoldenSupport.AssertGolden(xml, Path.Combine(GoldenSupport.GoldenDir, "corpus", Path.ChangeExtension(name, ".xml")));
        XmlValidator.AssertValidDomain(xml, name);
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_file_agrees_with_libvirts_vmx_driver(string name)
    {
        var vmx = RequireCorpus(name);
        var libvirtXml = Path.ChangeExtension(vmx, ".xml");
        if (!File.Exists(libvirtXml))
        {
            // libvirt refuses these files (the two *-missing-* cases); we list the disk with a warning instead.
            var (_, p) = GoldenSupport.Convert(vmx);
            Assert.NotEmpty(p.Source.Disks);
            return;
        }

        var expected = XDocument.Load(libvirtXml).Root!;
        var (ourXml, plan) = GoldenSupport.Convert(vmx);
        var ours = XDocument.Parse(ourXml).Root!;
        var vm = plan.Source;

        // uuid (libvirt prints zeros when the VMX has none)
        var uuid = expected.Element("uuid")?.Value;
        if (uuid is not null && uuid != "00000000-0000-0000-0000-000000000000")
        {
            Assert.Equal(uuid, vm.Uuid?.ToString("D"));
            Assert.Equal(uuid, ours.Element("uuid")?.Value);
        }

        Assert.Equal(expected.Element("memory")!.Value, ours.Element("memory")!.Value);
        Assert.Equal(expected.Element("vcpu")!.Value, ours.Element("vcpu")!.Value);

        var theirMacs = expected.Descendants("interface").Select(i => i.Element("mac")?.Attribute("address")?.Value?.ToLowerInvariant()).ToList();
        var ourMacs = ours.Descendants("interface").Select(i => i.Element("mac")?.Attribute("address")?.Value).ToList();
        Assert.Equal(theirMacs, ourMacs);

        int Count(XElement root, string device) => root.Element("devices")!.Elements("disk").Count(d => (string?)d.Attribute("device") == device);
        Assert.Equal(Count(expected, "disk"), Count(ours, "disk"));
        Assert.Equal(Count(expected, "cdrom"), Count(ours, "cdrom"));
        Assert.Equal(Count(expected, "floppy"), Count(ours, "floppy"));
        Assert.Equal(Count(expected, "disk"), vm.Disks.Count);
        Assert.Equal(Count(expected, "cdrom"), vm.CdRoms.Count);
        Assert.Equal(Count(expected, "floppy"), vm.Floppies.Count);

        // Static MACs are kept, which virt-v2v does not do.
        foreach (var nic in vm.Nics.Where(n => n.AddressType == MacAddressType.Static))
        {
            Assert.Contains(nic.MacAddress, ourMacs);
        }
    }
}
