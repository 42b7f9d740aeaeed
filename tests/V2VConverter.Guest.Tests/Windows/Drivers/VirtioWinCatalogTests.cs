using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.Drivers;

/// <summary>
/// The folder choice on the real virtio-win ISO and RPM file lists (../shared/corpus/windows; skipped when absent) for
/// every Windows the converter meets, and on small synthetic trees for the fallbacks and naming rules.
/// </summary>
public sealed class VirtioWinCatalogTests
{
    private static readonly string[] CoreDrivers = ["viostor", "vioscsi", "netkvm", "balloon", "vioser", "viorng"];

    public static TheoryData<string, string?> Releases => new()
    {
        { "xp-32", null },
        { "2003-32", null },
        { "7-32", "w7" },
        { "7-64", "w7" },
        { "2008r2", "2k8R2" },
        { "8.1", "w8.1" },
        { "2012r2", "2k12R2" },
        { "10-32", "w10" },
        { "10-64", "w10" },
        { "11", "w11" },
        { "2016", "2k16" },
        { "2019", "2k19" },
        { "2022", "2k22" },
        { "2025", "2k25" },
        { "server-30000", "2k25" },
    };

    private static WindowsRelease Release(string key) => key switch
    {
        "xp-32" => new(5, 1, 2600, false, "i386", "Windows XP"),
        "2003-32" => new(5, 2, 3790, true, "i386", "Windows Server 2003"),
        "7-32" => new(6, 1, 7601, false, "i386", "Windows 7"),
        "7-64" => new(6, 1, 7601, false, "x86_64", "Windows 7"),
        "2008r2" => new(6, 1, 7601, true, "x86_64", "Windows Server 2008 R2"),
        "8.1" => new(6, 3, 9600, false, "x86_64", "Windows 8.1"),
        "2012r2" => new(6, 3, 9600, true, "x86_64", "Windows Server 2012 R2"),
        "10-32" => new(10, 0, 19045, false, "i386", "Windows 10"),
        "10-64" => new(10, 0, 19045, false, "x86_64", "Windows 10"),
        "11" => new(10, 0, 22631, false, "x86_64", "Windows 11"),
        "2016" => new(10, 0, 14393, true, "x86_64", "Windows Server 2016"),
        "2019" => new(10, 0, 17763, true, "x86_64", "Windows Server 2019"),
        "2022" => new(10, 0, 20348, true, "x86_64", "Windows Server 2022"),
        "2025" => new(10, 0, 26100, true, "x86_64", "Windows Server 2025"),
        "server-30000" => new(10, 0, 30000, true, "x86_64", "Windows Server vNext"),
        _ => throw new ArgumentException(key),
    };

    private static List<string> Corpus(string file, Func<string, string?> map)
    {
        if (RepoPaths.Shared is null)
        {
            Assert.Skip("../shared is absent; the virtio-win file lists are in ../shared/corpus/windows");
        }

        return File.ReadAllLines(Path.Combine(RepoPaths.Shared, "corpus", "windows", file)).Select(map).OfType<string>().ToList();
    }

    private static List<string> IsoList() => Corpus("virtio-win-iso-list.txt", l => l.StartsWith("cd/", StringComparison.Ordinal) ? l[3..] : null);

    private static List<string> RpmList(string? under = null) =>
        Corpus("virtio-win-drivers-list.txt", l => under is null || l.StartsWith(under, StringComparison.Ordinal) ? l : null);

