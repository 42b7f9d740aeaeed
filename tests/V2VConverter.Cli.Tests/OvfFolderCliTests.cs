using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>An unpacked OVF export (X.ovf with its disk beside it) goes through inspect, xml and convert like a .vmx, its manifest verified.</summary>
public sealed class OvfFolderCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ovf-folder");

    public OvfFolderCliTests() => File.Copy(Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk"), Path.Combine(_dir, "appliance-disk1.vmdk"));

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteOvf(string compression = "")
    {
        var ovf = Path.Combine(_dir, "appliance.ovf");
        File.WriteAllText(ovf, $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
                      xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
                      xmlns:vmw="http://www.vmware.com/schema/ovf">
              <References><File ovf:href="appliance-disk1.vmdk" ovf:id="file1"{compression}/></References>
              <DiskSection><Info>disks</Info>
                <Disk ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1" ovf:fileRef="file1"
                      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicSparse"/>
              </DiskSection>
              <NetworkSection><Info>networks</Info><Network ovf:name="VM Network"><Description>lan</Description></Network></NetworkSection>
              <VirtualSystem ovf:id="appliance">
                <Info>an appliance</Info>
                <Name>appliance</Name>
                <OperatingSystemSection ovf:id="96" vmw:osType="debian12_64Guest"><Info>os</Info></OperatingSystemSection>
                <VirtualHardwareSection><Info>hardware</Info>
                  <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-19</vssd:VirtualSystemType></System>
                  <Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits><rasd:ElementName>2 CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
                  <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>1024 MB</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
                  <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
                  <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard disk 1</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
                  <Item><rasd:Address>00:50:56:aa:bb:cc</rasd:Address><rasd:AddressOnParent>7</rasd:AddressOnParent><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
                </VirtualHardwareSection>
              </VirtualSystem>
            </Envelope>
            """);
        return ovf;
    }

    [Fact]
    public void Xml_and_convert_read_an_ovf_folder_like_a_vmx()
    {
        Tool.Require("qemu-img");
        var ovf = WriteOvf();
        var xml = CliRunner.Run(_dir, "xml", ovf);
        Assert.True(xml.ExitCode == 0, xml.Err);
        XmlValidator.AssertValidDomain(xml.Out, "xml X.ovf");
        var doc = XDocument.Parse(xml.Out);
        Assert.Equal("appliance", doc.Root!.Element("name")!.Value);
        Assert.Equal("00:50:56:aa:bb:cc", doc.Descendants("mac").Single().Attribute("address")!.Value);
        Assert.Contains("no manifest", xml.Err, StringComparison.Ordinal);

        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ovf, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", Path.Combine(_dir, "appliance-disk1.vmdk"), Path.Combine(outDir, "appliance-sda.qcow2")]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
        XmlValidator.AssertValidDomain(File.ReadAllText(Path.Combine(outDir, "appliance.xml")), "converted OVF");

        // A manifest beside it is verified: a wrong digest fails the conversion, naming both digests, and leaves nothing.
        var disk = Path.Combine(_dir, "appliance-disk1.vmdk");
        var good = OvaBuilder.Digest("SHA256", disk);
        File.WriteAllText(Path.Combine(_dir, "appliance.mf"), $"SHA256(appliance-disk1.vmdk)= {OvaBuilder.Flip(good)}\n");
        var badOut = Path.Combine(_dir, "out-bad");
        var bad = CliRunner.Run(_dir, "convert", ovf, "-o", "local", "-os", badOut, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, bad.ExitCode);
        var line = Assert.Single(bad.Err.Split('\n'), l => l.StartsWith("v2v: error:", StringComparison.Ordinal));
        Assert.Contains(good, line, StringComparison.Ordinal);
        Assert.Contains(OvaBuilder.Flip(good), line, StringComparison.Ordinal);
        Assert.DoesNotContain(Directory.EnumerateFiles(badOut), f => !f.EndsWith(".log.json", StringComparison.Ordinal));
    }

    [Fact]
    public void A_gzip_compressed_disk_in_a_folder_is_inflated_once_and_converted()
    {
        Tool.Require("qemu-img");
        Tool.Require("gzip");
        var disk = Path.Combine(_dir, "appliance-disk1.vmdk");
        Tool.Check("gzip", "-k", disk);
        File.Move(disk + ".gz", Path.Combine(_dir, "packed.gz"));
        var ovf = WriteOvf(" ovf:compression=\"gzip\"");
        File.WriteAllText(ovf, File.ReadAllText(ovf).Replace("ovf:href=\"appliance-disk1.vmdk\"", "ovf:href=\"packed.gz\"", StringComparison.Ordinal));
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ovf, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", disk, Path.Combine(outDir, "appliance-sda.qcow2")]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
    }
}
