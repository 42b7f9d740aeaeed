using System.Text.RegularExpressions;
using V2VConverter.Guest.Windows.FirstBoot;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>Properties every plan must have, checked on each sample rather than by eye in the goldens.</summary>
public sealed partial class FirstBootStructureTests
{
    private const string Scripts = @"Microsoft\Windows\CurrentVersion\Group Policy\Scripts\Startup";
    private const string State = @"Microsoft\Windows\CurrentVersion\Group Policy\State\Machine\Scripts\Startup";
    private const string Nt5 = @"Policies\Microsoft\Windows\System\Scripts\Startup";

    [Theory]
    [MemberData(nameof(FirstBootSamples.Names), MemberType = typeof(FirstBootSamples))]
    public void Every_file_is_crlf_only_and_ascii_or_utf16_with_bom(string name)
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Get(name));
        Assert.NotEmpty(plan.Files);
        foreach (var f in plan.Files)
        {
            string text;
            if (f.GuestPath.EndsWith("/scripts.ini", StringComparison.Ordinal))
            {
                Assert.True(f.Content is [0xFF, 0xFE, ..], $"{f.GuestPath} must start with the UTF-16LE BOM");
                text = FirstBootRender.Decode(f).Text;
            }
            else
            {
                Assert.True(f.Content.All(b => b < 0x80), $"{f.GuestPath} must be ASCII");
                Assert.False(f.Content is [0xEF, 0xBB, 0xBF, ..], $"{f.GuestPath} must have no BOM");
                text = FirstBootRender.Decode(f).Text;
            }

            Assert.EndsWith("\r\n", text, StringComparison.Ordinal);
            Assert.DoesNotMatch(LoneLineBreak(), text);
        }
    }

    [Theory]
    [MemberData(nameof(FirstBootSamples.Names), MemberType = typeof(FirstBootSamples))]
    public void Guest_paths_follow_the_guests_SystemRoot_folder(string name)
    {
        var request = FirstBootSamples.Get(name);
        var plan = FirstBootPlanner.Build(request);
        var root = "/" + request.SystemRoot[3..];
        Assert.All(plan.Files, f => Assert.StartsWith(root + "/", f.GuestPath, StringComparison.Ordinal));
        var system32 = request.Release.Major >= 6 ? "System32" : "system32";
        Assert.Contains(plan.Files, f => f.GuestPath == $"{root}/{system32}/GroupPolicy/gpt.ini");
        Assert.Contains(plan.Files, f => f.GuestPath == $"{root}/{system32}/GroupPolicy/Machine/Scripts/scripts.ini");
        Assert.Contains(plan.Files, f => f.GuestPath == $"{root}/V2V/Firstboot/firstboot.cmd");
        Assert.Equal(request.SystemRoot + @"\V2V\firstboot.log", plan.LogPath);
    }

    [Fact]
    public void Steps_run_in_order_and_each_only_once()
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Win10Full);
        Assert.Equal(
            ["install the VirtIO drivers", "install the QEMU guest agent", "uninstall VMware Tools (best effort)", "restore static IP configuration", "clean up the first-boot registration"],
            plan.Steps);

        var runner = FirstBootRender.Text(plan, "firstboot.cmd");
        string[] files = ["01-install-drivers.cmd", "02-guest-agent.cmd", "03-remove-vmware-tools.cmd", "04-static-ip.ps1", "99-cleanup.cmd"];
        var last = -1;
        foreach (var file in files)
        {
            Assert.Contains(plan.Files, f => f.GuestPath == "/Windows/V2V/Firstboot/" + file);
            var stem = Path.GetFileNameWithoutExtension(file);
            var check = runner.IndexOf($@"if exist ""%FB%\done\{stem}.done"" goto skip", StringComparison.Ordinal);
            var run = runner.IndexOf($@"""%FB%\{file}""", StringComparison.Ordinal);
            var finish = runner.IndexOf($"call :finished {stem} %ERRORLEVEL%", StringComparison.Ordinal);
            Assert.True(check > last && run > check && finish > run, $"{file}: marker check, run and finish must come in this order after the previous step");
            last = finish;
        }

        // The marker is written whatever the exit code (a failed step is logged and not retried), and the boot goes on.
        Assert.Contains(@">>""%LOG%"" echo %DATE% %TIME% %1: exit code %2", runner, StringComparison.Ordinal);
        Assert.Contains(@">""%FB%\done\%1.done"" echo %2", runner, StringComparison.Ordinal);
        Assert.Contains("setlocal enableextensions", runner, StringComparison.Ordinal);
        Assert.Contains("\r\nexit /b 0\r\n", runner, StringComparison.Ordinal);
        Assert.Contains(@"-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ""%FB%\04-static-ip.ps1""", runner, StringComparison.Ordinal);
    }

    [Fact]
    public void Steps_absent_when_nothing_to_do()
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Win10Full with { DriverFolder = null, GuestAgentMsi = null, VmwareToolsProductCodes = [], StaticIps = [] });
        Assert.Equal(["clean up the first-boot registration"], plan.Steps);
        Assert.DoesNotContain(plan.Files, f => f.GuestPath.Contains("/01-", StringComparison.Ordinal));
    }

    [Fact]
    public void Driver_step_matches_the_release()
    {
        var win10 = FirstBootRender.Text(FirstBootPlanner.Build(FirstBootSamples.Win10Full), "01-install-drivers.cmd");
        Assert.Contains(@"""C:\Windows\System32\pnputil.exe"" /add-driver ""C:\Windows\Drivers\VirtIO\*.inf"" /subdirs /install", win10, StringComparison.Ordinal);

        var win7 = FirstBootRender.Text(FirstBootPlanner.Build(FirstBootSamples.Win7x86Request), "01-install-drivers.cmd");
        Assert.Contains(@"for /r ""C:\Windows\Drivers\VirtIO"" %%d in (.) do call :add ""%%~fd""", win7, StringComparison.Ordinal);
        Assert.Contains(@"""C:\Windows\System32\pnputil.exe"" -i -a ""%~1\*.inf""", win7, StringComparison.Ordinal);

        // XP has no pnputil: no driver step even though a folder was staged.
        var xp = FirstBootPlanner.Build(FirstBootSamples.WinXpRequest);
        Assert.DoesNotContain(xp.Files, f => f.GuestPath.EndsWith("01-install-drivers.cmd", StringComparison.Ordinal));
        Assert.Contains(xp.Files, f => f.GuestPath == "/WINDOWS/V2V/Firstboot/04-static-ip.vbs");
    }

    [Fact]
    public void Agent_and_tools_steps_use_quiet_msiexec()
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Win10Full);
        Assert.Contains(@"/i ""C:\Windows\Drivers\VirtIO\qemu-ga-x86_64.msi"" /qn /norestart /l*v ""C:\Windows\V2V\qemu-ga-install.log""", FirstBootRender.Text(plan, "02-guest-agent.cmd"), StringComparison.Ordinal);
        var tools = FirstBootRender.Text(plan, "03-remove-vmware-tools.cmd");
        Assert.Contains("/x {6D5B1F7A-1234-4C5D-9E8F-0A1B2C3D4E5F} /qn /norestart", tools, StringComparison.Ordinal);
        Assert.Contains("/x {FE2F6A2C-196E-4210-9C04-2B1BC21F07EF} /qn /norestart", tools, StringComparison.Ordinal);
        Assert.EndsWith("exit /b 0\r\n", tools, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("win10", true, true)]
    [InlineData("win7-32", true, true)]
    [InlineData("vista", true, false)]
    [InlineData("winxp", false, false)]
    public void Registry_registers_the_runner_where_the_family_reads_it(string name, bool nt6, bool powershellAware)
    {
        var request = FirstBootSamples.Get(name);
        var plan = FirstBootPlanner.Build(request);
        string[] roots = nt6 ? [Scripts, State] : [Nt5];
        Assert.All(plan.Registry, w => Assert.Equal("SOFTWARE", w.Hive));
        Assert.Equal(roots.SelectMany(r => new[] { r + @"\0", r + @"\0\0" }).Order(), plan.Registry.Select(w => w.Key).Distinct().Order());
        foreach (var root in roots)
        {
            var gpo = plan.Registry.Where(w => w.Key == root + @"\0").ToDictionary(w => w.Name, w => w.Value);
            var entry = plan.Registry.Where(w => w.Key == root + @"\0\0").ToDictionary(w => w.Name, w => w.Value);
            string[] gpoNames = powershellAware ? ["GPO-ID", "SOM-ID", "FileSysPath", "DisplayName", "GPOName", "PSScriptOrder"] : ["GPO-ID", "SOM-ID", "FileSysPath", "DisplayName", "GPOName"];
            string[] entryNames = powershellAware ? ["Script", "Parameters", "IsPowershell", "ExecTime"] : ["Script", "Parameters", "ExecTime"];
            Assert.Equal(gpoNames.Order(), gpo.Keys.Order());
            Assert.Equal(entryNames.Order(), entry.Keys.Order());
            Assert.Equal(RegValue.Sz("LocalGPO"), gpo["GPO-ID"]);
            Assert.Equal(RegValue.Sz("Local"), gpo["SOM-ID"]);
            Assert.Equal(RegValue.Sz(request.SystemRoot + (nt6 ? @"\System32" : @"\system32") + @"\GroupPolicy\Machine"), gpo["FileSysPath"]);
            Assert.Equal(RegValue.Sz(request.SystemRoot + @"\V2V\Firstboot\firstboot.cmd"), entry["Script"]);
            Assert.Equal(RegValue.Sz(string.Empty), entry["Parameters"]);
            Assert.Equal(new RegValue(RegKind.Qword, new byte[16]), entry["ExecTime"]);
            if (powershellAware)
            {
                Assert.Equal(RegValue.Dword(1), gpo["PSScriptOrder"]);
                Assert.Equal(RegValue.Dword(0), entry["IsPowershell"]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(FirstBootSamples.Names), MemberType = typeof(FirstBootSamples))]
    public void Cleanup_deletes_exactly_what_was_added(string name)
    {
        var request = FirstBootSamples.Get(name);
        var plan = FirstBootPlanner.Build(request);
        var cleanup = FirstBootRender.Text(plan, "99-cleanup.cmd");
        var deleted = RegDelete().Matches(cleanup).Select(m => m.Groups[1].Value).ToHashSet();
        var writtenKeys = plan.Registry.Select(w => w.Key).ToHashSet();
        var ours = request.ExistingStartupScripts.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Our entry keys are numbered after the existing ones, below the local GPO's key 0.
        var gpoKeys = plan.Registry.Where(w => w.Name == "GPO-ID").Select(w => w.Key).ToHashSet();
        var entryKeys = plan.Registry.Where(w => w.Name == "Script").Select(w => w.Key).ToHashSet();
        Assert.Equal(gpoKeys.Select(k => k + @"\" + ours).Order(), entryKeys.Order());
        Assert.Equal(writtenKeys.Order(), gpoKeys.Union(entryKeys).Order());

        // With no startup script before, the whole GPO key was ours; otherwise only our entry is.
        var expected = request.ExistingStartupScripts == 0 ? gpoKeys : entryKeys;
        Assert.Equal(expected.Order(), deleted.Order());
        Assert.All(entryKeys, k => Assert.Contains(deleted, d => k == d || k.StartsWith(d + @"\", StringComparison.Ordinal)));

        // Each delete is guarded by a check that the entry still names our runner.
        Assert.Equal(deleted.Count, Regex.Matches(cleanup, Regex.Escape(@"/v Script 2>nul | find /i """ + request.SystemRoot + @"\V2V\Firstboot\firstboot.cmd"" >nul")).Count);

        // The files come back as they were, or go when there were none; the folder goes, the log stays.
        var system32 = request.Release.Major >= 6 ? "System32" : "system32";
        foreach (var (folder, file, existing) in new[] { (@"Machine\Scripts\", "scripts.ini", request.ExistingScriptsIni), (string.Empty, "gpt.ini", request.ExistingGptIni) })
        {
            var target = $@"{request.SystemRoot}\{system32}\GroupPolicy\{folder}{file}";
            var orig = $@"{request.SystemRoot}\V2V\Firstboot\orig\{file}";
            if (existing is null)
            {
                Assert.Contains($@"if exist ""{target}"" del /f /q ""{target}""", cleanup, StringComparison.Ordinal);
                Assert.DoesNotContain(plan.Files, f => f.GuestPath.EndsWith("/orig/" + file, StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains($@"copy /y ""{orig}"" ""{target}""", cleanup, StringComparison.Ordinal);
                var saved = plan.Files.Single(f => f.GuestPath.EndsWith("/orig/" + file, StringComparison.Ordinal));
                Assert.Equal(existing, FirstBootRender.Decode(saved).Text);
            }
        }

        Assert.Contains($@"rd /s /q ""{request.SystemRoot}\V2V\Firstboot""", cleanup, StringComparison.Ordinal);
        Assert.DoesNotContain("firstboot.log", cleanup, StringComparison.Ordinal);
        Assert.Equal("clean up the first-boot registration", plan.Steps[^1]);
    }

    [Fact]
    public void Existing_startup_script_is_kept_and_ours_appended()
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Win10WithExistingScript);
        var scriptsIni = FirstBootRender.Decode(plan.Files.Single(f => f.GuestPath == "/Windows/System32/GroupPolicy/Machine/Scripts/scripts.ini")).Text;
        Assert.Equal("\r\n[Startup]\r\n0CmdLine=C:\\Scripts\\inventory.cmd\r\n0Parameters=/quiet\r\n1CmdLine=C:\\Windows\\V2V\\Firstboot\\firstboot.cmd\r\n1Parameters=\r\n", scriptsIni);
        var gptIni = FirstBootRender.Decode(plan.Files.Single(f => f.GuestPath == "/Windows/System32/GroupPolicy/gpt.ini")).Text;
        Assert.Contains("gPCMachineExtensionNames=[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}][{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]\r\n", gptIni, StringComparison.Ordinal);
        Assert.Contains("\r\nVersion=65539\r\n", gptIni, StringComparison.Ordinal);
        Assert.Contains("gPCFunctionalityVersion=2\r\n", gptIni, StringComparison.Ordinal);
        Assert.Contains(plan.Registry, w => w.Key == Scripts + @"\0\1" && w.Name == "Script");
        Assert.DoesNotContain(plan.Registry, w => w.Key == Scripts + @"\0\0");
    }

    [Fact]
    public void Bad_requests_throw_the_documented_exceptions()
    {
        var ok = FirstBootSamples.Win10Full;
        Assert.Throws<NotSupportedException>(() => FirstBootPlanner.Build(ok with { SystemRoot = @"D:\Windows" }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { SystemRoot = @"C:\Win%dows" }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { DriverFolder = @"C:\Drivers\%TEMP%" }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { GuestAgentMsi = "qemu-ga.msi" }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { VmwareToolsProductCodes = ["{not-a-guid} & del *"] }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { StaticIps = [FirstBootSamples.Ip1 with { Mac = "00:50:56:01:0a" }] }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { StaticIps = [FirstBootSamples.Ip1 with { Addresses = ["192.168.1.300"] }] }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { StaticIps = [FirstBootSamples.Ip1 with { SubnetMasks = [] }] }));
        Assert.Throws<ArgumentException>(() => FirstBootPlanner.Build(ok with { ExistingStartupScripts = -1 }));
        var bad = Assert.Throws<InvalidDataException>(() => FirstBootPlanner.Build(ok with { ExistingGptIni = "[General]\r\nVersion=abc\r\n" }));
        Assert.Contains("Version \"abc\"", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decisions_are_logged_and_a_numbering_mismatch_warned()
    {
        var log = new TestLog();
        FirstBootPlanner.Build(FirstBootSamples.WinXpRequest, log.Logger);
        Assert.Empty(log.Warnings);
        Assert.Contains(log.Infos, e => e.Message.Contains("no driver step on NT 5.1", StringComparison.Ordinal));
        Assert.Contains(log.Infos, e => e.Message.Contains("VBScript", StringComparison.Ordinal));
        Assert.Contains(log.Infos, e => e.Message.Contains(@"C:\WINDOWS\V2V\Firstboot\firstboot.cmd registered as local Group Policy startup script 0", StringComparison.Ordinal));

        // scripts.ini says one script exists, the registry says none: the plan goes on and says so.
        var mismatch = new TestLog();
        FirstBootPlanner.Build(FirstBootSamples.Win10WithExistingScript with { ExistingStartupScripts = 0 }, mismatch.Logger);
        var warning = Assert.Single(mismatch.Warnings);
        Assert.Contains("number 1 but the registry as 0", warning.Message, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?<!\r)\n|\r(?!\n)")]
    private static partial Regex LoneLineBreak();

    [GeneratedRegex(@"reg delete ""HKLM\\SOFTWARE\\([^""]+)"" /f")]
    private static partial Regex RegDelete();
}
