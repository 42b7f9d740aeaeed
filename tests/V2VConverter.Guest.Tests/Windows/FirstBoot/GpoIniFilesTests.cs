using V2VConverter.Guest.Windows.FirstBoot;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>The scripts.ini / gpt.ini transforms on their own: append after existing entries, bump only the machine version.</summary>
public sealed class GpoIniFilesTests
{
    private const string Pair = "[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]";

    [Fact]
    public void New_scripts_ini_has_one_startup_entry_zero()
    {
        var (text, index) = GpoIniFiles.AddStartupScript(null, @"C:\x\firstboot.cmd", string.Empty);
        Assert.Equal(0, index);
        Assert.Equal("\r\n[Startup]\r\n0CmdLine=C:\\x\\firstboot.cmd\r\n0Parameters=\r\n", text);
    }

    [Fact]
    public void Scripts_ini_appends_after_the_highest_index_and_keeps_other_sections()
    {
        var existing = "[Shutdown]\r\n0CmdLine=a.cmd\r\n0Parameters=\r\n[Startup]\r\n0CmdLine=b.cmd\r\n0Parameters=\r\n3CmdLine=c.cmd\r\n3Parameters=-x\r\n\r\n";
        var (text, index) = GpoIniFiles.AddStartupScript(existing, "ours.cmd", string.Empty);
        Assert.Equal(4, index);
        Assert.Equal("[Shutdown]\r\n0CmdLine=a.cmd\r\n0Parameters=\r\n[Startup]\r\n0CmdLine=b.cmd\r\n0Parameters=\r\n3CmdLine=c.cmd\r\n3Parameters=-x\r\n4CmdLine=ours.cmd\r\n4Parameters=\r\n\r\n", text);
    }

    [Fact]
    public void Scripts_ini_with_only_shutdown_gets_a_startup_section()
    {
        var (text, index) = GpoIniFiles.AddStartupScript("[Shutdown]\n0CmdLine=a.cmd\n0Parameters=\n", "ours.cmd", string.Empty);
        Assert.Equal(0, index);
        Assert.Equal("[Shutdown]\r\n0CmdLine=a.cmd\r\n0Parameters=\r\n\r\n[Startup]\r\n0CmdLine=ours.cmd\r\n0Parameters=\r\n", text);
    }

    [Fact]
    public void Scripts_ini_index_and_size_are_bounded()
    {
        var e = Assert.Throws<InvalidDataException>(() => GpoIniFiles.AddStartupScript("[Startup]\r\n99999999999CmdLine=x\r\n", "o", string.Empty));
        Assert.Contains("99999999999CmdLine", e.Message, StringComparison.Ordinal);
        var big = Assert.Throws<InvalidDataException>(() => GpoIniFiles.AddStartupScript(new string(' ', GpoIniFiles.MaxIniChars + 1), "o", string.Empty));
        Assert.Contains("scripts.ini", big.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_gpt_ini_registers_scripts_at_version_one()
    {
        Assert.Equal("[General]\r\ngPCMachineExtensionNames=" + Pair + "\r\nVersion=1\r\n", GpoIniFiles.RegisterScripts(null));
    }

    [Theory]
    [InlineData(0u, 1u)]
    [InlineData(65538u, 65539u)] // user 1, machine 2 -> machine 3, user kept
    [InlineData(0x0003FFFFu, 0x00030001u)] // machine half wraps without touching the user half
    public void Gpt_version_bumps_only_the_machine_half(uint before, uint after)
    {
        var text = GpoIniFiles.RegisterScripts($"[General]\r\nVersion={before}\r\n");
        Assert.Contains($"\r\nVersion={after}\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpt_extension_list_stays_sorted_and_is_not_doubled()
    {
        const string registry = "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]";
        const string security = "[{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]";
        Assert.Equal(registry + Pair + security, GpoIniFiles.AddScriptsExtension(registry + security));
        Assert.Equal(registry + Pair, GpoIniFiles.AddScriptsExtension(registry + Pair));
        Assert.Equal(Pair, GpoIniFiles.AddScriptsExtension(string.Empty));
        var e = Assert.Throws<InvalidDataException>(() => GpoIniFiles.AddScriptsExtension("[{oops}]"));
        Assert.Contains("gPCMachineExtensionNames", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpt_ini_keeps_other_keys_and_sections()
    {
        var text = GpoIniFiles.RegisterScripts("[General]\r\ngPCFunctionalityVersion=2\r\nVersion=5\r\n[Other]\r\nx=1\r\n");
        Assert.Equal("[General]\r\ngPCMachineExtensionNames=" + Pair + "\r\ngPCFunctionalityVersion=2\r\nVersion=6\r\n[Other]\r\nx=1\r\n", text);
    }
}
