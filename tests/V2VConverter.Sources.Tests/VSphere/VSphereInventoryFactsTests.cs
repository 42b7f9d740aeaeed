using System.Xml.Linq;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// The batch facts <see cref="VSphereInventory.Build"/> reads from one retrieval, on property sets written as
/// vSphere sends them (the parts vcsim cannot make: delta links, PCI devices, partitioned raw disks).
/// </summary>
public sealed class VSphereInventoryFactsTests
{
    private const string Ns = "xmlns=\"urn:vim25\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

    private static XElement Val(string inner) => XElement.Parse($"<val {Ns}>{inner}</val>");

    private static VimObjectContent Obj(string type, string id, params (string Name, string Inner)[] props) =>
        new(new MoRef(type, id), props.ToDictionary(p => p.Name, p => Val(p.Inner)));

    private static VimObjectContent Named(string type, string id, string name, string? parentType = null, string? parent = null)
    {
        var props = new Dictionary<string, XElement> { ["name"] = Val(name) };
        if (parent is not null)
        {
            props["parent"] = XElement.Parse($"<val {Ns} type=\"{parentType}\" xsi:type=\"ManagedObjectReference\">{parent}</val>");
        }

        return new(new MoRef(type, id), props);
    }

    private static readonly string Devices = """
        <VirtualDevice xsi:type="ParaVirtualSCSIController"><key>1000</key><deviceInfo><label>SCSI controller 0</label></deviceInfo><busNumber>0</busNumber><sharedBus>virtualSharing</sharedBus></VirtualDevice>
        <VirtualDevice xsi:type="VirtualLsiLogicController"><key>1001</key><busNumber>1</busNumber><sharedBus>noSharing</sharedBus></VirtualDevice>
        <VirtualDevice xsi:type="VirtualDisk"><key>2000</key><deviceInfo><label>Hard disk 1</label></deviceInfo>
          <backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds1] web/web.vmdk</fileName><diskMode>independent_persistent</diskMode></backing>
          <controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInBytes>1073741824</capacityInBytes></VirtualDevice>
        <VirtualDevice xsi:type="VirtualDisk"><key>2001</key><deviceInfo><label>Hard disk 2</label></deviceInfo>
          <backing xsi:type="VirtualDiskRawDiskMappingVer1BackingInfo"><fileName>[ds1] web/web_1.vmdk</fileName><compatibilityMode>virtualMode</compatibilityMode><diskMode>persistent</diskMode></backing>
          <controllerKey>1001</controllerKey><unitNumber>0</unitNumber><capacityInKB>1024</capacityInKB></VirtualDevice>
        <VirtualDevice xsi:type="VirtualDisk"><key>2002</key><deviceInfo><label>Hard disk 3</label></deviceInfo>
          <backing xsi:type="VirtualDiskPartitionedRawDiskVer2BackingInfo"><descriptorFileName>[ds1] web/web_2.vmdk</descriptorFileName></backing>
          <controllerKey>1001</controllerKey><unitNumber>1</unitNumber><capacityInKB>1024</capacityInKB></VirtualDevice>
        <VirtualDevice xsi:type="VirtualTPM"><key>11000</key><deviceInfo><label>Virtual TPM</label></deviceInfo></VirtualDevice>
        <VirtualDevice xsi:type="VirtualPCIPassthrough"><key>13000</key><deviceInfo><label>PCI device 0</label></deviceInfo>
          <backing xsi:type="VirtualPCIPassthroughVmiopBackingInfo"><vgpu>grid_t4-2q</vgpu></backing></VirtualDevice>
        <VirtualDevice xsi:type="VirtualPCIPassthrough"><key>13001</key><deviceInfo><label>PCI device 1</label></deviceInfo>
          <backing xsi:type="VirtualPCIPassthroughDeviceBackingInfo"><id>0000:3b:00.0</id><deviceName>Tesla T4</deviceName></backing></VirtualDevice>
        """;

    // Base link (descriptor 1 + extent 2), then two snapshot deltas (3+4, 5+6): SnapshotBytes is the deltas only.
    private static readonly string FileLayout = """
        <VirtualMachineFileLayoutExFileInfo><key>1</key><name>[ds1] web/web.vmdk</name><type>diskDescriptor</type><size>500</size></VirtualMachineFileLayoutExFileInfo>
        <VirtualMachineFileLayoutExFileInfo><key>2</key><name>[ds1] web/web-flat.vmdk</name><type>diskExtent</type><size>1073741824</size></VirtualMachineFileLayoutExFileInfo>
        <VirtualMachineFileLayoutExFileInfo><key>3</key><name>[ds1] web/web-000001.vmdk</name><type>diskDescriptor</type><size>400</size></VirtualMachineFileLayoutExFileInfo>
        <VirtualMachineFileLayoutExFileInfo><key>4</key><name>[ds1] web/web-000001-sesparse.vmdk</name><type>diskExtent</type><size>20000</size></VirtualMachineFileLayoutExFileInfo>
        <VirtualMachineFileLayoutExFileInfo><key>5</key><name>[ds1] web/web-000002.vmdk</name><type>diskDescriptor</type><size>100</size></VirtualMachineFileLayoutExFileInfo>
        <VirtualMachineFileLayoutExFileInfo><key>6</key><name>[ds1] web/web-000002-sesparse.vmdk</name><type>diskExtent</type><size>3000</size></VirtualMachineFileLayoutExFileInfo>
        """;

