using Microsoft.Extensions.Configuration;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Mapping.Rules;
using V2VConverter.Model.Vm;
using V2VConverter.TestSupport;

namespace V2VConverter.Mapping.Tests;

public class RuleSetTests
{
    private static readonly GuestOs Linux = new("debian12-64", GuestFamily.Linux, "debian", "12", GuestArchitecture.X86_64, true, "Debian");
    private static readonly GuestOs Windows = new("windows9-64", GuestFamily.Windows, "windows", "10", GuestArchitecture.X86_64, false, "Windows 10");

    private static IConfiguration Config(Dictionary<string, string?>? cli = null) =>
        MappingConfiguration.Load(new MappingSources { Environment = new Dictionary<string, string?>(), CommandLine = cli ?? [] }, out _);

    [Theory]
    [InlineData("VM Network", "vm network", true)]
    [InlineData("prod-*", "prod-web", true)]
    [InlineData("prod-?", "prod-ab", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("web[0-2]", "WEB1", true)]
    [InlineData("web[0-2]", "web3", false)]
    [InlineData("web[!0-2]", "web3", true)]
    [InlineData("db[ab]-*", "dbb-prod", true)]
    [InlineData("a[b", "a[b", true)]
    [InlineData("x(y)+", "x(y)+", true)]
    public void Glob_is_case_insensitive_with_wildcards(string pattern, string value, bool expected) =>
        Assert.Equal(expected, RuleSet.Glob(pattern, value));

    [Fact]
    public void Highest_priority_matching_rule_wins_and_is_named()
    {
        var rules = new RuleSet(Config(), "devices:nic");
        Assert.Equal(("virtio", "devices.nic#virtio-capable"), (rules.Decide(new RuleFacts(Linux))!.Get("model"), rules.Decide(new RuleFacts(Linux))!.Id));
        Assert.Equal("e1000", rules.Decide(new RuleFacts(Windows))!.Get("model"));
    }

    [Fact]
    public void A_user_rule_can_override_by_source_model()
    {
        var cfg = Config(new()
        {
            ["devices:nic:rules:keep-e1000e:priority"] = "100",
            ["devices:nic:rules:keep-e1000e:source"] = "e1000e",
            ["devices:nic:rules:keep-e1000e:model"] = "e1000e",
        });
        var rules = new RuleSet(cfg, "devices:nic");
        Assert.Equal("e1000e", rules.Decide(new RuleFacts(Linux, Source: "e1000e"))!.Get("model"));
        Assert.Equal("virtio", rules.Decide(new RuleFacts(Linux, Source: "vmxnet3"))!.Get("model"));
    }

    [Fact]
    public void Unknown_network_target_form_is_a_clear_error()
    {
        var vm = new VirtualMachine
        {
            Name = "x",
            Guest = Linux,
            MemoryMiB = 64,
            Cpu = new CpuTopology(1, 1),
            Nics = [new NetworkAdapter { Index = 0, VirtualDev = "vmxnet3", NetworkName = "LAN", AddressType = MacAddressType.None }],
        };
        var cfg = Config(new() { ["networks:default"] = "switch:lan" });
        var ex = Assert.Throws<InvalidDataException>(() => new Planner(cfg, new TestLog().Logger).Plan(vm, new PlanOptions()));
        Assert.Contains("switch:lan", ex.Message);
        Assert.Contains("networks#default", ex.Message);
    }

    [Fact]
    public void Every_decision_is_logged_with_its_rule()
    {
        var vm = new VirtualMachine
        {
            Name = "x",
            Guest = Linux,
            MemoryMiB = 64,
            Cpu = new CpuTopology(2, 2),
            Disks = [new VirtualDisk { Key = "scsi0:0", Bus = DiskBus.Scsi, Controller = 0, Unit = 0, FileName = "x.vmdk" }],
            Nics = [new NetworkAdapter { Index = 0, VirtualDev = "vmxnet3", NetworkName = "LAN", AddressType = MacAddressType.Static, MacAddress = "00:50:56:00:00:01" }],
        };
        var diags = new TestLog();
        var plan = new Planner(Config(), diags.Logger).Plan(vm, new PlanOptions { OutputDirectory = "/out" });
        Assert.Contains(plan.Decisions, d => d.Subject == "scsi0:0" && d.Rule == "devices.disk#virtio-capable");
        Assert.Contains(plan.Decisions, d => d.Subject == "ethernet0 network" && d.Rule == "networks#default");
        Assert.Equal(plan.Decisions.Count, diags.Infos.Count);
        var compat = new Planner(Config(), new TestLog().Logger).Plan(vm, new PlanOptions { OutputDirectory = "/out", CompatibilityMode = true });
        Assert.Equal("sata", compat.Disks[0].Bus);
        Assert.Equal("e1000", compat.Nics[0].Model);
    }

    [Theory]
    [InlineData(0, "a")]
    [InlineData(25, "z")]
    [InlineData(26, "aa")]
    [InlineData(27, "ab")]
    [InlineData(701, "zz")]
    [InlineData(702, "aaa")]
    public void Drive_letters_follow_the_kernel(int index, string letters) => Assert.Equal(letters, Planner.DriveLetters(index));
}

public class RuleKeyCheckTests
{
    [Fact]
    public void A_misspelt_condition_in_a_mapping_file_is_an_error_naming_the_file_and_the_key()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"v2v-rulekeys-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "my-rules.json");
            File.WriteAllText(file, """{ "devices": { "nic": { "rules": { "mine": { "priority": 50, "gusetVirtio": true, "model": "e1000e" } } } } }""");
            var ex = Assert.Throws<InvalidDataException>(() => MappingConfiguration.Load(new MappingSources { Environment = new Dictionary<string, string?>(), UserMappingFiles = [file] }, out _));
            Assert.StartsWith(file + ": rule devices.nic.rules.mine: unknown key \"gusetVirtio\"", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_misspelt_condition_on_the_command_line_names_the_command_line()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MappingConfiguration.Load(new MappingSources
        {
            Environment = new Dictionary<string, string?>(),
            CommandLine = new Dictionary<string, string?> { ["networks:rules:x:conectionType"] = "nat", ["networks:rules:x:target"] = "network:nat" },
        }, out _));
        Assert.Contains("the command line", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown key \"conectionType\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("connectionType", ex.Message, StringComparison.Ordinal); // the known conditions are listed
    }

