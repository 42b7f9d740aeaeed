using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// The -o libvirt options without a daemon: the dry runs show the volumes that would be created, and option
/// mistakes are usage errors. (The conversions themselves run against a real libvirtd: LibvirtConvertTests.)
/// </summary>
public sealed class LibvirtOptionsCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-libvirt-cli");
    private readonly string _vmx;

    public LibvirtOptionsCliTests()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        foreach (var f in Directory.GetFiles(sample))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        _vmx = Path.Combine(_dir, "demo.vmx");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Xml_with_o_libvirt_plans_volumes_in_the_os_pool()
    {
        var r = CliRunner.Run(_dir, "xml", _vmx, "-o", "libvirt", "-os", "fast", "-of", "raw");
        Assert.True(r.ExitCode == 0, r.Err);
        var disk = XDocument.Parse(r.Out).Descendants("disk").Single(d => (string?)d.Attribute("device") == "disk");
        Assert.Equal("volume", (string?)disk.Attribute("type"));
        Assert.Equal("fast", disk.Element("source")!.Attribute("pool")!.Value);
        Assert.Equal("workstation-demo-sda.raw", disk.Element("source")!.Attribute("volume")!.Value);
        Assert.Equal("raw", disk.Element("driver")!.Attribute("type")!.Value);
        Assert.False(File.Exists(Path.Combine(_dir, "libvirt")), "-o libvirt is the output mode, not a file");
        XmlValidator.AssertValidDomain(r.Out, "xml -o libvirt");
    }

    [Fact]
    public void Xml_without_os_plans_the_default_pool_and_a_file_named_libvirt_is_still_possible()
    {
        var r = CliRunner.Run(_dir, "xml", _vmx, "-o", "libvirt");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal("default", XDocument.Parse(r.Out).Descendants("source").First(s => s.Attribute("pool") is not null).Attribute("pool")!.Value);

        var f = CliRunner.Run(_dir, "xml", _vmx, "-o", "./libvirt");
        Assert.True(f.ExitCode == 0, f.Err);
        Assert.Contains("<domain", File.ReadAllText(Path.Combine(_dir, "libvirt")), StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_with_o_libvirt_lists_the_volumes()
    {
        var r = CliRunner.Run(_dir, "inspect", _vmx, "-o", "libvirt", "-os", "fast");
        Assert.True(r.ExitCode == 0, r.Err);
        var lines = r.Out.Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith("Volumes", StringComparison.Ordinal));
        Assert.True(at >= 0, r.Out);
        Assert.Contains(lines.Skip(at), l => l.StartsWith("fast ", StringComparison.Ordinal) && l.Contains("workstation-demo-sda.qcow2", StringComparison.Ordinal) && l.Contains("qcow2", StringComparison.Ordinal));
        Assert.Contains("pool fast volume workstation-demo-sda.qcow2", r.Out, StringComparison.Ordinal);

        var local = CliRunner.Run(_dir, "inspect", _vmx, "-os", Path.Combine(_dir, "out"));
        Assert.DoesNotContain("Volumes", local.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-oc applies to -o libvirt", "-o", "local", "-os", "out", "-oc", "qemu:///system")]
    [InlineData("--start applies to -o libvirt", "-o", "local", "-os", "out", "--start")]
    [InlineData("--ignore-space applies to -o libvirt", "-o", "local", "-os", "out", "--ignore-space")]
    [InlineData("--start and --define-only exclude each other", "-o", "libvirt", "-os", "p", "--start", "--define-only")]
    [InlineData("-os needs a storage pool name", "-o", "libvirt", "-os", "")]
    public void Option_mistakes_are_usage_errors_before_anything_is_opened(string message, params string[] options)
    {
        var r = CliRunner.Run(_dir, ["convert", _vmx, .. options]);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }
}
