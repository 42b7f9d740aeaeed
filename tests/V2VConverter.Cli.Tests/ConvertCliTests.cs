using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary><c>convert X.vmx -o local -os DIR</c> on the shipped sample, judged by qemu-img and virt-xml-validate.</summary>
public sealed class ConvertCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-convert");
    private readonly string _vmx;

    public ConvertCliTests()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        foreach (var f in Directory.GetFiles(sample))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        _vmx = Path.Combine(_dir, "demo.vmx");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("qcow2", false)]
    [InlineData("qcow2", true)]
    [InlineData("raw", false)]
    public void Converts_every_disk_and_writes_xml_pointing_at_them(string format, bool compress)
    {
        Tool.Require("qemu-img");
        var outDir = Path.Combine(_dir, "out");
        string[] args = ["convert", _vmx, "-o", "local", "-os", outDir, "-of", format, "--no-guest-fixups", .. (compress ? new[] { "-c" } : [])];
        var r = CliRunner.Run(_dir, args);
        Assert.True(r.ExitCode == 0, r.Err);
        var disk = Path.Combine(outDir, $"workstation-demo-sda.{format}");
        var xmlPath = Path.Combine(outDir, "workstation-demo.xml");
        Assert.True(File.Exists(disk));
        var xml = File.ReadAllText(xmlPath);
        XmlValidator.AssertValidDomain(xml, "converted sample");
        var src = XDocument.Parse(xml).Descendants("disk").First(d => (string?)d.Attribute("device") == "disk");
        Assert.Equal(disk, src.Element("source")!.Attribute("file")!.Value);
        Assert.Equal(format, src.Element("driver")!.Attribute("type")!.Value);
        Assert.Equal("00:50:56:3a:71:0c", XDocument.Parse(xml).Descendants("mac").First().Attribute("address")!.Value);
        if (format == "qcow2")
        {
            Assert.Equal(0, Tool.Run("qemu-img", ["check", "-f", "qcow2", disk]).ExitCode);
        }

        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", format, Path.Combine(_dir, "demo.vmdk"), disk]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
        Assert.Empty(Directory.GetFiles(outDir, "*v2v-tmp*"));
        // --no-guest-fixups gives the compatibility copy: SATA disks, e1000 NICs.
        Assert.Equal("sata", src.Element("target")!.Attribute("bus")!.Value);
        Assert.All(XDocument.Parse(xml).Descendants("interface"), i => Assert.Equal("e1000", i.Element("model")!.Attribute("type")!.Value));
        Assert.True(File.Exists(Path.Combine(outDir, "workstation-demo.report.json")));
    }

    [Fact]
    public void An_uninspectable_guest_falls_back_to_the_compatibility_copy_with_a_warning()
    {
        Tool.Require("qemu-img");
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, new Dictionary<string, string?> { ["HOME"] = _dir, ["LIBGUESTFS_BACKEND"] = "direct" }, "convert", _vmx, "-o", "local", "-os", outDir);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("compatibility", r.Err);
        var doc = XDocument.Load(Path.Combine(outDir, "workstation-demo.xml"));
        Assert.Equal("sata", doc.Descendants("disk").First().Element("target")!.Attribute("bus")!.Value);
        Assert.Equal("e1000", doc.Descendants("interface").First().Element("model")!.Attribute("type")!.Value);
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "workstation-demo.report.json")));
        Assert.Equal(1, report.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.True(report.RootElement.GetProperty("guest").GetProperty("compatibilityMode").GetBoolean());
        Assert.NotEmpty(report.RootElement.GetProperty("devices").EnumerateArray());
    }

    [Fact]
    public void Inspect_json_and_the_report_json_write_the_device_rows_under_the_same_keys()
    {
        var outDir = Path.Combine(_dir, "out");
        var convert = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.True(convert.ExitCode == 0, convert.Err);
        var inspect = CliRunner.Run(_dir, "inspect", _vmx, "-os", outDir, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Err);
        using var i = System.Text.Json.JsonDocument.Parse(inspect.Out);
        using var r = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "workstation-demo.report.json")));
        Assert.Equal(1, i.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(1, r.RootElement.GetProperty("schemaVersion").GetInt32());
        foreach (var key in new[] { "name", "source" })
        {
            Assert.Equal(i.RootElement.GetProperty(key).GetString(), r.RootElement.GetProperty(key).GetString());
        }

        static List<Dictionary<string, string?>> Rows(System.Text.Json.JsonDocument d, string name) =>
            d.RootElement.GetProperty(name).EnumerateArray().Select(e => e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString())).ToList();
        var (before, after) = (Rows(i, "devices"), Rows(r, "devices"));
        Assert.All(before.Concat(after), row => Assert.Equal(["device", "source", "target", "rule"], row.Keys));
        Assert.All(Rows(i, "decisions").Concat(Rows(r, "decisions")), row => Assert.Equal(["subject", "from", "to", "rule"], row.Keys));
        Assert.Equal(before.Select(x => (x["device"], x["source"])), after.Select(x => (x["device"], x["source"])));

        // The same rows with the same values, except those --no-guest-fixups plans again: SATA disks, e1000 NICs.
        var differ = before.Zip(after).Where(p => !p.First.SequenceEqual(p.Second)).Select(p => p.Second).ToList();
        Assert.Equal(["disk scsi0:0", "cdrom ide1:0", "nic ethernet0", "nic ethernet1"], differ.Select(x => x["device"]));
        Assert.All(differ, x => Assert.Matches("^(sata|e1000) ", x["target"]!));
        Assert.True(before.Count - differ.Count >= 10);
    }

    [Fact]
    public void Convert_follows_the_storage_format_rule_like_xml_does()
    {
        Tool.Require("qemu-img");
        var outDir = Path.Combine(_dir, "out");
        var xml = CliRunner.Run(_dir, "xml", _vmx, "-os", outDir, "--set", "storage:format=raw", "--no-guest-fixups");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--set", "storage:format=raw", "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "workstation-demo-sda.raw")), r.Err);
        var written = XDocument.Load(Path.Combine(outDir, "workstation-demo.xml"));
        Assert.Equal("raw", written.Descendants("disk").First().Element("driver")!.Attribute("type")!.Value);
        if (xml.ExitCode == 0)
        {
            Assert.Equal("raw", XDocument.Parse(xml.Out).Descendants("disk").First().Element("driver")!.Attribute("type")!.Value);
        }

        // -c needs qcow2, whichever way raw was chosen.
        var c = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", Path.Combine(_dir, "out2"), "--set", "storage:format=raw", "-c", "--no-guest-fixups");
        Assert.Equal(ExitCodes.Usage, c.ExitCode);
        Assert.Contains("-c needs the qcow2 output format", c.Err, StringComparison.Ordinal);
        Assert.Empty(RunLogFiles.OutputsIn(Path.Combine(_dir, "out2")));
    }

    [Fact]
    public void A_templates_folder_that_does_not_exist_fails_before_anything_is_written()
    {
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--templates", Path.Combine(_dir, "no-such-templates"), "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("--templates", r.Err, StringComparison.Ordinal);
        Assert.Contains("no-such-templates: no such directory", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Empty(RunLogFiles.OutputsIn(outDir));
        var x = CliRunner.Run(_dir, "xml", _vmx, "--templates", Path.Combine(_dir, "no-such-templates"));
        Assert.Equal(ExitCodes.Failure, x.ExitCode);
    }

    [Theory]
    [InlineData("domain.xml", "<domain type='kvm'><name>{{name}}</name>")]
    [InlineData("devices/serial.xml", "<serial type='{{type}}'>")]
    [InlineData("devices/disk.xml", "<disk type='file'><source file='{{no_such_value}}'/></disk>")]
    public void A_broken_template_fails_before_the_first_byte_is_copied(string file, string text)
    {
        var templates = Path.Combine(_dir, "templates");
        Directory.CreateDirectory(Path.Combine(templates, "devices"));
        File.WriteAllText(Path.Combine(templates, file), text);
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--templates", templates, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains(Path.GetFileName(file), r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("wrote", r.Err, StringComparison.Ordinal);
        Assert.Empty(RunLogFiles.OutputsIn(outDir));
    }

    [Fact]
    public void Missing_disk_fails_before_anything_is_written()
    {
        File.Delete(Path.Combine(_dir, "demo.vmdk"));
        var outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir);
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("scsi0:0", r.Err);
        Assert.Empty(RunLogFiles.OutputsIn(outDir));

        // The run's log is kept, and says what went wrong, with the stage it happened in.
        var events = RunLogFiles.SingleLogIn(outDir);
        var error = events.Single(e => e.TryGetProperty("@l", out var l) && l.GetString() == "Error");
        Assert.Contains("scsi0:0", error.GetProperty("Text").GetString(), StringComparison.Ordinal);
        Assert.Equal("check", error.GetProperty("Stage").GetString());
        Assert.Equal("workstation-demo", error.GetProperty("VM").GetString());
    }

    [Fact]
    public void Existing_output_is_never_overwritten()
    {
        var outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        var existing = Path.Combine(outDir, "workstation-demo-sda.qcow2");
        File.WriteAllText(existing, "precious");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir);
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("already exists", r.Err);
        Assert.Equal("precious", File.ReadAllText(existing));
        Assert.False(File.Exists(Path.Combine(outDir, "workstation-demo.xml")));
    }

    [Fact]
    public void Output_options_are_checked_before_copying()
    {
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "convert", _vmx, "-o", "local").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "convert", _vmx, "-o", "glance", "-os", _dir).ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", _dir, "-of", "raw", "-c").ExitCode);
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", "/nonexistent-parent/x");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("does not exist", r.Err);
    }
}