    private static readonly string DiskLayout = """
        <VirtualMachineFileLayoutExDiskLayout><key>2000</key>
          <chain><fileKey>1</fileKey><fileKey>2</fileKey></chain>
          <chain><fileKey>3</fileKey><fileKey>4</fileKey></chain>
          <chain><fileKey>5</fileKey><fileKey>6</fileKey></chain>
        </VirtualMachineFileLayoutExDiskLayout>
        """;

    private static VimObjectContent FullVm() => new(new MoRef("VirtualMachine", "vm-7"), new Dictionary<string, XElement>
    {
        ["name"] = Val("web"),
        ["parent"] = XElement.Parse($"<val {Ns} type=\"Folder\" xsi:type=\"ManagedObjectReference\">group-prod</val>"),
        ["runtime.powerState"] = Val("poweredOn"),
        ["runtime.host"] = XElement.Parse($"<val {Ns} type=\"HostSystem\" xsi:type=\"ManagedObjectReference\">host-12</val>"),
        ["config.firmware"] = Val("efi"),
        ["config.bootOptions"] = Val("<bootDelay>0</bootDelay><efiSecureBootEnabled>true</efiSecureBootEnabled>"),
        ["config.changeTrackingEnabled"] = Val("true"),
        ["config.keyId"] = Val("<keyId>k-1</keyId><providerId><id>kms</id></providerId>"),
        ["config.hardware.device"] = Val(Devices),
        ["layoutEx.file"] = Val(FileLayout),
        ["layoutEx.disk"] = Val(DiskLayout),
    });

    private static IReadOnlyList<VimObjectContent> Names() =>
    [
        Named("HostSystem", "host-12", "esx1.lab"),
        Named("Folder", "group-v3", "vm", "Datacenter", "datacenter-2"),
        Named("Folder", "group-prod", "Prod", "Folder", "group-v3"),
        Named("Datastore", "datastore-9", "ds1"),
    ];

    [Fact]
    public void Firmware_secure_boot_cbt_encryption_vtpm_host_and_folder_path_are_read()
    {
        var vm = Assert.Single(VSphereInventory.Build([FullVm(), .. Names()]));

        Assert.Equal("efi", vm.Firmware);
        Assert.True(vm.SecureBoot);
        Assert.True(vm.ChangeTracking);
        Assert.True(vm.Encrypted);
        Assert.True(vm.Vtpm);
        Assert.Equal("esx1.lab", vm.HostName);
        Assert.Equal("vm/Prod", vm.FolderPath);
        Assert.Equal(["PCI device 0: vGPU grid_t4-2q", "PCI device 1: PCI 0000:3b:00.0 (Tesla T4)"], vm.Passthrough);
    }

    [Fact]
    public void Disk_mode_raw_device_mode_shared_bus_and_snapshot_bytes_are_read_per_disk()
    {
        var vm = Assert.Single(VSphereInventory.Build([FullVm(), .. Names()]));
        var (flat, rdm, partitioned) = (vm.Disks.Single(d => d.Key == 2000), vm.Disks.Single(d => d.Key == 2001), vm.Disks.Single(d => d.Key == 2002));

        Assert.Equal("independent_persistent", flat.DiskMode);
        Assert.Null(flat.RawDeviceMode);
        Assert.Equal("virtualSharing", flat.SharedBus);
        Assert.Equal(400 + 20000 + 100 + 3000, flat.SnapshotBytes);
        Assert.Equal(["[ds1] web/web-000002.vmdk", "[ds1] web/web-000002-sesparse.vmdk"], flat.Files.Select(f => f.Name));

        Assert.True(rdm.IsRawDevice);
        Assert.Equal("virtualMode", rdm.RawDeviceMode);
        Assert.Equal("persistent", rdm.DiskMode);
        Assert.Null(rdm.SharedBus); // noSharing
        Assert.Equal(0, rdm.SnapshotBytes);

        // A raw disk without a compatibility mode, and a backing without diskMode: the safe defaults.
        Assert.Equal("rdm", partitioned.RawDeviceMode);
        Assert.Equal("persistent", partitioned.DiskMode);
    }

    [Fact]
    public void A_vm_with_none_of_the_new_properties_gets_safe_defaults()
    {
        var bare = Obj("VirtualMachine", "vm-1", ("name", "bare"), ("runtime.powerState", "poweredOff"));
        var vm = Assert.Single(VSphereInventory.Build([bare]));

        Assert.Null(vm.Firmware);
        Assert.False(vm.SecureBoot);
        Assert.False(vm.ChangeTracking);
        Assert.False(vm.Encrypted);
        Assert.False(vm.Vtpm);
        Assert.Empty(vm.Passthrough);
        Assert.Null(vm.HostName);
        Assert.Null(vm.FolderPath);
    }

    [Fact]
    public void A_host_or_folder_missing_from_the_names_falls_back_to_its_id_or_null_and_a_folder_loop_ends()
    {
        var vm = new VimObjectContent(new MoRef("VirtualMachine", "vm-2"), new Dictionary<string, XElement>
        {
            ["name"] = Val("loop"),
            ["runtime.powerState"] = Val("poweredOff"),
            ["runtime.host"] = XElement.Parse($"<val {Ns} type=\"HostSystem\">host-99</val>"),
            ["parent"] = XElement.Parse($"<val {Ns} type=\"Folder\">group-a</val>"),
        });
        var built = Assert.Single(VSphereInventory.Build(
            [vm, Named("Folder", "group-a", "A", "Folder", "group-b"), Named("Folder", "group-b", "B", "Folder", "group-a")]));

        Assert.Equal("host-99", built.HostName);
        Assert.NotNull(built.FolderPath);
        Assert.EndsWith("B/A", built.FolderPath, StringComparison.Ordinal);
        Assert.True(built.FolderPath.Split('/').Length <= 64);
    }
}
