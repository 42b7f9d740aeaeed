using System.Text.Json;
using System.Xml.Linq;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

public sealed class InspectXmlCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-cli");

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteVmx(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private const string Vm = """
        displayName = "cli-vm"
        guestOS = "ubuntu-64"
        memsize = "1024"
        numvcpus = "2"
        scsi0.present = "TRUE"
        scsi0:0.present = "TRUE"
        scsi0:0.fileName = "cli-vm.vmdk"
        ide1:0.present = "TRUE"
        ide1:0.deviceType = "cdrom-image"
        ide1:0.fileName = "missing.iso"
        ethernet0.present = "TRUE"
        ethernet0.virtualDev = "vmxnet3"
        ethernet0.networkName = "VM Network"
        ethernet0.addressType = "static"
        ethernet0.address = "00:50:56:00:00:01"
        sound.present = "TRUE"
        """;

    [Fact]
    public void Inspect_prints_a_before_after_table_even_without_disk_files()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var r = CliRunner.Run(_dir, "inspect", vmx);
        Assert.Equal(0, r.ExitCode);
        foreach (var row in new[] { "cpu", "memory", "disk scsi0:0", "cdrom ide1:0", "nic ethernet0", "video", "sound" })
        {
            Assert.Contains(row, r.Out);
        }

        Assert.Contains("00:50:56:00:00:01", r.Out);
        Assert.Contains("devices.nic#virtio-capable", r.Out);
        Assert.Contains("cli-vm.vmdk", r.Err); // missing disk warned about...
        Assert.Contains("does not exist", r.Err);
        Assert.Contains("virtio vda", r.Out); // ...and still listed
    }

    [Fact]
    public void Inspect_json_has_the_same_rows()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var text = CliRunner.Run(_dir, "inspect", vmx).Out;
        var json = CliRunner.Run(_dir, "inspect", vmx, "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        var rows = doc.RootElement.GetProperty("devices").EnumerateArray().ToList();
        Assert.Contains(rows, r => r.GetProperty("device").GetString() == "nic ethernet0" && r.GetProperty("target").GetString()!.Contains("00:50:56:00:00:01"));
        foreach (var r in rows)
        {
            Assert.Contains(r.GetProperty("device").GetString()!, text);
        }

        Assert.NotEmpty(doc.RootElement.GetProperty("decisions").EnumerateArray());
    }

    [Fact]
    public void Xml_honours_bridge_network_and_output_storage()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var r = CliRunner.Run(_dir, "xml", vmx, "--bridge", "VM Network:br0", "-os", "/srv/images");
        Assert.Equal(0, r.ExitCode);
        var doc = XDocument.Parse(r.Out);
        Assert.Equal("kvm", doc.Root!.Attribute("type")!.Value);
        Assert.Equal("br0", doc.Descendants("interface").Single().Element("source")!.Attribute("bridge")!.Value);
        Assert.Equal("/srv/images/cli-vm-sda.qcow2", doc.Descendants("disk").First().Element("source")!.Attribute("file")!.Value);
        XmlValidator.AssertValidDomain(r.Out, "cli xml");

        var n = CliRunner.Run(_dir, "xml", vmx, "--network", "VM Network:lab", "-of", "raw");
        Assert.Equal("lab", XDocument.Parse(n.Out).Descendants("interface").Single().Element("source")!.Attribute("network")!.Value);
        Assert.EndsWith("-sda.raw", XDocument.Parse(n.Out).Descendants("disk").First().Element("source")!.Attribute("file")!.Value);
    }

    [Fact]
    public void Xml_writes_to_a_file_with_o()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var outFile = Path.Combine(_dir, "out.xml");
        var r = CliRunner.Run(_dir, "xml", vmx, "-o", outFile);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("cli-vm", XDocument.Load(outFile).Root!.Element("name")!.Value);
        Assert.Empty(Directory.GetFiles(_dir, ".*v2v-tmp*"));
    }

    [Fact]
    public void Mapping_file_then_environment_then_command_line_take_precedence()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var mapping = Path.Combine(_dir, "site.json");
        File.WriteAllText(mapping, """{ "networks": { "rules": { "site": { "priority": 50, "match": "VM Network", "target": "bridge:from-file" } } } }""");
        string Bridge(IReadOnlyDictionary<string, string?> env, params string[] extra)
        {
            var r = CliRunner.Run(_dir, env, ["xml", vmx, "--mapping", mapping, .. extra]);
            Assert.True(r.ExitCode == 0, r.Err);
            return XDocument.Parse(r.Out).Descendants("interface").Single().Element("source")!.Attribute("bridge")!.Value;
        }

        var noEnv = new Dictionary<string, string?> { ["HOME"] = _dir };
        Assert.Equal("from-file", Bridge(noEnv));
        var env = new Dictionary<string, string?> { ["HOME"] = _dir, ["V2V_networks__rules__site__target"] = "bridge:from-env" };
        Assert.Equal("from-env", Bridge(env));
        Assert.Equal("from-cli", Bridge(env, "--set", "networks:rules:site:target=bridge:from-cli"));
        Assert.Equal("from-option", Bridge(env, "--bridge", "VM Network:from-option"));
    }

    [Fact]
    public void Ini_config_file_is_read()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var conf = Path.Combine(_dir, "virt-v2v.conf");
        File.WriteAllText(conf, "[networks]\ndefault = bridge:conf-br\n\n[storage:default]\ndirectory = /from/conf\n");
        var r = CliRunner.Run(_dir, "xml", vmx, "--config", conf);
        Assert.Equal(0, r.ExitCode);
        var doc = XDocument.Parse(r.Out);
        Assert.Equal("conf-br", doc.Descendants("interface").Single().Element("source")!.Attribute("bridge")!.Value);
        Assert.StartsWith("/from/conf/", doc.Descendants("disk").First().Element("source")!.Attribute("file")!.Value);
    }

    [Fact]
    public void Shipped_sample_config_parses()
    {
        var vmx = WriteVmx("vm.vmx", Vm);
        var r = CliRunner.Run(_dir, "inspect", vmx, "--config", Path.Combine(RepoPaths.Root, "virt-v2v.conf.sample"));
        Assert.True(r.ExitCode == 0, r.Err);
    }
}
