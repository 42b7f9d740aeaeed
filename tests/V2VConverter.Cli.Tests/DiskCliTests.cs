using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary><c>disk convert X.vmdk OUT -O raw</c> writes exactly what <c>qemu-img convert -O raw</c> writes.</summary>
public sealed class DiskCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-diskcli");

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("monolithicSparse")]
    [InlineData("streamOptimized")]
    [InlineData("twoGbMaxExtentFlat")]
    public void Raw_output_equals_qemu_img_byte_for_byte(string subformat)
    {
        Tool.Require("qemu-img");
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk");
        var vmdk = Path.Combine(_dir, subformat + ".vmdk");
        Tool.Check("qemu-img", "convert", "-f", "vmdk", "-O", "vmdk", "-o", $"subformat={subformat}", sample, vmdk);
        var ours = Path.Combine(_dir, "ours.raw");
        var theirs = Path.Combine(_dir, "theirs.raw");
        var r = CliRunner.Run(_dir, "disk", "convert", vmdk, ours, "-O", "raw");
        Assert.True(r.ExitCode == 0, r.Err);
        Tool.Check("qemu-img", "convert", "-f", "vmdk", "-O", "raw", vmdk, theirs);
        Assert.Equal(0, Tool.Run("cmp", [ours, theirs]).ExitCode);

        var info = CliRunner.Run(_dir, "disk", "info", vmdk, "--json");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains(subformat, info.Out);
    }

    /// <summary>Issue 11 point 10: disk info and disk convert honour a cancellation (Ctrl+C, SIGTERM) in their open and scan loops.</summary>
    [Theory]
    [InlineData("info")]
    [InlineData("convert")]
    public void A_cancelled_disk_command_stops_with_the_interrupted_exit_code_and_writes_nothing(string command)
    {
        Tool.Require("qemu-img");
        var vmdk = Path.Combine(_dir, "stream.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "vmdk", "-O", "vmdk", "-o", "subformat=streamOptimized", Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk"), vmdk);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var (o, e) = (new StringWriter(), new StringWriter());
        using var context = new CliContext(o, e, _dir, new Dictionary<string, string?> { ["HOME"] = _dir }) { Cancellation = cts.Token };
        var output = Path.Combine(_dir, "out.qcow2");
        string[] args = command == "info" ? ["disk", "info", vmdk] : ["disk", "convert", vmdk, output];

        Assert.Equal(ExitCodes.Interrupted, CommandLine.Run(args, context));
        Assert.Contains("interrupted", e.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.GetFiles(_dir, ".*v2v-tmp*"));
    }

    [Fact]
    public void Disk_info_json_is_a_versioned_document_with_qemu_img_keys()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk");
        var info = CliRunner.Run(_dir, "disk", "info", sample, "--json");
        Assert.True(info.ExitCode == 0, info.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(info.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("monolithicSparse", doc.RootElement.GetProperty("subformat").GetString());
        Assert.Equal(64L << 20, doc.RootElement.GetProperty("virtual-size").GetInt64());
    }

    [Fact]
    public void Corrupt_vmdk_is_a_one_line_error_with_exit_1()
    {
        var bad = Path.Combine(_dir, "bad.vmdk");
        var header = new byte[512];
        "KDMV"u8.CopyTo(header);
        header[4] = 1;
        BitConverter.TryWriteBytes(header.AsSpan(12), long.MaxValue / 512); // capacity: absurd
        BitConverter.TryWriteBytes(header.AsSpan(20), 128L);
        File.WriteAllBytes(bad, header);
        var r = CliRunner.Run(_dir, "disk", "convert", bad, Path.Combine(_dir, "o.raw"), "-O", "raw");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("bad.vmdk", r.Err);
        Assert.Contains("capacity", r.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "o.raw")));
        Assert.DoesNotContain("   at ", r.Err);
    }
}

/// <summary>--machine-readable: JSON progress lines on stdout, for disk convert and convert.</summary>
public sealed class MachineReadableProgressTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-progress");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Disk_convert_and_convert_print_json_progress_lines()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        foreach (var f in Directory.GetFiles(sample))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        var d = CliRunner.Run(_dir, "disk", "convert", Path.Combine(_dir, "demo.vmdk"), Path.Combine(_dir, "o.qcow2"), "-O", "qcow2", "--machine-readable");
        Assert.True(d.ExitCode == 0, d.Err);
        AssertProgress(d.Out);

        var c = CliRunner.Run(_dir, "convert", Path.Combine(_dir, "demo.vmx"), "-o", "local", "-os", Path.Combine(_dir, "out"), "--no-guest-fixups", "--machine-readable");
        Assert.True(c.ExitCode == 0, c.Err);
        AssertProgress(c.Out);
    }

    private static void AssertProgress(string stdout)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "progress")
            .ToList();
        Assert.NotEmpty(lines);
        var last = lines[^1];
        Assert.Equal(last.GetProperty("total").GetInt64(), last.GetProperty("done").GetInt64());
    }
}
