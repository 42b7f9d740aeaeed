using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Tests.Windows.Registry;

/// <summary>Hive reads of values merged into a real hive by hivexregedit.</summary>
public sealed class HiveReadTests
{
    private const string Sample = """
        [HKEY_LOCAL_MACHINE\SYSTEM\A]
        @="def"
        "S"=str(1):"hello"
        "E"=str(2):"%SystemRoot%\\x"
        "M"=hex(7):61,00,00,00,62,00,00,00,00,00
        "D"=dword:0000000a
        "Q"=hex(b):08,07,06,05,04,03,02,01
        "B"=hex(3):de,ad
        "Z"=hex(3):

        [HKEY_LOCAL_MACHINE\SYSTEM\A\Child1]

        [HKEY_LOCAL_MACHINE\SYSTEM\A\Child2]

        """;

    [Fact]
    public void Values_of_each_kind_read_back_as_merged()
    {
        using var hive = Hive.Open(HiveFiles.NewHive(Sample), writable: false);

        Assert.Equal(RegValue.Sz("def"), hive.GetValue("A", ""));
        Assert.Equal(RegValue.Sz("hello"), hive.GetValue("A", "S"));
        Assert.Equal(RegValue.ExpandSz(@"%SystemRoot%\x"), hive.GetValue("A", "E"));
        Assert.Equal(RegValue.MultiSz("a", "b"), hive.GetValue("A", "M"));
        Assert.Equal(10u, hive.GetValue("A", "D")!.Value.AsDword());
        Assert.Equal(RegValue.Dword(10), hive.GetValue("A", "D"));
        Assert.Equal(0x0102030405060708UL, hive.GetValue("A", "Q")!.Value.AsQword());
        Assert.Equal(RegValue.Binary([0xde, 0xad]), hive.GetValue("A", "B"));
        Assert.Equal(RegValue.Binary([]), hive.GetValue("A", "Z"));
    }

    [Fact]
    public void Values_lists_every_value_with_the_default_as_empty_name()
    {
        using var hive = Hive.Open(HiveFiles.NewHive(Sample), writable: false);

        var values = hive.Values("A");

        Assert.Equal(["", "B", "D", "E", "M", "Q", "S", "Z"], values.Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.Equal(RegValue.Sz("hello"), values.Single(v => v.Name == "S").Value);
        Assert.Equal(RegKind.MultiSz, values.Single(v => v.Name == "M").Value.Kind);
    }

    [Fact]
    public void Keys_and_values_are_found_case_insensitively()
    {
        using var hive = Hive.Open(HiveFiles.NewHive(Sample), writable: false);

        Assert.True(hive.KeyExists("a"));
        Assert.True(hive.KeyExists(@"a\CHILD1"));
        Assert.Equal(RegValue.Sz("hello"), hive.GetValue("a", "s"));
        Assert.Equal(["Child1", "Child2"], hive.SubkeyNames("a").Order(StringComparer.Ordinal));
        Assert.Equal(["A"], hive.SubkeyNames(""));
    }

    [Fact]
    public void Missing_keys_and_values_read_as_empty_or_null()
    {
        using var hive = Hive.Open(HiveFiles.NewHive(Sample), writable: false);

        Assert.False(hive.KeyExists(@"A\Nope"));
        Assert.Empty(hive.SubkeyNames(@"A\Nope"));
        Assert.Empty(hive.Values(@"Nope\Deeper"));
        Assert.Null(hive.GetValue(@"A\Nope", "S"));
        Assert.Null(hive.GetValue("A", "Nope"));
        Assert.Empty(hive.Values(@"A\Child1"));
    }

    [Fact]
    public void The_shared_system_sample_reads_as_windows_wrote_it()
    {
        var reg = Path.Combine(HiveFiles.Corpus(), "windows-system.reg");
        using var hive = Hive.Open(HiveFiles.NewHive(File.ReadAllText(reg)), writable: false);

        Assert.Equal(1u, hive.GetValue("Select", "Current")!.Value.AsDword());
        Assert.Equal("windows.invalid", hive.GetValue(@"ControlSet001\Services\Tcpip\Parameters", "Hostname")!.Value.AsString());
        Assert.Equal(RegValue.Binary([0x31, 0x32, 0x33, 0x34, 0, 0, 0, 0x10, 0, 0, 0, 0]), hive.GetValue("MountedDevices", @"\DosDevices\C:"));
    }
}
