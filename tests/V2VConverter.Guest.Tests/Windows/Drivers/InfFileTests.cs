using System.Text;
using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.Drivers;

/// <summary>
/// The INF parser on golden files (two INFs made by the fake virtio-win script, kept in data/ so they never skip, and a
/// synthetic one with TargetOSVersion decorations, continuation, comments and quoting), on the same bytes as UTF-16LE,
/// on the fake tree in /tmp/vw when present, and on bad input.
/// </summary>
public sealed class InfFileTests
{
    private const string FakeTree = "/tmp/vw/virtio-win";

    internal static byte[] Data(string name) =>
        File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "V2VConverter.Guest.Tests", "Windows", "Drivers", "data", name));

    [Fact]
    public void Fake_viostor_inf_gives_the_boot_driver_registration_values()
    {
        var inf = InfFile.Parse(Data("fake-viostor-w10-amd64.inf"), "viostor.inf");

        Assert.Equal("SCSIAdapter", inf.Class);
        Assert.Equal("{4D36E97B-E325-11CE-BFC1-08002BE10318}", inf.ClassGuid);
        Assert.Equal("Red Hat, Inc.", inf.Provider);
        Assert.Equal("07/26/2024,100.95.104.26200", inf.DriverVer);
        Assert.Equal("viostor.cat", inf.CatalogFile);
        Assert.Equal(
            [@"PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", @"PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01"],
            inf.HardwareIds("x86_64"));
        Assert.Empty(inf.HardwareIds("i386"));
        var svc = Assert.Single(inf.Services);
        Assert.Equal(new InfService("viostor", 1, 0, 1, @"%12%\viostor.sys", "SCSI miniport"), svc);
        Assert.Equal("VirtIO viostor Installation Disk #1", inf.Section("Strings", "DiskId1"));
    }

    [Fact]
    public void Fake_netkvm_inf_for_x86_has_ntx86_models_and_a_demand_start_ndis_service()
    {
        var inf = InfFile.Parse(Data("fake-netkvm-w10-x86.inf"), "netkvm.inf");

        Assert.Equal("Net", inf.Class);
        Assert.Equal("{4D36E972-E325-11CE-BFC1-08002BE10318}", inf.ClassGuid);
        Assert.Equal([@"PCI\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00", @"PCI\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01"], inf.HardwareIds("i386"));
        Assert.Empty(inf.HardwareIds("x86_64"));
        Assert.Equal(new InfService("netkvm", 1, 3, 1, @"%12%\netkvm.sys", "NDIS"), Assert.Single(inf.Services));
    }

    [Fact]
    public void Utf16le_with_bom_parses_as_the_ascii_file_does()
    {
        var ascii = Data("decorated.inf");
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Encoding.ASCII.GetString(ascii))).ToArray();
        var utf8Bom = Encoding.UTF8.GetPreamble().Concat(ascii).ToArray();
        var utf16NoBom = Encoding.Unicode.GetBytes(Encoding.ASCII.GetString(ascii));

        var expected = InfFile.Parse(ascii, "decorated.inf");
        foreach (var (bytes, label) in new[] { (utf16, "utf16"), (utf8Bom, "utf8bom"), (utf16NoBom, "utf16nobom") })
        {
            var inf = InfFile.Parse(bytes, label);
            Assert.Equal(expected.Class, inf.Class);
            Assert.Equal(expected.Provider, inf.Provider);
            Assert.Equal(expected.HardwareIds("x86_64"), inf.HardwareIds("x86_64"));
            Assert.Equal(expected.Services, inf.Services);
        }
    }

    [Fact]
    public void Decorations_choose_models_per_architecture_across_target_os_versions()
    {
        var inf = InfFile.Parse(Data("decorated.inf"), "decorated.inf");

        // NTamd64.10.0...16299 then NTamd64.6.3 (every amd64 decoration, in [Manufacturer] order, duplicates dropped);
        // the continuation line adds no ID (only the first ID of a model line is its hardware ID).
        Assert.Equal(
            [@"PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", @"PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", @"PCI\VEN_1AF4&DEV_1001&SUBSYS_00000000&REV_00"],
            inf.HardwareIds("x86_64"));
        Assert.Equal([@"PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"], inf.HardwareIds("i386"));
        Assert.Throws<ArgumentException>(() => inf.HardwareIds("aarch64"));
    }

    [Fact]
    public void Undecorated_models_serve_when_the_manufacturer_names_no_decoration()
    {
        var text = "[Version]\nClass=System\n[Manufacturer]\n%M%=Models\n[Models]\n%D%=inst,ACPI\\QEMU0001\n[Strings]\nM=Maker\nD=Dev\n";
        var inf = InfFile.Parse(Encoding.ASCII.GetBytes(text), "plain.inf");

        Assert.Equal([@"ACPI\QEMU0001"], inf.HardwareIds("x86_64"));
        Assert.Equal([@"ACPI\QEMU0001"], inf.HardwareIds("i386"));
    }

    [Fact]
    public void Strings_comments_quotes_and_continuation_are_read_as_windows_reads_them()
    {
        var inf = InfFile.Parse(Data("decorated.inf"), "decorated.inf");

        Assert.Equal("Red Hat, Inc.", inf.Provider);                       // [Strings] before [Strings.0409]
        Assert.Equal("viostor-amd64.cat", inf.CatalogFile);                 // decorated CatalogFile when no plain one
        Assert.Equal("a; not a comment,say \"hi\",100%", inf.Section("Extra", "Quoted"));
        Assert.Equal("one,two,three", inf.Section("Extra", "Long"));
        Assert.Equal("$WINDOWS NT$", inf.Section("version", "SIGNATURE"));
        Assert.Null(inf.Section("Extra", "Missing"));
        Assert.Null(inf.Section("NoSuchSection", "Quoted"));
        // %12% is a directory id, not a string: it stays; numbers come through %strings% and hex.
        Assert.Equal(new InfService("viostor", 1, 0, 1, @"%12%\viostor.sys", "SCSI miniport"), Assert.Single(inf.Services));
    }

    [Fact]
    public void The_fake_tree_infs_parse_when_the_tree_is_present()
    {
        if (!Directory.Exists(FakeTree))
        {
            Assert.Skip($"{FakeTree} is absent (built by ../shared/fixtures/make-fake-virtio-win.sh); the golden copies in data/ cover the same INFs");
        }

        var infs = Directory.GetFiles(FakeTree, "*.inf", SearchOption.AllDirectories);
        Assert.NotEmpty(infs);
        foreach (var path in infs)
        {
            var inf = InfFile.Parse(File.ReadAllBytes(path), path);
            Assert.NotNull(inf.ClassGuid);
            var arch = path.Contains("/x86/", StringComparison.Ordinal) || path.Contains("/i386/", StringComparison.Ordinal) ? "i386" : "x86_64";
            if (Path.GetFileName(path) is "viostor.inf" or "vioscsi.inf" or "netkvm.inf")
            {
                Assert.NotEmpty(inf.HardwareIds(arch));
                Assert.Contains(inf.Services, s => s.ServiceBinary == $@"%12%\{Path.GetFileNameWithoutExtension(path)}.sys");
            }
        }

        var viostor = InfFile.Parse(File.ReadAllBytes(Path.Combine(FakeTree, "viostor", "2k22", "amd64", "viostor.inf")), "viostor.inf");
        Assert.Equal(0, Assert.Single(viostor.Services).StartType);
    }

    [Fact]
    public void Binary_garbage_is_invalid_data_naming_the_file()
    {
        var garbage = new byte[4096];
        new Random(14).NextBytes(garbage);
        garbage[0] = 0x5B; // '[' so it does not start like a BOM by chance
        garbage[1] = 0x01;

        var e = Assert.Throws<InvalidDataException>(() => InfFile.Parse(garbage, "garbage.inf"));
        Assert.Contains("garbage.inf", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "no [Version] section")]
    [InlineData("[Strings]\nA=1\n", "no [Version] section")]
    [InlineData("[Version\nClass=Net\n", "has no ']'")]
    [InlineData("[Version]\n[x.Services]\nAddService=s,2,inst\n[inst]\nStartType=boot\n", "'boot' is not a number")]
    public void Malformed_text_is_invalid_data_naming_the_file_and_the_fault(string text, string fault)
    {
        var e = Assert.Throws<InvalidDataException>(() => InfFile.Parse(Encoding.ASCII.GetBytes(text), "bad.inf"));
        Assert.Contains("bad.inf", e.Message, StringComparison.Ordinal);
        Assert.Contains(fault, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_4_MiB_is_refused_before_decoding()
    {
        var big = new byte[(4 * 1024 * 1024) + 1];
        big.AsSpan().Fill((byte)' ');

        var e = Assert.Throws<InvalidDataException>(() => InfFile.Parse(big, "huge.inf"));
        Assert.Contains("huge.inf", e.Message, StringComparison.Ordinal);
        Assert.Contains("4 MiB", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ansi_text_that_is_not_utf8_is_read_as_latin1()
    {
        var bytes = Encoding.Latin1.GetBytes("[Version]\nProvider=%P%\n[Strings]\nP=\"Caf\u00e9 \u00a9\"\n");

        Assert.Equal("Caf\u00e9 \u00a9", InfFile.Parse(bytes, "ansi.inf").Provider);
    }
}