    [Fact]
    public void Every_key_of_the_built_in_rules_is_known() =>
        Assert.NotNull(MappingConfiguration.Load(new MappingSources { Environment = new Dictionary<string, string?>() }, out _));
}

public class GuestFactsPlanningTests
{
    private static readonly GuestOs OldLinux = new("other5xlinux-64", GuestFamily.Linux, "linux", "5", GuestArchitecture.X86_64, false, "Other Linux 5.x");
    private static readonly GuestOs Debian = new("debian12-64", GuestFamily.Linux, "debian", "12", GuestArchitecture.X86_64, true, "Debian");

    private static ConversionPlan Plan(GuestOs guest, GuestFacts? facts)
    {
        var vm = new VirtualMachine
        {
            Name = "x",
            Guest = guest,
            MemoryMiB = 64,
            Cpu = new CpuTopology(1, 1),
            Disks = [new VirtualDisk { Key = "scsi0:0", Bus = DiskBus.Scsi, Controller = 0, Unit = 0, FileName = "x.vmdk" }],
            Nics = [new NetworkAdapter { Index = 0, VirtualDev = "vmxnet3", NetworkName = "LAN", AddressType = MacAddressType.None }],
        };
        var cfg = MappingConfiguration.Load(new MappingSources { Environment = new Dictionary<string, string?>() }, out _);
        return new Planner(cfg, new TestLog().Logger).Plan(vm, new PlanOptions { OutputDirectory = "/out", GuestFacts = facts });
    }

    [Fact]
    public void Facts_from_the_guest_converter_decide_the_devices_over_the_catalog()
    {
        Assert.Equal(("sata", "e1000"), (Plan(OldLinux, null).Disks[0].Bus, Plan(OldLinux, null).Nics[0].Model));
        var installed = Plan(OldLinux, new GuestFacts { Converter = "linux", Converted = true, VirtioDriversInstalled = true, Reason = "virtio drivers in the initramfs" });
        Assert.Equal(("virtio", "virtio"), (installed.Disks[0].Bus, installed.Nics[0].Model));
        Assert.Contains(installed.Decisions, d => d.Subject == "guest" && d.Rule == "guest converter linux: virtio drivers in the initramfs");
        var notConverted = Plan(Debian, new GuestFacts { Converter = "none", VirtioDriversInstalled = false, Reason = "no operating system was found on the disks" });
        Assert.Equal(("sata", "e1000"), (notConverted.Disks[0].Bus, notConverted.Nics[0].Model));
    }
}
