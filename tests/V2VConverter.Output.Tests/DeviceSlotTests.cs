using System.Xml.Linq;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>
/// Issue 11 point 14: every unit and controller index VMware allows is carried (pvscsi units 16-64, SATA 0-29,
/// NVMe 0-14...), and anything still dropped is a warning naming its key. Point 13: control characters in
/// displayName no longer stop the XML writer.
/// </summary>
public sealed class DeviceSlotTests
{
    private static (string Xml, V2VConverter.Mapping.Plan.ConversionPlan Plan, TestLog Log) Run(string name)
    {
        var log = new TestLog();
        var (xml, plan) = GoldenSupport.Convert(Path.Combine(GoldenSupport.GoldenDir, "own", name + ".vmx"), log: log);
        return (xml, plan, log);
    }

    [Fact]
    public void A_pvscsi_disk_on_unit_16_and_up_is_carried()
    {
        var (xml, plan, _) = Run("scsi-pvscsi-unit16");
        Assert.Equal(["scsi0:0", "scsi0:16", "scsi0:64", "nvme0:14"], plan.Disks.Select(d => d.Source.Key));
        Assert.Equal("sata0:29", plan.CdRoms.Single().Source.Key);
        Assert.Equal(9, plan.Nics.Single().Source.Index);
        Assert.Equal(4, XDocument.Parse(xml).Descendants("disk").Count(d => (string?)d.Attribute("device") == "disk"));
    }

    [Fact]
    public void A_unit_beyond_15_on_a_non_pvscsi_controller_is_carried_with_a_warning()
    {
        var (_, plan, log) = Run("scsi-lsilogic-unit16");
        Assert.Equal(["scsi1:0", "scsi1:16"], plan.Disks.Select(d => d.Source.Key));
        Assert.Contains(log.Warnings, w => w.Message.Contains("scsi1:16", StringComparison.Ordinal) && w.Message.Contains("lsilogic", StringComparison.Ordinal));
    }

    [Fact]
    public void Devices_outside_vmwares_slots_are_dropped_with_a_warning_naming_the_key()
    {
        var (_, plan, log) = Run("devices-out-of-range");
        Assert.Equal(["scsi0:0"], plan.Disks.Select(d => d.Source.Key));
        Assert.Equal([0], plan.Nics.Select(n => n.Source.Index));
        var warnings = log.Warnings.Select(w => w.Message).ToList();
        foreach (var key in new[] { "scsi0:7", "scsi0:65", "scsi99999:0", "sata0:30", "nvme4:0", "ide2:0", "ethernet10", "serial4", "floppy2" })
        {
            Assert.Contains(warnings, w => w.StartsWith(key + " ", StringComparison.Ordinal) && w.Contains("not carried", StringComparison.Ordinal));
        }

        Assert.Contains(plan.Source.SkippedDevices, s => s.Key == "scsi99999:0");
    }

    [Fact]
    public void Control_characters_in_displayName_and_annotation_are_replaced_with_a_warning()
    {
        var (xml, plan, log) = Run("displayname-control-chars");
        var doc = XDocument.Parse(xml);
        Assert.Equal("web_server__prod", doc.Root!.Element("name")!.Value);
        Assert.Equal("web_server__prod", plan.Name);
        Assert.Equal("built_by_hand\nline two", doc.Root.Element("description")!.Value);
        Assert.Contains(log.Warnings, w => w.Message.StartsWith("displayName", StringComparison.Ordinal) && w.Message.Contains("U+0001", StringComparison.Ordinal));
        Assert.Contains(log.Warnings, w => w.Message.StartsWith("annotation", StringComparison.Ordinal) && w.Message.Contains("U+0001", StringComparison.Ordinal));
        XmlValidator.AssertValidDomain(xml, "displayname-control-chars");
    }

    [Fact]
    public void Any_other_vmx_text_xml_cannot_hold_is_an_error_naming_the_value_not_the_xml_writers_message()
    {
        var dir = RepoPaths.NewTempDir("v2v-xmltext");
        try
        {
            var vmx = Path.Combine(dir, "vm.vmx");
            File.WriteAllText(vmx, "displayName = \"ok\"\nguestOS = \"ubuntu|01-64\"\nmemsize = \"512\"\n");
            var e = Assert.Throws<InvalidDataException>(() => GoldenSupport.Convert(vmx));
            Assert.Contains("guestOsId", e.Message, StringComparison.Ordinal);
            Assert.Contains("U+0001", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("hexadecimal", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