    [Theory]
    [MemberData(nameof(Releases))]
    public void Iso_list_gives_the_release_its_folder_drivers_and_agent(string key, string? folder)
    {
        var set = SelectExpecting(IsoList(), key, folder, out var release, out var reason);
        if (folder is null)
        {
            Assert.Contains($"NT {release.Major}.{release.Minor}", reason, StringComparison.Ordinal);
            return;
        }

        AssertSet(set, release, folder, archDir: release.Is64Bit ? "amd64" : "x86", archIndexFromEnd: 2, osIndexFromEnd: 3, CoreDrivers);
        Assert.Equal(release.Is64Bit ? "guest-agent/qemu-ga-x86_64.msi" : "guest-agent/qemu-ga-i386.msi", set!.GuestAgentMsi);
        Assert.DoesNotContain(set.Files, f => f.RelativePath.StartsWith("amd64/", StringComparison.Ordinal) || f.RelativePath.StartsWith("i386/", StringComparison.Ordinal));
        Assert.Equal(reason, set.Why);
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Rpm_list_uses_its_by_driver_tree(string key, string? folder)
    {
        var set = SelectExpecting(RpmList(), key, folder, out var release, out _);
        if (folder is null)
        {
            return;
        }

        AssertSet(set, release, folder, release.Is64Bit ? "amd64" : "x86", 2, 3, CoreDrivers);
        Assert.All(set!.Files, f => Assert.StartsWith("drivers/by-driver/", f.RelativePath, StringComparison.Ordinal));
        Assert.Null(set.GuestAgentMsi);
        Assert.Contains(set.Warnings, w => w.Contains("guest agent", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Rpm_by_os_tree_alone_names_drivers_by_file_stem(string key, string? folder)
    {
        var set = SelectExpecting(RpmList("drivers/by-os/"), key, folder, out var release, out _);
        if (folder is null)
        {
            return;
        }

        AssertSet(set, release, folder, release.Is64Bit ? "amd64" : "i386", 3, 2, CoreDrivers);
        Assert.DoesNotContain("blnsvr", set!.Drivers);
        Assert.All(set.Files.Where(f => f.FileName is "blnsvr.exe"), f => Assert.Equal("balloon", f.Driver));
        Assert.All(set.Files.Where(f => f.FileName.StartsWith("netkvm", StringComparison.Ordinal)), f => Assert.Equal("netkvm", f.Driver));
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Rpm_legacy_win_folders_alone_are_read_with_their_names(string key, string? folder)
    {
        var legacy = RpmList().Where(p => p.StartsWith("drivers/amd64/", StringComparison.Ordinal) || p.StartsWith("drivers/i386/", StringComparison.Ordinal));
        var set = SelectExpecting(legacy, key, folder, out var release, out _);
        if (folder is null)
        {
            return;
        }

        var rpmName = folder switch
        {
            "2k8R2" => "Win2008R2",
            "2k12R2" => "Win2012R2",
            _ when folder.StartsWith("2k", StringComparison.Ordinal) => "Win20" + folder[2..],
            _ => "Win" + folder[1..],
        };
        AssertSet(set, release, rpmName, release.Is64Bit ? "amd64" : "i386", 3, 2, ["viostor", "vioscsi", "netkvm"]);
    }

    /// <summary>Selects for the release <paramref name="key"/> names; asserts null when no folder is expected.</summary>
    private static VirtioDriverSet? SelectExpecting(IEnumerable<string> tree, string key, string? folder, out WindowsRelease release, out string reason)
    {
        release = Release(key);
        var set = VirtioWinCatalog.Select(tree, release, out reason);
        if (folder is null)
        {
            Assert.Null(set);
        }

        return set;
    }

    private static void AssertSet(VirtioDriverSet? set, WindowsRelease release, string folder, string archDir, int archIndexFromEnd, int osIndexFromEnd, string[] drivers)
    {
        Assert.NotNull(set);
        Assert.Equal(folder, set.OsFolder);
        Assert.Contains(release.ProductName, set.Why, StringComparison.Ordinal);
        foreach (var d in drivers)
        {
            Assert.True(set.Has(d), $"{folder}: no {d} in [{string.Join(", ", set.Drivers)}]");
            Assert.Contains(set.Files, f => f.Driver == d && f.FileName.Equals(d + ".inf", StringComparison.OrdinalIgnoreCase));
        }

        Assert.All(set.Files, f =>
        {
            var segments = f.RelativePath.Split('/');
            Assert.Equal(folder, segments[^osIndexFromEnd]);
            Assert.Equal(archDir, segments[^archIndexFromEnd], ignoreCase: true);
            Assert.Equal(segments[^1], f.FileName);
            Assert.False(f.FileName.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase), f.RelativePath);
        });
    }

    [Fact]
    public void Future_server_build_uses_the_newest_server_folder_and_warns()
    {
        string[] tree = ["viostor/2k22/amd64/viostor.inf", "viostor/2k25/amd64/viostor.inf", "viostor/w11/amd64/viostor.inf"];

        var set = VirtioWinCatalog.Select(tree, new(10, 0, 30000, true, "x86_64", "Windows Server vNext"), out _);

        Assert.Equal("2k25", set!.OsFolder);
        Assert.Contains(set.Warnings, w => w.Contains("unknown server build 30000", StringComparison.Ordinal));
        Assert.Contains("unknown server build 30000", set.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Windows_11_without_w11_falls_back_to_w10_with_a_warning()
    {
        string[] tree = ["viostor/w10/amd64/viostor.inf", "viostor/w10/amd64/viostor.sys", "viostor/2k22/amd64/viostor.inf"];

        var set = VirtioWinCatalog.Select(tree, new(10, 0, 22631, false, "x86_64", "Windows 11"), out _);

        Assert.Equal("w10", set!.OsFolder);
        Assert.Contains(set.Warnings, w => w.Contains("no w11 drivers", StringComparison.Ordinal));
        Assert.Equal(2, set.Files.Count);
    }

    [Fact]
    public void A_known_server_with_its_folder_missing_takes_the_nearest_older_server_folder()
    {
        string[] tree = ["viostor/2k16/amd64/viostor.inf", "viostor/2k19/amd64/viostor.inf", "viostor/w10/amd64/viostor.inf"];

        var set = VirtioWinCatalog.Select(tree, new(10, 0, 20348, true, "x86_64", "Windows Server 2022"), out _);

        Assert.Equal("2k19", set!.OsFolder);
        Assert.Contains(set.Warnings, w => w.Contains("no 2k22 drivers", StringComparison.Ordinal));
    }

    [Fact]
    public void A_server_uses_client_drivers_only_when_the_tree_has_no_server_folder()
    {
        string[] clientOnly = ["viostor/w10/amd64/viostor.inf", "viostor/w11/amd64/viostor.inf"];

        var s2022 = VirtioWinCatalog.Select(clientOnly, new(10, 0, 20348, true, "x86_64", "Windows Server 2022"), out _);
        var s2025 = VirtioWinCatalog.Select(clientOnly, new(10, 0, 26100, true, "x86_64", "Windows Server 2025"), out _);
        var r2 = VirtioWinCatalog.Select(["viostor/w7/amd64/viostor.inf"], new(6, 1, 7601, true, "x86_64", "Windows Server 2008 R2"), out _);

        Assert.Equal("w10", s2022!.OsFolder);
        Assert.Equal("w11", s2025!.OsFolder);
        Assert.Equal("w7", r2!.OsFolder);
        Assert.All(new[] { s2022, s2025, r2 }, s => Assert.Contains(s.Warnings, w => w.Contains("no server drivers", StringComparison.Ordinal)));
    }

    [Fact]
    public void No_32_bit_server_10_and_no_folder_for_the_nt_version_give_null_with_a_reason()
    {
        string[] tree = ["viostor/w10/x86/viostor.inf", "viostor/w7/x86/viostor.inf"];

        Assert.Null(VirtioWinCatalog.Select(tree, new(10, 0, 14393, true, "i386", "Windows Server 2016"), out var why32));
        Assert.Contains("32-bit Windows Server", why32, StringComparison.Ordinal);
        Assert.Null(VirtioWinCatalog.Select(tree, new(6, 0, 6002, false, "i386", "Windows Vista"), out var whyVista));
        Assert.Contains("NT 6.0", whyVista, StringComparison.Ordinal);
        Assert.Contains("w10, w7", whyVista, StringComparison.Ordinal);
        Assert.Null(VirtioWinCatalog.Select(["readme.txt", "viostor/w10/ARM64/viostor.inf"], new(10, 0, 19045, false, "x86_64", "Windows 10"), out var none));
        Assert.Contains("no driver folder", none, StringComparison.Ordinal);
        Assert.Null(VirtioWinCatalog.Select(tree, new(10, 0, 19045, false, "aarch64", "Windows 10"), out var arm));
        Assert.Contains("aarch64", arm, StringComparison.Ordinal);
    }

    [Fact]
    public void Driver_names_come_from_the_inf_stem_and_paths_keep_their_case()
    {
        string[] tree =
        [
            "NetKVM/w10/amd64/netkvm.inf", "NetKVM/w10/amd64/netkvm.sys", "NetKVM/w10/amd64/netkvmco.exe",
            "vioserial/w10/amd64/vioser.inf", "vioserial/w10/amd64/vioser.sys", "vioserial/w10/amd64/vioser.pdb",
            "Balloon/w10/amd64/balloon.inf", "Balloon/w10/amd64/blnsvr.exe",
            "sriov/w10/amd64/vioprot.inf",
            "Balloon/w10/x86/balloon.inf", "Balloon/w8/amd64/balloon.inf",
            "amd64/w10/viostor.inf",
            "guest-agent/qemu-ga-x64.msi",
        ];

        var set = VirtioWinCatalog.Select(tree, new(10, 0, 19045, false, "x86_64", "Windows 10"), out _);

        Assert.NotNull(set);
        Assert.Equal(["balloon", "netkvm", "vioprot", "vioser"], set.Drivers.Order(StringComparer.Ordinal));
        Assert.True(set.Has("NETKVM"));
        Assert.False(set.Has("viostor")); // the top-level storage copy is ignored beside per-driver folders
        Assert.Equal(
            ["Balloon/w10/amd64/balloon.inf", "Balloon/w10/amd64/blnsvr.exe", "NetKVM/w10/amd64/netkvm.inf", "NetKVM/w10/amd64/netkvm.sys",
             "NetKVM/w10/amd64/netkvmco.exe", "sriov/w10/amd64/vioprot.inf", "vioserial/w10/amd64/vioser.inf", "vioserial/w10/amd64/vioser.sys"],
            set.Files.Select(f => f.RelativePath));
        Assert.Equal("balloon", set.Files.Single(f => f.FileName == "blnsvr.exe").Driver);
        Assert.Equal("guest-agent/qemu-ga-x64.msi", set.GuestAgentMsi);
        Assert.Empty(set.Warnings);
    }

    [Fact]
    public void The_top_level_storage_folders_serve_when_there_are_no_per_driver_folders()
    {
        string[] tree = ["amd64/w10/viostor.inf", "amd64/w10/viostor.sys", "amd64/w10/viostor.pdb", "i386/w10/viostor.inf", @"amd64\w11\viostor.inf"];

        var set = VirtioWinCatalog.Select(tree, new(10, 0, 19045, false, "x86_64", "Windows 10"), out var why);

        Assert.Equal("w10", set!.OsFolder);
        Assert.Equal(["amd64/w10/viostor.inf", "amd64/w10/viostor.sys"], set.Files.Select(f => f.RelativePath));
        Assert.Contains("top-level storage layout", why, StringComparison.Ordinal);
        var w11 = VirtioWinCatalog.Select(tree, new(10, 0, 22631, false, "x86_64", "Windows 11"), out _);
        Assert.Equal(["amd64/w11/viostor.inf"], w11!.Files.Select(f => f.RelativePath));
    }
}
