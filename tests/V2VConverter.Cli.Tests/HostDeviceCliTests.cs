using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 11 point 3 at the command line: host paths from the VMX stay out of the XML unless --keep-host-devices
/// (on xml, inspect and convert); the warnings reach stderr and NAME.report.json.
/// </summary>
public sealed class HostDeviceCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-hostdev-cli");
    private readonly string _vmx;

    public HostDeviceCliTests()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        foreach (var f in Directory.GetFiles(sample))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        _vmx = Path.Combine(_dir, "demo.vmx");
        var text = File.ReadAllText(_vmx).Replace("serial0.fileName = \"serial0.log\"", "serial0.fileName = \"/etc/passwd\"", StringComparison.Ordinal);
        File.WriteAllText(_vmx, text + "parallel0.present = \"TRUE\"\nparallel0.fileType = \"device\"\nparallel0.fileName = \"/dev/parport0\"\n");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Xml_leaves_host_paths_out_and_says_so_unless_kept()
    {
        var r = CliRunner.Run(_dir, "xml", _vmx);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("/etc/passwd", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("/dev/parport0", r.Out, StringComparison.Ordinal);
        Assert.Contains("serial0.fileName = \"/etc/passwd\"", r.Err, StringComparison.Ordinal);
        Assert.Contains("parallel0.fileName = \"/dev/parport0\"", r.Err, StringComparison.Ordinal);

        var kept = CliRunner.Run(_dir, "xml", _vmx, "--keep-host-devices");
        Assert.True(kept.ExitCode == 0, kept.Err);
        Assert.Contains("/etc/passwd", kept.Out, StringComparison.Ordinal);
        Assert.Contains("/dev/parport0", kept.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--keep-host-devices keeps it", kept.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_lists_a_port_it_does_not_carry()
    {
        var r = CliRunner.Run(_dir, "inspect", _vmx);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("parallel parallel0", r.Out, StringComparison.Ordinal);
        Assert.Contains("not carried", r.Out, StringComparison.Ordinal);
        Assert.Contains("safety#host-devices", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_takes_the_option()
    {
        var r = CliRunner.Run(_dir, "inspect", _vmx, "--keep-host-devices", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("option --keep-host-devices", r.Out + r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_writes_the_warnings_into_the_report()
    {
        Tool.Require("qemu-img");
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("/etc/passwd", File.ReadAllText(Path.Combine(outDir, "workstation-demo.xml")), StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "workstation-demo.report.json")));
        var warnings = report.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.ToString()).ToList();
        Assert.Contains(warnings, w => w.Contains("serial0.fileName", StringComparison.Ordinal) && w.Contains("/etc/passwd", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("parallel0.fileName", StringComparison.Ordinal));

        var outKept = Path.Combine(_dir, "kept");
        var k = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outKept, "--no-guest-fixups", "--keep-host-devices");
        Assert.True(k.ExitCode == 0, k.Err);
        Assert.Contains("/etc/passwd", File.ReadAllText(Path.Combine(outKept, "workstation-demo.xml")), StringComparison.Ordinal);
    }
}
