using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.Guest.Windows.FirstBoot;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>The requests the golden and structural tests share, one per Windows family.</summary>
internal static class FirstBootSamples
{
    public const string ExistingScriptsIni = "\r\n[Startup]\r\n0CmdLine=C:\\Scripts\\inventory.cmd\r\n0Parameters=/quiet\r\n";

    public const string ExistingGptIni = "[General]\r\ngPCFunctionalityVersion=2\r\ngPCMachineExtensionNames=[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{D02B1F72-3407-48AE-BA88-E8213C6761F1}]\r\nVersion=65538\r\n";

    public static readonly WindowsRelease Win10 = new(10, 0, 19045, false, "x86_64", "Windows 10 Pro");
    public static readonly WindowsRelease Win7x86 = new(6, 1, 7601, false, "i386", "Windows 7 Professional");
    public static readonly WindowsRelease Vista = new(6, 0, 6002, false, "x86_64", "Windows Vista Business");
    public static readonly WindowsRelease WinXp = new(5, 1, 2600, false, "i386", "Windows XP Professional");

    public static StaticIpConfig Ip1 => new("00:50:56:01:0a:10", ["192.168.10.20"], ["255.255.255.0"], ["192.168.10.1"], ["192.168.10.2", "9.9.9.9"], "Ethernet0");

    public static StaticIpConfig Ip2 => new("00-50-56-01-0A-11", ["10.0.0.5", "10.0.0.6"], ["255.0.0.0", "255.0.0.0"], [], ["10.0.0.1"], "Ethernet1");

    public static FirstBootRequest Win10Full => new(
        Win10,
        @"C:\Windows",
        @"C:\Windows\Drivers\VirtIO",
        @"C:\Windows\Drivers\VirtIO\qemu-ga-x86_64.msi",
        ["{6D5B1F7A-1234-4C5D-9E8F-0A1B2C3D4E5F}", "{FE2F6A2C-196E-4210-9C04-2B1BC21F07EF}"],
        [Ip1, Ip2],
        null,
        null,
        0);

    public static FirstBootRequest Win7x86Request => new(
        Win7x86,
        @"C:\Windows",
        @"C:\Windows\Drivers\VirtIO",
        @"C:\Windows\Drivers\VirtIO\qemu-ga-i386.msi",
        ["{6D5B1F7A-1234-4C5D-9E8F-0A1B2C3D4E5F}"],
        [Ip1],
        null,
        null,
        0);

    public static FirstBootRequest WinXpRequest => new(
        WinXp,
        @"C:\WINDOWS",
        @"C:\WINDOWS\Drivers\VirtIO",
        null,
        ["{6D5B1F7A-1234-4C5D-9E8F-0A1B2C3D4E5F}"],
        [Ip1],
        null,
        null,
        0);

    /// <summary>Windows 10 whose local GPO already has one startup script (scripts.ini, gpt.ini and registry entry 0\0).</summary>
    public static FirstBootRequest Win10WithExistingScript => Win10Full with
    {
        StaticIps = [Ip1],
        VmwareToolsProductCodes = [],
        ExistingScriptsIni = ExistingScriptsIni,
        ExistingGptIni = ExistingGptIni,
        ExistingStartupScripts = 1,
    };

    public static IEnumerable<(string Name, FirstBootRequest Request)> All =>
    [
        ("win10", Win10Full),
        ("win7-32", Win7x86Request),
        ("winxp", WinXpRequest),
        ("win10-existing-script", Win10WithExistingScript),
        ("vista", Win7x86Request with { Release = Vista }),
    ];

    public static TheoryData<string> Names => new(All.Select(a => a.Name));

    public static FirstBootRequest Get(string name) => All.Single(a => a.Name == name).Request;
}
