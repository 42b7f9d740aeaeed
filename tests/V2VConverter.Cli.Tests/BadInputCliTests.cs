using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>Every bad input: a clear one-line message naming file and field, a documented exit code, no stack trace, no output file.</summary>
public sealed class BadInputCliTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-bad");

    public void Dispose() => Directory.Delete(_dir, true);

    private CliRunner.Result Xml(string vmx)
    {
        var outFile = Path.Combine(_dir, "out.xml");
        var r = CliRunner.Run(_dir, "xml", vmx, "-o", outFile);
        Assert.False(File.Exists(outFile), "no output file may be left on failure");
        Assert.Empty(Directory.GetFiles(_dir, "*v2v-tmp*", SearchOption.AllDirectories));
        return r;
    }

    private static void AssertOneLineError(CliRunner.Result r, int code, params string[] mentions)
    {
        Assert.Equal(code, r.ExitCode);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("v2v: error:", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        foreach (var m in mentions)
        {
            Assert.Contains(m, line);
        }

        Assert.DoesNotContain("   at ", r.Err); // no stack trace
    }

    [Fact]
    public void Missing_file()
    {
        var r = Xml(Path.Combine(_dir, "nope.vmx"));
        AssertOneLineError(r, ExitCodes.Failure, "nope.vmx", "no such file");
    }

    [Fact]
    public void A_directory()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "d.vmx"));
        AssertOneLineError(Xml(Path.Combine(_dir, "d.vmx")), ExitCodes.Failure, "d.vmx", "directory");
    }

    [Fact]
    public void Binary_garbage()
    {
        var bytes = new byte[10000];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(_dir, "g.vmx"), bytes);
        AssertOneLineError(Xml(Path.Combine(_dir, "g.vmx")), ExitCodes.Failure, "g.vmx");
    }

    [Fact]
    public void Non_utf8_without_encoding()
    {
        File.WriteAllBytes(Path.Combine(_dir, "l1.vmx"), [.. "displayName = \"Caf"u8, 0xE9, .. "\"\n"u8]);
        AssertOneLineError(Xml(Path.Combine(_dir, "l1.vmx")), ExitCodes.Failure, "l1.vmx:1", ".encoding");
    }

    [Fact]
    public void Unterminated_quote()
    {
        File.WriteAllText(Path.Combine(_dir, "q.vmx"), "displayName = \"x\"\nmemsize = \"1024\n");
        AssertOneLineError(Xml(Path.Combine(_dir, "q.vmx")), ExitCodes.Failure, "q.vmx:2", "memsize", "unterminated");
    }

    [Fact]
    public void Fifty_megabyte_file()
    {
        var p = Path.Combine(_dir, "big.vmx");
        using (var f = File.Create(p))
        {
            f.SetLength(50L * 1024 * 1024);
        }

        AssertOneLineError(Xml(p), ExitCodes.Failure, "big.vmx", "at most");
    }

    [Fact]
    public void Missing_memsize_is_a_default_with_a_warning_not_an_error()
    {
        File.WriteAllText(Path.Combine(_dir, "m.vmx"), "displayName = \"m\"\n");
        var r = CliRunner.Run(_dir, "xml", Path.Combine(_dir, "m.vmx"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("memsize is missing", r.Err);
        Assert.Contains("<memory unit=\"KiB\">32768</memory>", r.Out);
    }

    [Fact]
    public void Disk_name_that_resolves_to_something_other_than_a_vmdk()
    {
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "not a disk\n");
        File.WriteAllText(Path.Combine(_dir, "s.vmx"), "displayName = \"s\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"notes.txt\"\n");
        AssertOneLineError(Xml(Path.Combine(_dir, "s.vmx")), ExitCodes.Failure, "s.vmx:4", "scsi0:0.fileName", "not a VMDK");

        // Out of the VM folder nothing is read, not even to probe it: convert refuses it by name (issue 11 point 1).
        File.WriteAllText(Path.Combine(_dir, "o.vmx"), "displayName = \"o\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"../../../../../../../../../../etc/shadow\"\n");
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", Path.Combine(_dir, "o.vmx"), "-os", outDir, "--no-guest-fixups");
        AssertOneLineError(r, ExitCodes.Failure, "/etc/shadow", "outside the VM folder", "--allow-absolute-extents");
    }

    [Fact]
    public void Usage_errors_exit_2()
    {
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "frobnicate").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "xml").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "xml", "a.vmx", "--no-such-option").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "xml", "a.vmx", "-of", "vdi").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir, "xml", "a.vmx", "--bridge", ":br0").ExitCode);
        Assert.Equal(ExitCodes.Usage, CliRunner.Run(_dir).ExitCode);
        Assert.Equal(ExitCodes.Success, CliRunner.Run(_dir, "--help").ExitCode);
    }

    [Fact]
    public void Verbose_shows_details()
    {
        var r = CliRunner.Run(_dir, "-v", "xml", Path.Combine(_dir, "nope.vmx"));
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("FileNotFoundException", r.Err);
    }

    [Fact]
    public void Unknown_tuning_profile_names_the_known_ones()
    {
        File.WriteAllText(Path.Combine(_dir, "t.vmx"), "displayName = \"t\"\nmemsize = \"64\"\n");
        Assert.Equal(0, CliRunner.Run(_dir, "xml", Path.Combine(_dir, "t.vmx"), "--tuning", "balanced").ExitCode);
        var bad = CliRunner.Run(_dir, "xml", Path.Combine(_dir, "t.vmx"), "--tuning", "warp");
        AssertOneLineError(bad, ExitCodes.Failure, "warp", "performance");
    }

    [Fact]
    public void A_missing_native_library_is_a_one_line_failure_not_an_internal_error()
    {
        var (code, message) = V2VConverter.Cli.Infrastructure.ErrorReporter.Classify(new DllNotFoundException(
            "Unable to load shared library 'libguestfs.so.0' or one of its dependencies.\n/usr/share/dotnet/libguestfs.so.0.so: cannot open shared object file: No such file or directory\nlibguestfs.so.0: cannot open shared object file"));

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("libguestfs is not installed: apt-get install libguestfs-tools", message);
    }
}
