using Microsoft.Extensions.Configuration;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Mapping.Rules;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

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
        var ex = Assert.Throws<InvalidDataException>(() => new Planner(cfg, new DiagnosticBag()).Plan(vm, new PlanOptions()));
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
        var diags = new DiagnosticBag();
        var plan = new Planner(Config(), diags).Plan(vm, new PlanOptions { OutputDirectory = "/out" });
        Assert.Contains(plan.Decisions, d => d.Subject == "scsi0:0" && d.Rule == "devices.disk#virtio-capable");
        Assert.Contains(plan.Decisions, d => d.Subject == "ethernet0 network" && d.Rule == "networks#default");
        Assert.Equal(plan.Decisions.Count, diags.Items.Count(i => i.Severity == Severity.Info));
        var compat = new Planner(Config(), new DiagnosticBag()).Plan(vm, new PlanOptions { OutputDirectory = "/out", CompatibilityMode = true });
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
