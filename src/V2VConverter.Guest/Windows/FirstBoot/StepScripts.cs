using System.Text.RegularExpressions;
using V2VConverter.Guest.Windows.Drivers;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// The cmd.exe steps: driver install with pnputil, guest agent MSI install, best-effort VMware Tools MSI uninstall.
/// Each writes what it runs to stdout (the runner appends it to the log) and exits with the tool's exit code.
/// </summary>
internal static partial class StepScripts
{
    /// <summary>
    /// Installs every .inf below <paramref name="driverFolder"/>: <c>pnputil /add-driver ... /subdirs /install</c> on NT 10,
    /// <c>pnputil -i -a</c> folder by folder on NT 6.x; null on NT 5 (no pnputil).
    /// </summary>
    public static FirstBootStep? Drivers(WindowsRelease release, FirstBootLayout layout, string driverFolder)
    {
        if (release.Major < 6)
        {
            return null;
        }

        var pnputil = $@"{layout.SystemRoot}\{layout.System32}\pnputil.exe";
        var s = Header("installs the staged VirtIO drivers");
        if (release.Major >= 10)
        {
            s.Line($@"echo pnputil /add-driver ""{driverFolder}\*.inf"" /subdirs /install")
             .Line($@"""{pnputil}"" /add-driver ""{driverFolder}\*.inf"" /subdirs /install")
             .Line("exit /b %ERRORLEVEL%");
        }
        else
        {
            // pnputil -i -a takes one folder's *.inf; walk the tree (for /r with "." yields every folder).
            s.Line("set \"RC=0\"")
             .Line($@"for /r ""{driverFolder}"" %%d in (.) do call :add ""%%~fd""")
             .Line("exit /b %RC%")
             .Line()
             .Line(":add")
             .Line("if not exist \"%~1\\*.inf\" goto :eof")
             .Line("echo pnputil -i -a \"%~1\\*.inf\"")
             .Line($@"""{pnputil}"" -i -a ""%~1\*.inf""")
             .Line("if errorlevel 1 set \"RC=%ERRORLEVEL%\"")
             .Line("goto :eof");
        }

        return new("01-install-drivers.cmd", "install the VirtIO drivers", s);
    }

    /// <summary>Installs the QEMU guest agent MSI quietly, with a verbose MSI log next to the first-boot log.</summary>
    public static FirstBootStep GuestAgent(FirstBootLayout layout, string msi)
    {
        var msiLog = layout.LogFolder + @"\qemu-ga-install.log";
        var args = $@"/i ""{msi}"" /qn /norestart /l*v ""{msiLog}""";
        var s = Header("installs the QEMU guest agent")
            .Line("echo msiexec " + args)
            .Line($@"start """" /wait ""{MsiExec(layout)}"" {args}")
            .Line("exit /b %ERRORLEVEL%");
        return new("02-guest-agent.cmd", "install the QEMU guest agent", s);
    }

    /// <summary>Runs <c>msiexec /x</c> for each product code; failures (1603 off VMware, 1605 not installed) are logged and ignored.</summary>
    public static FirstBootStep RemoveVmwareTools(FirstBootLayout layout, IReadOnlyList<string> productCodes)
    {
        var s = Header("uninstalls VMware Tools (best effort: failures are harmless)");
        foreach (var raw in productCodes)
        {
            var code = CheckProductCode(raw);
            s.Line($"echo msiexec /x {code} /qn /norestart")
             .Line($@"start """" /wait ""{MsiExec(layout)}"" /x {code} /qn /norestart")
             .Line($"echo {code}: exit code %ERRORLEVEL%");
        }

        s.Line("exit /b 0");
        return new("03-remove-vmware-tools.cmd", "uninstall VMware Tools (best effort)", s);
    }

    /// <summary>The common start of every cmd script we write.</summary>
    public static ScriptText Header(string what) =>
        new ScriptText().Line("@echo off").Line("rem V2VConverter first boot: " + what).Line("setlocal enableextensions");

    private static string MsiExec(FirstBootLayout layout) => $@"{layout.SystemRoot}\{layout.System32}\msiexec.exe";

    private static string CheckProductCode(string code)
    {
        if (code is null || !ProductCode().IsMatch(code))
        {
            throw new ArgumentException($"VMware Tools product code \"{code}\" is not an MSI product code such as {{6D5B1F7A-0000-0000-0000-000000000000}}", nameof(code));
        }

        return code.ToUpperInvariant();
    }

    [GeneratedRegex(@"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$", RegexOptions.CultureInvariant)]
    private static partial Regex ProductCode();
}
