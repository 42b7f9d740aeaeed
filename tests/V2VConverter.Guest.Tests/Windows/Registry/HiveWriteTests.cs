using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Tests.Windows.Registry;

/// <summary>Hive writes, committed and then read by the oracle, <c>hivexregedit --export</c>.</summary>
public sealed class HiveWriteTests
{
    private const string Start = """
        [HKEY_LOCAL_MACHINE\SYSTEM\A]
        "Keep"=str(1):"k"
        "D"=dword:00000001

        [HKEY_LOCAL_MACHINE\SYSTEM\A\B]
        "V"=dword:00000002

        [HKEY_LOCAL_MACHINE\SYSTEM\A\B\C]
        "W"=hex(3):01

        [HKEY_LOCAL_MACHINE\SYSTEM\A\Other]

        """;

    [Fact]
    public void Values_of_every_kind_are_written_as_hivexregedit_exports_them()
    {
        var path = HiveFiles.NewHive(Start);
        using (var hive = Hive.Open(path, writable: true))
        {
            hive.SetValue("A", "Sz", RegValue.Sz("hello"));
            hive.SetValue("A", "Expand", RegValue.ExpandSz("%a%"));
            hive.SetValue("A", "Multi", RegValue.MultiSz("a", "b"));
            hive.SetValue("A", "Dw", RegValue.Dword(10));
            hive.SetValue("A", "Qw", RegValue.Qword(0x0102030405060708));
            hive.SetValue("A", "Bin", RegValue.Binary([0xde, 0xad, 0xbe, 0xef]));
            hive.SetValue("A", "", RegValue.Sz("d"));
            hive.Commit();
        }

        var key = HiveFiles.ExportedKey(HiveFiles.Export(path), "A");

        Assert.Equal(
            [
                "\"Bin\"=hex(3):de,ad,be,ef",
                "\"D\"=dword:00000001",
                "\"Dw\"=dword:0000000a",
                "\"Expand\"=hex(2):25,00,61,00,25,00,00,00",
                "\"Keep\"=hex(1):6b,00,00,00",
                "\"Multi\"=hex(7):61,00,00,00,62,00,00,00,00,00",
                "\"Qw\"=hex(b):08,07,06,05,04,03,02,01",
                "\"Sz\"=hex(1):68,00,65,00,6c,00,6c,00,6f,00,00,00",
                "@=hex(1):64,00,00,00",
            ],
            key.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Setting_a_value_replaces_only_that_value_found_case_insensitively()
    {
        var path = HiveFiles.NewHive(Start);
        using (var hive = Hive.Open(path, writable: true))
        {
            hive.SetValue("a", "d", RegValue.Dword(0));
            hive.Commit();
        }

        var export = HiveFiles.Export(path);

        var key = HiveFiles.ExportedKey(export, "A");
        Assert.Equal(2, key.Count);
        Assert.Contains("\"Keep\"=hex(1):6b,00,00,00", key);
        Assert.Single(key, l => l.StartsWith("\"D\"=", StringComparison.OrdinalIgnoreCase) && l.EndsWith("=dword:00000000", StringComparison.Ordinal));
        Assert.Equal(["\"V\"=dword:00000002"], HiveFiles.ExportedKey(export, @"A\B"));
    }

    [Fact]
    public void A_deleted_value_is_gone_and_the_others_survive()
    {
        var path = HiveFiles.NewHive(Start);
        using (var hive = Hive.Open(path, writable: true))
        {
            Assert.True(hive.DeleteValue("A", "d"));
            Assert.False(hive.DeleteValue("A", "D"));
            Assert.False(hive.DeleteValue(@"A\Missing", "D"));
            hive.Commit();
        }

        var export = HiveFiles.Export(path);

        Assert.Equal(["\"Keep\"=hex(1):6b,00,00,00"], HiveFiles.ExportedKey(export, "A"));
        Assert.Equal(["\"W\"=hex(3):01"], HiveFiles.ExportedKey(export, @"A\B\C"));
    }

    [Fact]
    public void A_deleted_key_takes_its_whole_tree_and_nothing_else()
    {
        var path = HiveFiles.NewHive(Start);
        using (var hive = Hive.Open(path, writable: true))
        {
            Assert.True(hive.DeleteKey(@"a\b"));
            Assert.False(hive.DeleteKey(@"A\B"));
            Assert.False(hive.KeyExists(@"A\B\C"));
            hive.Commit();
        }

        var export = HiveFiles.Export(path);

        Assert.DoesNotContain(HiveFiles.KeyLine(@"A\B"), export);
        Assert.DoesNotContain(HiveFiles.KeyLine(@"A\B\C"), export);
        Assert.Contains(HiveFiles.KeyLine(@"A\Other"), export);
        Assert.Equal(2, HiveFiles.ExportedKey(export, "A").Count);
    }

    [Fact]
    public void Creating_a_nested_key_creates_its_missing_parents()
    {
        var path = HiveFiles.NewHive(Start);
        using (var hive = Hive.Open(path, writable: true))
        {
            hive.CreateKey(@"a\New\Deeper\Deepest");
            hive.CreateKey(@"A\New");
            hive.SetValue(@"A\New\Deeper\Deepest", "X", RegValue.Dword(7));
            hive.Commit();
        }

        var export = HiveFiles.Export(path);

        Assert.Empty(HiveFiles.ExportedKey(export, @"A\New"));
        Assert.Empty(HiveFiles.ExportedKey(export, @"A\New\Deeper"));
        Assert.Equal(["\"X\"=dword:00000007"], HiveFiles.ExportedKey(export, @"A\New\Deeper\Deepest"));
        Assert.Single(export, l => l.StartsWith(HiveFiles.KeyLine(@"A\New")[..^1], StringComparison.OrdinalIgnoreCase) && l.Length == HiveFiles.KeyLine(@"A\New").Length);
    }

    [Fact]
    public void Commit_to_another_path_leaves_the_original_alone()
    {
        var path = HiveFiles.NewHive(Start);
        var original = File.ReadAllBytes(path);
        var copy = path + ".new";
        using (var hive = Hive.Open(path, writable: true))
        {
            hive.SetValue("A", "D", RegValue.Dword(5));
            hive.Commit(copy);
        }

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Contains("\"D\"=dword:00000005", HiveFiles.ExportedKey(HiveFiles.Export(copy), "A"));
    }

    [Fact]
    public void Uncommitted_edits_do_not_reach_the_file()
    {
        var path = HiveFiles.NewHive(Start);
        var original = File.ReadAllBytes(path);
        using (var hive = Hive.Open(path, writable: true))
        {
            hive.DeleteKey("A");
            Assert.False(hive.KeyExists("A"));
        }

        Assert.Equal(original, File.ReadAllBytes(path));
    }
}
