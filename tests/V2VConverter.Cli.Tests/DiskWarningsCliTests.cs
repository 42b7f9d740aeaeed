using System.Text.Json;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 11 point 5: a cut streamOptimized disk is an error by default, and with <c>--allow-truncated</c> a warning that
/// reaches the console and the report; every other format warning (unclean shutdown) reaches them the same way.
/// </summary>
public sealed class DiskWarningsCliTests : IDisposable
{
    /// <summary>Byte offset of the uncleanShutdown flag in a KDMV header (VDF 1.1).</summary>
    private const int UncleanShutdownOffset = 72;

    private readonly string _dir = RepoPaths.NewTempDir("v2v-diskwarn");
    private readonly string _vmx;

    public DiskWarningsCliTests()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        foreach (var f in Directory.GetFiles(sample))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        _vmx = Path.Combine(_dir, "demo.vmx");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>
    /// demo.vmdk becomes a qemu-made streamOptimized copy of itself, cut at half its length: inside its grains (qemu
    /// pads the file after the end-of-stream marker, so a cut further on may cut only padding, which is no cut).
    /// qemu-img, the oracle, must see a different disk.
    /// </summary>
    private string CutDemoDisk()
    {
        Tool.Require("qemu-img");
        var demo = Path.Combine(_dir, "demo.vmdk");
        var stream = Path.Combine(_dir, "stream.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "vmdk", "-O", "vmdk", "-o", "subformat=streamOptimized", demo, stream);
        var bytes = File.ReadAllBytes(stream);
        File.WriteAllBytes(demo, bytes.AsSpan(0, (bytes.Length / 2) + 777).ToArray());
        Assert.NotEqual(0, Tool.Run("qemu-img", ["compare", stream, demo]).ExitCode);
        File.Delete(stream);
        return demo;
    }

    private static IReadOnlyList<string> ReportWarnings(string outDir)
    {
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "workstation-demo.report.json")));
        return report.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
    }

    [Fact]
    public void Convert_of_a_cut_stream_fails_naming_the_last_good_grain()
    {
        var disk = CutDemoDisk();
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains(disk, r.Err, StringComparison.Ordinal);
        Assert.Contains("last good grain", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "workstation-demo.report.json")));
    }

    [Fact]
    public void Convert_with_allow_truncated_warns_on_the_console_and_in_the_report()
    {
        CutDemoDisk();
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--no-guest-fixups", "--allow-truncated");
        Assert.True(r.ExitCode == ExitCodes.Success, r.Err);
        Assert.Contains("truncated", r.Err, StringComparison.Ordinal);
        Assert.Contains(ReportWarnings(outDir), w => w.Contains("truncated", StringComparison.Ordinal) && w.Contains("ZEROS", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unclean_shutdown_warning_reaches_the_console_and_the_report()
    {
        var demo = Path.Combine(_dir, "demo.vmdk");
        using (var f = File.OpenWrite(demo))
        {
            f.Position = UncleanShutdownOffset;
            f.WriteByte(1);
        }

        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", _vmx, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.True(r.ExitCode == ExitCodes.Success, r.Err);
        Assert.Contains("not closed cleanly", r.Err, StringComparison.Ordinal);
        Assert.Contains(ReportWarnings(outDir), w => w.Contains("not closed cleanly", StringComparison.Ordinal));
    }

    [Fact]
    public void Disk_convert_of_a_cut_stream_fails_and_warns_with_allow_truncated()
    {
        var disk = CutDemoDisk();
        var r = CliRunner.Run(_dir, "disk", "convert", disk, Path.Combine(_dir, "a.raw"));
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("last good grain", r.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "a.raw")));

        var ok = CliRunner.Run(_dir, "disk", "convert", disk, Path.Combine(_dir, "b.raw"), "--allow-truncated");
        Assert.True(ok.ExitCode == ExitCodes.Success, ok.Err);
        Assert.Contains("truncated", ok.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Disk_convert_does_not_probe_a_raw_image_with_a_descriptor_in_sector_0_as_a_vmdk()
    {
        File.WriteAllBytes(Path.Combine(_dir, "secret-flat.vmdk"), Enumerable.Repeat((byte)0x5A, 1024 * 1024).ToArray());
        var image = new byte[4 * 1024 * 1024];
        System.Text.Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"secret-flat.vmdk\" 0\n").CopyTo(image, 0);
        image[1 << 20] = 7;
        var raw = Path.Combine(_dir, "guest.img");
        File.WriteAllBytes(raw, image);
        var output = Path.Combine(_dir, "copy.raw");
        var r = CliRunner.Run(_dir, "disk", "convert", raw, output);
        Assert.True(r.ExitCode == ExitCodes.Success, r.Err);
        Assert.Equal(image, File.ReadAllBytes(output));
    }
}
