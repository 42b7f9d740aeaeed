using V2VConverter.Guest.Windows.Registry;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.Registry;

/// <summary>What Hive refuses: files that are not hives, writes to a read-only hive, misuse.</summary>
public sealed class HiveErrorTests
{
    [Fact]
    public void A_file_that_is_not_a_hive_is_invalid_data_naming_the_path()
    {
        HiveFiles.Corpus();
        var path = Path.Combine(RepoPaths.NewTempDir("v2v-hive"), "not-a-hive");
        File.WriteAllText(path, new string('x', 8192));

        var e = Assert.Throws<InvalidDataException>(() => Hive.Open(path, writable: false));

        Assert.StartsWith($"{path}: not a Windows registry hive (hivex: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(512)]
    [InlineData(4096)]
    [InlineData(6000)]
    public void A_truncated_hive_is_invalid_data_naming_the_path(int bytes)
    {
        var hive = HiveFiles.NewHive();
        var data = File.ReadAllBytes(hive);
        var cut = Path.Combine(Path.GetDirectoryName(hive)!, $"cut-{bytes}");
        File.WriteAllBytes(cut, data[..bytes]);

        var e = Assert.Throws<InvalidDataException>(() => Hive.Open(cut, writable: true));

        Assert.Contains(cut, e.Message, StringComparison.Ordinal);
        Assert.Contains("not a Windows registry hive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_file_not_found()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("v2v-hive"), "absent");

        var e = Assert.Throws<FileNotFoundException>(() => Hive.Open(path, writable: false));

        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void Every_write_to_a_read_only_hive_throws_and_the_file_is_unchanged()
    {
        var path = HiveFiles.NewHive("[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n\"S\"=dword:00000001\n");
        var before = File.ReadAllBytes(path);
        using var hive = Hive.Open(path, writable: false);

        Assert.Throws<InvalidOperationException>(() => hive.CreateKey("B"));
        Assert.Throws<InvalidOperationException>(() => hive.SetValue("A", "S", RegValue.Dword(2)));
        Assert.Throws<InvalidOperationException>(() => hive.DeleteValue("A", "S"));
        Assert.Throws<InvalidOperationException>(() => hive.DeleteKey("A"));
        var e = Assert.Throws<InvalidOperationException>(() => hive.Commit());

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void Misuse_is_an_argument_exception()
    {
        using var hive = Hive.Open(HiveFiles.NewHive("[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n"), writable: true);

        Assert.Throws<ArgumentException>(() => hive.DeleteKey(""));
        Assert.Throws<ArgumentException>(() => hive.DeleteKey("\\"));
        var e = Assert.Throws<ArgumentException>(() => hive.SetValue(@"A\Missing", "S", RegValue.Dword(1)));
        Assert.Contains(@"A\Missing", e.Message, StringComparison.Ordinal);
        Assert.True(hive.KeyExists("A"));
    }

    [Fact]
    public void A_value_over_the_size_bound_is_refused_before_hivex_sees_it()
    {
        using var hive = Hive.Open(HiveFiles.NewHive("[HKEY_LOCAL_MACHINE\\SYSTEM\\A]\n"), writable: true);

        var e = Assert.Throws<ArgumentException>(() => hive.SetValue("A", "Big", RegValue.Binary(new byte[Hive.MaxValueBytes + 1])));

        Assert.Contains(hive.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("Big", e.Message, StringComparison.Ordinal);
        Assert.Null(hive.GetValue("A", "Big"));
    }

    [Fact]
    public void A_disposed_hive_refuses_to_work()
    {
        var hive = Hive.Open(HiveFiles.NewHive(), writable: false);
        hive.Dispose();

        Assert.Throws<ObjectDisposedException>(() => hive.KeyExists(""));
    }
}
