namespace V2VConverter.Sources.Ova;

/// <summary>
/// CIM_OperatingSystem.OSType numbers (the <c>ovf:id</c> of an OperatingSystemSection, DSP0004) to the VMware guest id the
/// guest OS catalog classifies. Used when the OVF has no <c>vmw:osType</c> (VirtualBox and other non-VMware exports).
/// </summary>
public static class CimOsTypes
{
    private static readonly Dictionary<int, string> Map = new()
    {
        [1] = "other",
        [2] = "darwin",
        [29] = "solaris10",
        [36] = "otherLinux",
        [42] = "freebsd",
        [58] = "win2000Pro",
        [67] = "winXPPro",
        [69] = "winNetStandard",
        [70] = "winNetStandard64",
        [71] = "winXPPro64",
        [73] = "winVista",
        [74] = "winVista64",
        [76] = "winLonghorn",
        [77] = "winLonghorn64",
        [78] = "freebsd64",
        [79] = "other3xLinux",
        [80] = "other3xLinux64",
        [81] = "solaris10_64",
        [82] = "suse",
        [83] = "suse64",
        [84] = "sles",
        [85] = "sles64",
        [89] = "mandriva",
        [90] = "mandriva64",
        [93] = "ubuntu",
        [94] = "ubuntu64",
        [95] = "other3xLinux",
        [96] = "other3xLinux64",
        [97] = "other24xLinux",
        [98] = "other24xLinux64",
        [99] = "other26xLinux",
        [100] = "other26xLinux64",
        [101] = "other3xLinux64",
        [102] = "other64",
        [103] = "windows7srv-64",
        [105] = "windows7",
        [106] = "centos",
        [107] = "centos64",
        [108] = "oracleLinux",
        [109] = "oracleLinux64",
        [112] = "windows8srv-64",
        [113] = "windows8",
        [114] = "windows8_64",
        [115] = "windows8srv-64",
        [116] = "windows8",
        [117] = "windows8_64",
        [118] = "windows9srv-64",
        [119] = "windows9",
        [120] = "windows9_64",
        [121] = "windows2019srv_64",
    };

    /// <summary>The VMware guest id for a CIM OS type, or null when the number says nothing usable (0, unknown).</summary>
    public static string? ToVmx(int cimOsType) => Map.GetValueOrDefault(cimOsType);
}
