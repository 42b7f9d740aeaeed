using System.Text;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 11 points 1, 8, 10 and 13, as a user meets them: a VM folder full of planted links never lets a byte from
/// outside reach the output, and a FIFO, a device or a /proc file given as any input is a quick one-line refusal.
/// </summary>
public sealed class InputFileCliTests : IDisposable
{
    private const int MiB = 1 << 20;

    /// <summary>The canary's content: a pattern found nowhere else, searched for in every byte the run wrote.</summary>
    private static readonly byte[] CanaryPattern = Encoding.ASCII.GetBytes("CANARY-7d2e9a-host-file-must-not-leak|");

    private readonly string _dir = RepoPaths.NewTempDir("v2v-inputs");
    private readonly string _vm;
    private readonly string _outside;
    private readonly List<string> _fifos = [];

    public InputFileCliTests()
    {
        _vm = Directory.CreateDirectory(Path.Combine(_dir, "vm")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private static byte[] Canary(int length)
    {
        var b = new byte[length];
        for (var i = 0; i + CanaryPattern.Length <= b.Length; i += CanaryPattern.Length)
        {
            CanaryPattern.CopyTo(b, i);
        }

        return b;
    }

    private static string Vmx(string diskFileName) =>
        $"displayName = \"planted\"\nguestOS = \"debian12-64\"\nmemsize = \"512\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"{diskFileName}\"\n";

    private static string FlatDescriptor(string extent, string cid = "00000001") =>
        $"# Disk DescriptorFile\nversion=1\nCID={cid}\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"{extent}\" 0\n";

    /// <summary>A self-contained monolithicSparse VMDK full of the canary, made by qemu-img; returns its CID.</summary>
    private string SparseCanary(string path)
    {
        var raw = Path.Combine(_outside, "canary-source.raw");
        File.WriteAllBytes(raw, Canary(MiB));
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", raw, path);
        File.Delete(raw);
        var text = Encoding.Latin1.GetString(File.ReadAllBytes(path).AsSpan(0, 64 * 1024));
        var at = text.IndexOf("CID=", StringComparison.Ordinal);
        return text.Substring(at + 4, 8);
    }

    /// <summary>Plants one kind of link in the VM folder; each, without the confinement, puts the canary into the output.</summary>
    private void Plant(string kind)
    {
        switch (kind)
        {
            case "extent":
                File.WriteAllBytes(Path.Combine(_outside, "canary.bin"), Canary(MiB));
                File.CreateSymbolicLink(Path.Combine(_vm, "disk-flat.vmdk"), Path.Combine(_outside, "canary.bin"));
                File.WriteAllText(Path.Combine(_vm, "disk.vmdk"), FlatDescriptor("disk-flat.vmdk"));
                File.WriteAllText(Path.Combine(_vm, "vm.vmx"), Vmx("disk.vmdk"));
                break;
            case "parent":
                var cid = SparseCanary(Path.Combine(_outside, "base.vmdk"));
                File.CreateSymbolicLink(Path.Combine(_vm, "base.vmdk"), Path.Combine(_outside, "base.vmdk"));
                File.WriteAllBytes(Path.Combine(_vm, "disk-delta.vmdk"), EmptyCowd(2048));
                File.WriteAllText(Path.Combine(_vm, "disk.vmdk"), $"version=1\nCID=00000002\nparentCID={cid}\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"base.vmdk\"\nRW 2048 VMFSSPARSE \"disk-delta.vmdk\"\n");
                File.WriteAllText(Path.Combine(_vm, "vm.vmx"), Vmx("disk.vmdk"));
                break;
            case "vmx-disk":
                SparseCanary(Path.Combine(_outside, "other.vmdk"));
                File.CreateSymbolicLink(Path.Combine(_vm, "disk.vmdk"), Path.Combine(_outside, "other.vmdk"));
                File.WriteAllText(Path.Combine(_vm, "vm.vmx"), Vmx("disk.vmdk"));
                break;
            case "folder":
                File.WriteAllBytes(Path.Combine(_outside, "disk-flat.vmdk"), Canary(MiB));
                Directory.CreateSymbolicLink(Path.Combine(_vm, "data"), _outside);
                File.WriteAllText(Path.Combine(_vm, "disk.vmdk"), FlatDescriptor("data/disk-flat.vmdk"));
                File.WriteAllText(Path.Combine(_vm, "vm.vmx"), Vmx("disk.vmdk"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>A COWD (vmfsSparse) delta with no grain allocated: every read falls through to the parent.</summary>
    private static byte[] EmptyCowd(uint capacitySectors)
    {
        const int gtes = 4096;
        var gdEntries = (int)((capacitySectors + gtes - 1) / gtes);
        var b = new byte[(4 * 512) + 512];
        new V2VConverter.Formats.Vmdk.CowdHeader { Version = 1, Flags = 3, Capacity = capacitySectors, GrainSize = 1, GdOffset = 4, NumGdEntries = (uint)gdEntries, FreeSector = 5 }.WriteTo(b);
        return b;
    }

    private static void AssertNoCanaryUnder(string dir)
    {
        foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            Assert.True(File.ReadAllBytes(f).AsSpan().IndexOf(CanaryPattern) < 0, $"{f} holds bytes of the canary outside the VM folder");
        }
    }

    private static bool AnyCanaryUnder(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(CanaryPattern) >= 0);

    private static string OneErrorLine(CliRunner.Result r)
    {
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("v2v: error:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, r.Err);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        return lines[0];
    }

    private CliRunner.Result Run(params string[] args) => Fifo.WithinDeadline(() => CliRunner.Run(_dir, args), [.. _fifos]);

    private string MakeFifo(string path)
    {
        _fifos.Add(path);
        return Fifo.Make(path);
    }

    /// <summary>The proof: a conversion of a folder of planted links reads nothing outside it.</summary>
    [Theory]
    [InlineData("extent")]
    [InlineData("parent")]
    [InlineData("vmx-disk")]
    [InlineData("folder")]
    public void Converting_a_folder_of_planted_links_never_copies_a_byte_from_outside(string kind)
    {
        Tool.Require("qemu-img");
        Plant(kind);
        var outDir = Path.Combine(_dir, "out");
        var r = Run("convert", Path.Combine(_vm, "vm.vmx"), "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = OneErrorLine(r);
        Assert.Contains("outside the VM folder", line, StringComparison.Ordinal);
        Assert.Contains("--allow-absolute-extents", line, StringComparison.Ordinal);
        Assert.Empty(RunLogFiles.OutputsIn(outDir));
        AssertNoCanaryUnder(outDir);
        Assert.DoesNotContain(Encoding.ASCII.GetString(CanaryPattern), r.Out + r.Err, StringComparison.Ordinal);

        // The same folder with the way out opened on purpose: the canary would have reached the output.
        var allowed = Path.Combine(_dir, "allowed");
        var ok = Run("convert", Path.Combine(_vm, "vm.vmx"), "-o", "local", "-os", allowed, "--no-guest-fixups", "--allow-absolute-extents");
        Assert.True(ok.ExitCode == 0, ok.Err);
        Assert.True(AnyCanaryUnder(allowed), "the planted link does not lead to the canary: the test proves nothing");
    }

    [Fact]
    public void Disk_convert_of_a_descriptor_with_a_planted_extent_link_is_refused()
    {
        Plant("extent");
        var output = Path.Combine(_dir, "o.raw");
        var r = Run("disk", "convert", Path.Combine(_vm, "disk.vmdk"), output, "-O", "raw");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("outside the VM folder", OneErrorLine(r), StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Device_files_given_as_inputs_are_refused_without_reading_them()
    {
        File.WriteAllText(Path.Combine(_vm, "vm.vmx"), "displayName = \"d\"\n");
        var vmx = Path.Combine(_vm, "vm.vmx");
        Assert.Contains("/dev/zero is a character device", OneErrorLine(Run("inspect", "/dev/zero")), StringComparison.Ordinal);
        Assert.Contains("/dev/zero is a character device", OneErrorLine(Run("xml", vmx, "--mapping", "/dev/zero")), StringComparison.Ordinal);
        Assert.Contains("/dev/zero is a character device", OneErrorLine(Run("inspect", "esx://root@127.0.0.1:9/", "--vm", "x", "--password-file", "/dev/zero")), StringComparison.Ordinal);
        Assert.Contains("/dev/zero is a character device", OneErrorLine(Run("disk", "info", "/dev/zero")), StringComparison.Ordinal);
    }

    [Fact]
    public void Proc_self_mem_as_a_disk_is_a_clear_refusal_and_writes_nothing()
    {
        var output = Path.Combine(_dir, "mem.qcow2");
        var r = Run("disk", "convert", "/proc/self/mem", output);
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = OneErrorLine(r);
        Assert.Contains("/proc/self/mem", line, StringComparison.Ordinal);
        Assert.Contains("/proc", line, StringComparison.Ordinal);
        Assert.Contains("not a disk image", line, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Contains("not a disk image", OneErrorLine(Run("disk", "info", "/proc/self/mem")), StringComparison.Ordinal);
    }

    [Fact]
    public void An_extent_that_is_a_directory_is_named_as_one()
    {
        Directory.CreateDirectory(Path.Combine(_vm, "disk-flat.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "disk.vmdk"), FlatDescriptor("disk-flat.vmdk"));
        var line = OneErrorLine(Run("disk", "info", Path.Combine(_vm, "disk.vmdk")));
        Assert.Contains("disk-flat.vmdk", line, StringComparison.Ordinal);
        Assert.Contains("is a directory", line, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Fifos_as_vmx_disk_extent_or_descriptor_are_refused_at_once()
    {
        MakeFifo(Path.Combine(_vm, "fifo.vmx"));
        Assert.Contains("is a FIFO", OneErrorLine(Run("inspect", Path.Combine(_vm, "fifo.vmx"))), StringComparison.Ordinal);

        MakeFifo(Path.Combine(_vm, "disk.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "vm.vmx"), Vmx("disk.vmdk"));
        Assert.Contains("is a FIFO", OneErrorLine(Run("convert", Path.Combine(_vm, "vm.vmx"), "-o", "local", "-os", Path.Combine(_dir, "out"), "--no-guest-fixups")), StringComparison.Ordinal);
        Assert.Contains("is a FIFO", OneErrorLine(Run("disk", "info", Path.Combine(_vm, "disk.vmdk"))), StringComparison.Ordinal);
        Assert.Contains("is a FIFO", OneErrorLine(Run("disk", "convert", Path.Combine(_vm, "disk.vmdk"), Path.Combine(_dir, "o.raw"), "-O", "raw")), StringComparison.Ordinal);

        MakeFifo(Path.Combine(_vm, "e-flat.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "e.vmdk"), FlatDescriptor("e-flat.vmdk"));
        var line = OneErrorLine(Run("disk", "info", Path.Combine(_vm, "e.vmdk")));
        Assert.Contains("e-flat.vmdk", line, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Fifos_as_mapping_catalog_or_template_files_are_refused_at_once()
    {
        File.WriteAllText(Path.Combine(_vm, "vm.vmx"), "displayName = \"d\"\n");
        var vmx = Path.Combine(_vm, "vm.vmx");
        var mapping = MakeFifo(Path.Combine(_dir, "map.json"));
        Assert.Contains("map.json is a FIFO", OneErrorLine(Run("xml", vmx, "--mapping", mapping)), StringComparison.Ordinal);

        var mappings = Directory.CreateDirectory(Path.Combine(_dir, "mappings")).FullName;
        MakeFifo(Path.Combine(mappings, "guest-os.json"));
        Assert.Contains("guest-os.json is a FIFO", OneErrorLine(Run("xml", vmx, "--mappings-dir", mappings)), StringComparison.Ordinal);
        File.Delete(Path.Combine(mappings, "guest-os.json"));
        MakeFifo(Path.Combine(mappings, "networks.json"));
        Assert.Contains("networks.json is a FIFO", OneErrorLine(Run("xml", vmx, "--mappings-dir", mappings)), StringComparison.Ordinal);

        var templates = Directory.CreateDirectory(Path.Combine(_dir, "templates")).FullName;
        MakeFifo(Path.Combine(templates, "domain.xml"));
        Assert.Contains("domain.xml is a FIFO", OneErrorLine(Run("xml", vmx, "--templates", templates)), StringComparison.Ordinal);
    }
}
