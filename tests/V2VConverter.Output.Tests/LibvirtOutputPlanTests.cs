using System.Xml.Linq;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Output.Libvirt;
using V2VConverter.Pipeline;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>
/// -o libvirt -os POOL plans volumes: a storage rule with a pool that matches a disk's datastore sends the disk to
/// that pool, every other disk goes to POOL (directory rules do not apply), and the XML names pool and volume.
/// </summary>
public sealed class LibvirtOutputPlanTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-libvirt-plan");

    public void Dispose() => Directory.Delete(_dir, true);

    private (ConversionPlan Plan, string Xml) PlanFor(Dictionary<string, string?> settings, string? pool = "images", string? outputDir = null)
    {
        var vmx = Path.Combine(_dir, "db01.vmx");
        File.WriteAllText(vmx, string.Join('\n',
            "config.version = \"8\"", "virtualHW.version = \"19\"", "displayName = \"db01\"", "guestOS = \"debian12-64\"", "memsize = \"1024\"",
            "scsi0.present = \"TRUE\"", "scsi0.virtualDev = \"pvscsi\"",
            "scsi0:0.present = \"TRUE\"", "scsi0:0.fileName = \"[fast-ssd1] db01/db01.vmdk\"",
            "scsi0:1.present = \"TRUE\"", "scsi0:1.fileName = \"[nfs-slow] db01/db01_1.vmdk\"",
            "scsi0:2.present = \"TRUE\"", "scsi0:2.fileName = \"db01_2.vmdk\"") + "\n");
        var log = new TestLog();
        var vm = VmxSource.Load(vmx, log.Logger);
        var request = new PlanRequest
        {
            Mapping = new MappingSources { Environment = new Dictionary<string, string?>(), CommandLine = settings },
            Options = new PlanOptions { OutputPool = pool, OutputDirectory = outputDir },
        };
        var plan = ConversionPlanner.Plan(vm, request, log.Logger);
        return (plan, new DomainXmlBuilder().BuildString(plan));
    }

    private static Dictionary<string, string?> Rules() => new()
    {
        ["storage:rules:ssd:match"] = "fast-*",
        ["storage:rules:ssd:pool"] = "ssd-pool",
        ["storage:rules:ssd:priority"] = "10",
        ["storage:rules:nfs:match"] = "nfs-*",
        ["storage:rules:nfs:directory"] = "/mnt/nfs",
        ["storage:rules:nfs:priority"] = "10",
    };

    [Fact]
    public void A_datastore_pool_rule_wins_and_every_other_disk_goes_to_the_os_pool()
    {
        var (plan, xml) = PlanFor(Rules());

        Assert.All(plan.Disks, d => Assert.Equal(StorageKind.Pool, d.StorageKind));
        Assert.Equal(["ssd-pool", "images", "images"], plan.Disks.Select(d => d.StorageTarget));
        Assert.Equal(["db01-sda.qcow2", "db01-sdb.qcow2", "db01-sdc.qcow2"], plan.Disks.Select(d => d.OutputFileName));
        Assert.Contains(plan.Decisions, d => d.Subject == "scsi0:0 storage" && d.Rule == "storage#ssd" && d.To == "pool ssd-pool");
        Assert.Contains(plan.Decisions, d => d.Subject == "scsi0:1 storage" && d.Rule == "option -os" && d.To == "pool images");

        var sources = XDocument.Parse(xml).Descendants("disk").Where(d => (string?)d.Attribute("device") == "disk").ToList();
        Assert.All(sources, d => Assert.Equal("volume", (string?)d.Attribute("type")));
        Assert.Equal(
            ["ssd-pool/db01-sda.qcow2", "images/db01-sdb.qcow2", "images/db01-sdc.qcow2"],
            sources.Select(d => $"{d.Element("source")!.Attribute("pool")!.Value}/{d.Element("source")!.Attribute("volume")!.Value}"));
        XmlValidator.AssertValidDomain(xml, "libvirt output plan");
    }

    [Fact]
    public void Without_a_pool_the_same_rules_plan_files()
    {
        var (plan, _) = PlanFor(Rules(), pool: null);

        Assert.Equal([StorageKind.Pool, StorageKind.Directory, StorageKind.Directory], plan.Disks.Select(d => d.StorageKind));
        Assert.Equal("/mnt/nfs", plan.Disks[1].StorageTarget);
    }

    [Theory]
    [InlineData(null, "kvm")]
    [InlineData("qemu", "qemu")]
    public void The_domain_type_is_a_rule(string? type, string expected)
    {
        var settings = new Dictionary<string, string?>();
        if (type is not null)
        {
            settings["devices:domain:rules:default:type"] = type;
        }

        var (plan, xml) = PlanFor(settings);

        Assert.Equal(expected, plan.DomainType);
        Assert.Equal(expected, XDocument.Parse(xml).Root!.Attribute("type")!.Value);
        Assert.Contains(plan.Decisions, d => d.Subject == "domain" && d.To == expected && d.Rule == "devices.domain#default");
    }

    [Fact]
    public void An_unknown_domain_type_names_the_rule()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PlanFor(new() { ["devices:domain:rules:default:type"] = "xen" }));
        Assert.Contains("devices.domain#default", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"xen\"", ex.Message, StringComparison.Ordinal);
    }
}
