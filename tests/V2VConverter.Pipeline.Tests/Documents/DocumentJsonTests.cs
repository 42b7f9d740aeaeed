using System.Text.Json;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Documents;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Documents;

/// <summary>The JSON documents: schemaVersion first, one shape for the device rows, a round trip through the one context.</summary>
public sealed class DocumentJsonTests : IDisposable
{
    private static readonly string[] RowKeys = ["device", "source", "target", "rule"];
    private static readonly string[] DecisionKeys = ["subject", "from", "to", "rule"];

    private readonly string _dir = RepoPaths.NewTempDir("v2v-documents");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The shipped sample, renamed with non-ASCII and JSON/HTML-sensitive characters.</summary>
    private ConversionPlan SamplePlan()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        File.Copy(Path.Combine(sample, "demo.vmdk"), Path.Combine(_dir, "demo.vmdk"));
        var vmx = File.ReadAllText(Path.Combine(sample, "demo.vmx")).Replace("displayName = \"workstation-demo\"", "displayName = \"démo-ü <a&b>\"", StringComparison.Ordinal);
        var path = Path.Combine(_dir, "demo.vmx");
        File.WriteAllText(path, vmx);
        var context = new JobContext { Log = new TestLog().Logger, GetEnv = _ => null, Cancellation = TestContext.Current.CancellationToken };
        var request = new ConversionRequest
        {
            Source = new SourceSpec { Location = path },
            Plan = new PlanRequest { Mapping = new MappingSources { Environment = new Dictionary<string, string?>() } },
        };
        using var planned = new ConversionJob(context).Plan(request);
        return planned.Plan;
    }

    private static GuestInspection Inspection() => new()
    {
        Os = new OsIdentity
        {
            Root = "/dev/sda1",
            OsType = "linux",
            Distro = "debian",
            ProductName = "Debian GNU/Linux 12 (bookworm)",
            MajorVersion = 12,
            MinorVersion = 5,
            Arch = "x86_64",
            Hostname = null,
            MountPoints = [("/", "/dev/sda1")],
            Filesystems = [],
            PackageFormat = "deb",
            PackageManager = "apt",
            Method = IdentificationMethod.Quick,
        },
        Filesystems = [new GuestFilesystem("/dev/sda1", "ext4", "5a1e0001", "rootfs", "/")],
        PackageFormat = "deb",
        PackageManager = "apt",
        InitramfsTool = InitramfsTool.InitramfsTools,
        Bootloader = new BootloaderInfo(BootloaderKind.GrubLegacy, "/boot/grub/menu.lst", null, null, null),
        Kernels = [new GuestKernel("6.1.0-18-amd64", "/boot/vmlinuz-6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64", true)],
        VmwareTools = new VmwareToolsInfo(VmwareToolsFlavour.OpenVmTools, ["open-vm-tools"], null, []),
        Network = new NetworkInfo([NetworkConfigSystem.SystemdNetworkd, NetworkConfigSystem.NetworkManager], [new ConfiguredInterface("ens160", null, NetworkConfigSystem.SystemdNetworkd, "/etc/systemd/network/ens160.network")]),
        HasSystemd = true,
    };

    private static GuestConversionReport GuestReport() => new()
    {
        Inspection = Inspection(),
        Devices = [new DeviceMapping("/dev/sda1", "/dev/sda1", "/dev/vda1", "5a1e0001", "/", "ext4", "UUID=5a1e0001")],
        NicPins = [new NicPin(0, "00:50:56:3a:71:0c", "ens160", "pciSlotNumber = 160")],
        Fixups =
        [
            new FixupResult("fstab", FixupStatus.Applied, [new FileChange("/etc/fstab", [new LineChange(3, "/dev/sda1 / ext4 defaults 0 1", "UUID=5a1e0001 / ext4 defaults 0 1 # grüße")])], ["rewrote fstab"], ["fstab names UUIDs"], []),
            new FixupResult("vmware-tools", FixupStatus.NotNeeded, [], [], [], []),
        ],
        Accelerator = "tcg",
        ApplianceLaunchTime = TimeSpan.FromSeconds(2.5),
        TotalTime = TimeSpan.FromSeconds(38),
    };

    private static VSphereVmInfo Vm() => new()
    {
        Ref = new MoRef("VirtualMachine", "vm-42"),
        Name = "web-ü",
        PowerState = "poweredOff",
        NumCpu = 2,
        CoresPerSocket = 1,
        MemoryMiB = 2048,
        Datastores = ["datastore1"],
        Disks = [new VSphereDiskInfo(2000, "Hard disk 1", "scsi", 0, 0, "[datastore1] web/web.vmdk", 1L << 30, "flat", false, [new VSphereFileInfo(1, "[datastore1] web/web-flat.vmdk", "diskExtent", 4096)])],
        Nics = [new VSphereNicInfo(4000, "Network adapter 1", "vmxnet3", "00:50:56:00:00:01", "assigned", "VM Network", null)],
        Snapshots = [new VSphereSnapshotInfo("before upgrade", null, 0, "2026-01-01T00:00:00Z")],
    };

    private static DiskInfoDocument DiskInfo()
    {
        using var disk = VmdkDisk.Open(Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk"));
        return DiskInfoDocument.Create(disk);
    }

    private ConversionReportDocument Report(ConversionPlan plan) =>
        ConversionReportDocument.Create(plan, [new DiskConvertResult("/out/démo-sda.qcow2", 64 << 20, 1 << 20, 2 << 20, TimeSpan.FromMilliseconds(1234.5678))], GuestReport(), ["warning: demo.vmx:20: grüße"]);

    private string[] AllDocuments()
    {
        var plan = SamplePlan();
        return
        [
            DocumentJson.Serialize(InspectDocument.Create(plan, Inspection(), [])),
            DocumentJson.Serialize(Report(plan)),
            DocumentJson.Serialize(InventoryDocument.Create([Vm()])),
            DocumentJson.Serialize(DiskInfo()),
        ];
    }

    [Fact]
    public void Every_document_starts_with_schemaVersion_1()
    {
        foreach (var json in AllDocuments())
        {
            using var doc = JsonDocument.Parse(json);
            var first = doc.RootElement.EnumerateObject().First();
            Assert.Equal("schemaVersion", first.Name);
            Assert.Equal(1, first.Value.GetInt32());
        }

        Assert.Equal(1, InspectDocument.CurrentSchemaVersion);
        Assert.Equal(1, ConversionReportDocument.CurrentSchemaVersion);
        Assert.Equal(1, InventoryDocument.CurrentSchemaVersion);
        Assert.Equal(1, DiskInfoDocument.CurrentSchemaVersion);
    }

    [Fact]
    public void Inspect_and_the_report_write_the_same_device_rows_and_decisions_under_the_same_keys()
    {
        var plan = SamplePlan();
        using var inspect = JsonDocument.Parse(DocumentJson.Serialize(InspectDocument.Create(plan, null, [])));
        using var report = JsonDocument.Parse(DocumentJson.Serialize(Report(plan)));
        foreach (var (name, keys) in new[] { ("devices", RowKeys), ("decisions", DecisionKeys) })
        {
            var a = inspect.RootElement.GetProperty(name);
            var b = report.RootElement.GetProperty(name);
            Assert.NotEmpty(a.EnumerateArray());
            Assert.All(a.EnumerateArray().Concat(b.EnumerateArray()), row => Assert.Equal(keys, row.EnumerateObject().Select(p => p.Name)));
            Assert.Equal(a.ToString(), b.ToString());
        }

        // Keys shared by the two documents mean the same thing.
        string[] shared = ["schemaVersion", "name", "source", "devices", "decisions", "guest", "warnings"];
        Assert.All(shared, k => Assert.True(inspect.RootElement.TryGetProperty(k, out _) && report.RootElement.TryGetProperty(k, out _), k));
        Assert.Equal(inspect.RootElement.GetProperty("source").GetString(), report.RootElement.GetProperty("source").GetString());
        Assert.Contains(inspect.RootElement.GetProperty("devices").EnumerateArray(), r => r.GetProperty("device").GetString() == "nic ethernet0" && r.GetProperty("rule").GetString() == "devices.nic#virtio-capable");
    }

    [Fact]
    public void Each_document_round_trips_through_the_context()
    {
        var plan = SamplePlan();
        AssertRoundTrip(InspectDocument.Create(plan, Inspection(), ["warning: x"]));
        AssertRoundTrip(InspectDocument.Create(plan, null, []));
        AssertRoundTrip(Report(plan));
        AssertRoundTrip(ConversionReportDocument.Create(plan, [], null, []));
        AssertRoundTrip(InventoryDocument.Create([Vm(), Vm() with { Name = "b", Uuid = "4201", Disks = [], Snapshots = [] }]));
        AssertRoundTrip(DiskInfo());

        static void AssertRoundTrip<T>(T document)
            where T : class, IVersionedDocument
        {
            var json = DocumentJson.Serialize(document);
            var back = DocumentJson.Deserialize<T>(json);
            Assert.NotNull(back);
            Assert.Equal(1, back.SchemaVersion);
            Assert.Equal(json, DocumentJson.Serialize(back));
        }
    }

    [Fact]
    public void Non_ascii_text_stays_readable_and_every_key_is_written_even_when_null()
    {
        var plan = SamplePlan();
        var inspect = DocumentJson.Serialize(InspectDocument.Create(plan, null, []));
        Assert.Contains("\"name\": \"démo-ü <a&b>\"", inspect, StringComparison.Ordinal);
        Assert.Contains("\"guest\": null", inspect, StringComparison.Ordinal);
        Assert.Contains("\"rule\": null", inspect, StringComparison.Ordinal); // the name row has no rule
        var report = DocumentJson.Serialize(Report(plan));
        Assert.Contains("# grüße", report, StringComparison.Ordinal);
        Assert.Contains("\"hostname\": null", report, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u", report, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"web-ü\"", DocumentJson.Serialize(InventoryDocument.Create([Vm()])), StringComparison.Ordinal);
    }

    [Fact]
    public void The_guest_sections_keep_their_keys_and_name_enums_in_kebab_case()
    {
        using var doc = JsonDocument.Parse(DocumentJson.Serialize(Report(SamplePlan())));
        var guest = doc.RootElement.GetProperty("guest");
        Assert.False(guest.GetProperty("compatibilityMode").GetBoolean());
        Assert.True(guest.GetProperty("succeeded").GetBoolean());
        Assert.Equal("tcg", guest.GetProperty("accelerator").GetString());
        Assert.Equal("/dev/sda1", guest.GetProperty("devices")[0].GetProperty("sourceDevice").GetString());
        Assert.Equal("UUID=5a1e0001", guest.GetProperty("devices")[0].GetProperty("newReference").GetString());
        Assert.Equal("ens160", guest.GetProperty("nicPins")[0].GetProperty("interfaceName").GetString());
        var fixups = guest.GetProperty("fixups");
        Assert.Equal(["applied", "not-needed"], fixups.EnumerateArray().Select(f => f.GetProperty("status").GetString()));
        var line = fixups[0].GetProperty("files")[0].GetProperty("lines")[0];
        Assert.Equal((3, "/dev/sda1 / ext4 defaults 0 1"), (line.GetProperty("line").GetInt32(), line.GetProperty("before").GetString()));
        var inspection = guest.GetProperty("inspection");
        Assert.Equal("initramfs-tools", inspection.GetProperty("initramfsTool").GetString());
        Assert.Equal("grub-legacy", inspection.GetProperty("bootloader").GetProperty("kind").GetString());
        Assert.Equal("open-vm-tools", inspection.GetProperty("vmwareTools").GetProperty("flavour").GetString());
        Assert.Equal(["systemd-networkd", "network-manager"], inspection.GetProperty("network").GetProperty("systems").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("systemd-networkd", inspection.GetProperty("network").GetProperty("interfaces")[0].GetProperty("system").GetString());
        Assert.Equal("12.5", inspection.GetProperty("version").GetString());
        var disk = doc.RootElement.GetProperty("disks")[0];
        Assert.Equal(["output", "virtualSize", "fileSize", "dataBytesRead", "seconds"], disk.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1.235, disk.GetProperty("seconds").GetDouble());
    }

    [Fact]
    public void The_report_of_a_compatibility_fallback_says_why()
    {
        var fallback = new GuestConversionReport { CompatibilityMode = true, CompatibilityReason = "no operating system was found on the disks", Warnings = ["x"] };
        using var doc = JsonDocument.Parse(DocumentJson.Serialize(ConversionReportDocument.Create(SamplePlan(), [], fallback, [])));
        var guest = doc.RootElement.GetProperty("guest");
        Assert.True(guest.GetProperty("compatibilityMode").GetBoolean());
        Assert.Equal("no operating system was found on the disks", guest.GetProperty("compatibilityReason").GetString());
        Assert.False(guest.GetProperty("succeeded").GetBoolean());
        Assert.Equal(JsonValueKind.Null, guest.GetProperty("inspection").ValueKind);
    }

    [Fact]
    public void Inventory_lists_each_vm_with_the_keys_of_before()
    {
        using var doc = JsonDocument.Parse(DocumentJson.Serialize(InventoryDocument.Create([Vm()])));
        var vm = Assert.Single(doc.RootElement.GetProperty("vms").EnumerateArray());
        Assert.Equal(
            ["name", "uuid", "powerState", "guestId", "numCpu", "coresPerSocket", "memoryMiB", "vmPathName", "isTemplate", "datastores", "disks", "nics", "snapshots", "moRef"],
            vm.EnumerateObject().Select(p => p.Name));
        Assert.Equal("vm-42", vm.GetProperty("moRef").GetString());
        Assert.Equal("scsi0:0", vm.GetProperty("disks")[0].GetProperty("slot").GetString());
        Assert.Equal(4096, vm.GetProperty("disks")[0].GetProperty("allocatedBytes").GetInt64());
    }

    [Fact]
    public void Disk_info_keeps_the_qemu_img_style_keys()
    {
        using var doc = JsonDocument.Parse(DocumentJson.Serialize(DiskInfo()));
        var root = doc.RootElement;
        Assert.Equal(
            ["schemaVersion", "filename", "format", "subformat", "virtual-size", "allocated-size", "actual-size", "adapter-type", "cid", "parent-cid", "virtual-hw-version", "extents", "chain", "warnings"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(64L << 20, root.GetProperty("virtual-size").GetInt64());
        Assert.Equal("ffffffff", root.GetProperty("parent-cid").GetString());
        Assert.Equal("lsilogic", root.GetProperty("chain")[0].GetProperty("ddb").GetProperty("ddb.adapterType").GetString());
        Assert.Equal(131072, root.GetProperty("extents")[0].GetProperty("size-sectors").GetInt64());
    }

    /// <summary>
    /// Issue 11 point 4: a registered password is masked in every string a document writes (a server can
    /// put any text in a VM's name or a fault), and masking a value keeps the document valid JSON.
    /// </summary>
    [Fact]
    public void A_registered_password_is_masked_in_every_string_value_and_the_json_stays_valid()
    {
        const string password = "Dj4Qm\"<&>'x";
        Model.Diagnostics.Secrets.Register(password);
        var json = DocumentJson.Serialize(InventoryDocument.Create([Vm() with { Name = $"vm {password} end", GuestId = password }]));

        Assert.DoesNotContain("Dj4Qm", json, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json);
        var vm = doc.RootElement.GetProperty("vms")[0];
        Assert.Equal("vm ******** end", vm.GetProperty("name").GetString());
    }
}
