using V2VConverter.Guest.Windows.Registry;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.Registry;

/// <summary>HiveEditor: the edits it records and logs, on the shared SYSTEM sample.</summary>
public sealed class HiveEditorTests
{
    private const string Viostor = @"ControlSet001\Services\viostor";

    private static string SystemHive() =>
        HiveFiles.NewHive(File.ReadAllText(Path.Combine(HiveFiles.Corpus(), "windows-system.reg")));

    [Fact]
    public void A_sequence_of_edits_is_recorded_with_before_and_after()
    {
        var path = SystemHive();
        var log = new TestLog();
        using (var hive = Hive.Open(path, writable: true))
        {
            var editor = new HiveEditor(hive, "SYSTEM", log.Logger);

            editor.SetValue(Viostor, "Start", RegValue.Dword(3), "add");
            editor.SetValue(Viostor, "Start", RegValue.Dword(3), "again");
            editor.SetValue(Viostor, "Start", RegValue.Dword(0), "boot-critical virtio-blk driver");
            editor.SetValue(Viostor + @"\Parameters\PnpInterface", "5", RegValue.Dword(1), "pnp");
            Assert.True(editor.DeleteValue(Viostor, "Start", "drop"));
            Assert.False(editor.DeleteValue(Viostor, "Start", "drop again"));
            Assert.True(editor.DeleteKey(@"ControlSet001\Services\Tcpip", "remove"));
            Assert.False(editor.DeleteKey(@"ControlSet001\Services\Tcpip", "remove again"));
            editor.CreateKey(Viostor, "exists already");

            Assert.Equal(
                [
                    new RegistryEdit("SYSTEM", Viostor, null, RegistryAction.CreateKey, null, null, "add"),
                    new RegistryEdit("SYSTEM", Viostor, "Start", RegistryAction.SetValue, null, "dword:00000003", "add"),
                    new RegistryEdit("SYSTEM", Viostor, "Start", RegistryAction.SetValue, "dword:00000003", "dword:00000000", "boot-critical virtio-blk driver"),
                    new RegistryEdit("SYSTEM", Viostor + @"\Parameters", null, RegistryAction.CreateKey, null, null, "pnp"),
                    new RegistryEdit("SYSTEM", Viostor + @"\Parameters\PnpInterface", null, RegistryAction.CreateKey, null, null, "pnp"),
                    new RegistryEdit("SYSTEM", Viostor + @"\Parameters\PnpInterface", "5", RegistryAction.SetValue, null, "dword:00000001", "pnp"),
                    new RegistryEdit("SYSTEM", Viostor, "Start", RegistryAction.DeleteValue, "dword:00000000", null, "drop"),
                    new RegistryEdit("SYSTEM", @"ControlSet001\Services\Tcpip", null, RegistryAction.DeleteKey, "0 values, 1 subkeys", null, "remove"),
                ],
                editor.Edits);
            hive.Commit();
        }

        var export = HiveFiles.Export(path);
        Assert.Empty(HiveFiles.ExportedKey(export, Viostor));
        Assert.Equal(["\"5\"=dword:00000001"], HiveFiles.ExportedKey(export, Viostor + @"\Parameters\PnpInterface"));
        Assert.DoesNotContain(HiveFiles.KeyLine(@"ControlSet001\Services\Tcpip\Parameters"), export);
        Assert.Contains("\"Current\"=dword:00000001", HiveFiles.ExportedKey(export, "Select"));
    }

    [Fact]
    public void Each_edit_is_logged_before_and_after_in_one_greppable_line()
    {
        var log = new TestLog();
        using var hive = Hive.Open(SystemHive(), writable: true);
        var editor = new HiveEditor(hive, "SYSTEM", log.Logger);
        editor.CreateKey(Viostor, "driver");

        editor.SetValue(Viostor, "Start", RegValue.Dword(0), "boot-critical virtio-blk driver");
        editor.SetValue(Viostor, "Start", RegValue.Dword(0), "unchanged");

        var infos = log.Infos.Select(e => e.Message).ToList();
        Assert.Equal(
            [
                @"registry: about to SYSTEM\ControlSet001\Services\viostor: key created (driver)",
                @"registry: SYSTEM\ControlSet001\Services\viostor: key created (driver) done",
                @"registry: about to SYSTEM\ControlSet001\Services\viostor: ""Start"" (none) -> dword:00000000 (boot-critical virtio-blk driver)",
                @"registry: SYSTEM\ControlSet001\Services\viostor: ""Start"" (none) -> dword:00000000 (boot-critical virtio-blk driver) done",
            ],
            infos);
        Assert.Equal(2, editor.Edits.Count);
    }

    [Fact]
    public void Setting_an_equal_value_records_nothing()
    {
        using var hive = Hive.Open(SystemHive(), writable: true);
        var editor = new HiveEditor(hive, "SYSTEM", new TestLog().Logger);

        editor.SetValue("select", "current", RegValue.Dword(1), "same");
        editor.SetValue(@"ControlSet001\Services\Tcpip\Parameters", "Hostname", RegValue.Sz("windows.invalid"), "same");

        Assert.Empty(editor.Edits);
    }

    [Fact]
    public void A_deleted_key_logs_what_it_had()
    {
        var log = new TestLog();
        using var hive = Hive.Open(SystemHive(), writable: true);
        var editor = new HiveEditor(hive, "SYSTEM", log.Logger);

        editor.DeleteKey("Select", "test");

        Assert.Equal(@"registry: about to SYSTEM\Select: key deleted (test) (it had 4 values, 0 subkeys)", log.Infos[0].Message);
        Assert.Equal("4 values, 0 subkeys", editor.Edits.Single().Before);
    }

    [Fact]
    public void Deleting_the_root_is_refused_before_anything_is_logged()
    {
        var log = new TestLog();
        using var hive = Hive.Open(SystemHive(), writable: true);
        var editor = new HiveEditor(hive, "SYSTEM", log.Logger);

        Assert.Throws<ArgumentException>(() => editor.DeleteKey("", "no"));

        Assert.Empty(log.Events);
        Assert.Empty(editor.Edits);
        Assert.True(hive.KeyExists("Select"));
    }
}
