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
