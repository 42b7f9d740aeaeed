using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.Ova;

/// <summary>The OVF fixtures: the golden ones (shared with the Output tests) and a small builder for bad cases.</summary>
internal static class OvfTestDocuments
{
    public static string GoldenDir => Path.Combine(RepoPaths.Root, "tests", "V2VConverter.Output.Tests", "Golden", "ovf");

    public static string Golden(string name) => Path.Combine(GoldenDir, name + ".ovf");

    public const string Cpu = "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>";

    public const string Memory = "<Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>";

    public const string Scsi = "<Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>";

    public static string DiskItem(string hostResource, string unit = "0") =>
        $"<Item><rasd:AddressOnParent>{unit}</rasd:AddressOnParent><rasd:HostResource>{hostResource}</rasd:HostResource><rasd:InstanceID>1{unit}</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>";

    /// <summary>An OVF 1.0 envelope with one disk "d1" in file "f1" (<paramref name="href"/>), plus extra items.</summary>
    public static string Envelope(string href = "disk1.vmdk", string items = "", string prolog = "", string fileAttributes = "", string? diskItems = null, string ns = "http://schemas.dmtf.org/ovf/envelope/1") =>
        $"""
        <?xml version="1.0" encoding="UTF-8"?>
        {prolog}
        <Envelope xmlns="{ns}" xmlns:ovf="{ns}" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
          <References><File ovf:href="{href}" ovf:id="f1" {fileAttributes}/></References>
          <DiskSection><Info>disks</Info><Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="d1" ovf:fileRef="f1"/></DiskSection>
          <VirtualSystem ovf:id="t">
            <Info>vm</Info>
            <Name>t</Name>
            <OperatingSystemSection ovf:id="101" vmw:osType="ubuntu64Guest"><Info>os</Info></OperatingSystemSection>
            <VirtualHardwareSection>
              <Info>hw</Info>
              {Cpu}
              {Memory}
              {Scsi}
              {diskItems ?? DiskItem("ovf:/disk/d1")}
              {items}
            </VirtualHardwareSection>
          </VirtualSystem>
        </Envelope>
        """;
}
