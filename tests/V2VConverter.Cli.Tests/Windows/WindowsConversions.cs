using System.Collections.Concurrent;
using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Windows;

/// <summary>One conversion of a phony Windows guest (tests/deps/setup.d/windows-fixture.sh) through the real CLI, and what its output disk holds.</summary>
public sealed record WindowsRun(string Variant, string OutDir, CliRunner.Result Result, string? Xml, JsonDocument? Report, GuestSnapshot? Snapshot, RegExport? System, RegExport? Software)
{
    public string Disk => Path.Combine(OutDir, $"{Variant}-phony-sda.qcow2");
}

/// <summary>
/// The Windows conversions the tests share: each variant is converted once, and its output disk read once (one appliance
/// launch each), however many tests look at it. An appliance launch takes about 15 s under TCG.
/// </summary>
public sealed class WindowsConversions : IDisposable
{
    public const string SystemPrefix = @"HKEY_LOCAL_MACHINE\SYSTEM";
    public const string SoftwarePrefix = @"HKEY_LOCAL_MACHINE\SOFTWARE";

    /// <summary>The system root in snapshot paths: /Windows or /WINDOWS, the snapshot matches paths case-insensitively, so one list serves every guest.</summary>
    public const string Root = "/Windows";

    private readonly ConcurrentDictionary<string, Lazy<WindowsRun>> _runs = new(StringComparer.Ordinal);
    private readonly Lazy<IReadOnlyDictionary<string, WindowsRun>> _converted;
    private int _count;

    public WindowsConversions()
    {
        Directory = RepoPaths.NewTempDir("v2v-windows");
        _converted = new Lazy<IReadOnlyDictionary<string, WindowsRun>>(ConvertAll);
    }

    public string Directory { get; }

    /// <summary>The .vmx of a fixture variant; skips the test when the fixtures cannot be built here.</summary>
    public static string Vmx(string variant)
    {
        if (WindowsFixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return WindowsFixture.Vmx(variant);
    }

    /// <summary>
    /// The four base variants converted with the fake virtio-win tree (win10 from the ISO, win2k22 with virtio-scsi, the
    /// others from the directory), then their output disks read back in ONE appliance launch. Made once, when a test first asks.
    /// </summary>
    public WindowsRun Converted(string variant)
    {
        Vmx(variant);
        return _converted.Value[variant];
    }

    /// <summary>How each base variant is converted.</summary>
    public static string[] ArgsFor(string variant) => variant switch
    {
        "win10" => ["--virtio-win", WindowsFixture.VirtioWinIso],
        "win2k22" => ["--virtio-win", WindowsFixture.VirtioWinTree, "--block-driver", "virtio-scsi"],
        _ => ["--virtio-win", WindowsFixture.VirtioWinTree],
    };

    /// <summary>One more conversion of <paramref name="variant"/> with <paramref name="args"/> (not read back), made once per (variant, args).</summary>
    public WindowsRun Run(string variant, params string[] args)
    {
        var id = variant + " " + string.Join(' ', args);
        return _runs.GetOrAdd(id, _ => new Lazy<WindowsRun>(() => Convert(variant, args, verbose: false))).Value;
    }

    private IReadOnlyDictionary<string, WindowsRun> ConvertAll()
    {
        var runs = WindowsFixture.BaseVariants.ToDictionary(v => v, v => Convert(v, ArgsFor(v), verbose: true), StringComparer.Ordinal);
        var done = runs.Values.Where(r => r.Result.ExitCode == 0).ToList();
        if (done.Count == 0)
        {
            return runs;
        }

        const string root = Root;
        var shots = WindowsFixture.SnapshotMany(
            done.Select(r => r.Disk).ToList(),
            "qcow2",
            [($"{root}/System32/config/SYSTEM", SystemPrefix), ($"{root}/System32/config/SOFTWARE", SoftwarePrefix)],
            [$"{root}/Drivers/VirtIO", $"{root}/V2V/Firstboot", $"{root}/System32/GroupPolicy/Machine/Scripts", $"{root}/System32/drivers"],
            [
                $"{root}/System32/GroupPolicy/Machine/Scripts/scripts.ini", $"{root}/System32/GroupPolicy/gpt.ini", $"{root}/V2V/Firstboot/firstboot.cmd",
                $"{root}/V2V/Firstboot/04-static-ip.ps1", $"{root}/V2V/Firstboot/04-static-ip.vbs", $"{root}/V2V/Firstboot/01-install-drivers.cmd",
                $"{root}/V2V/Firstboot/99-cleanup.cmd", $"{root}/System32/drivers/viostor.sys", $"{root}/System32/drivers/vioscsi.sys",
            ]);
        for (var i = 0; i < done.Count; i++)
        {
            var shot = shots[i];
            runs[done[i].Variant] = done[i] with
            {
                Snapshot = shot,
                System = shot.Hives[$"{root}/System32/config/SYSTEM"] is { } sys ? RegExport.Parse(sys, SystemPrefix) : null,
                Software = shot.Hives[$"{root}/System32/config/SOFTWARE"] is { } sw ? RegExport.Parse(sw, SoftwarePrefix) : null,
            };
        }

        return runs;
    }

    private WindowsRun Convert(string variant, string[] args, bool verbose)
    {
        var vmx = Vmx(variant);
        var outDir = Path.Combine(Directory, $"{variant}-{Interlocked.Increment(ref _count)}");
        var env = new Dictionary<string, string?> { ["VIRTIO_WIN"] = null };
        var r = CliRunner.Run(Directory, env, ["convert", vmx, "-o", "local", "-os", outDir, .. (verbose ? new[] { "-v" } : []), .. args]);
        var xmlPath = Path.Combine(outDir, $"{variant}-phony.xml");
        var reportPath = Path.Combine(outDir, $"{variant}-phony.report.json");
        return new WindowsRun(
            variant,
            outDir,
            r,
            File.Exists(xmlPath) ? File.ReadAllText(xmlPath) : null,
            File.Exists(reportPath) ? JsonDocument.Parse(File.ReadAllText(reportPath)) : null,
            null,
            null,
            null);
    }

    public void Dispose()
    {
        foreach (var r in _runs.Values.Where(l => l.IsValueCreated).Select(l => l.Value).Concat(_converted.IsValueCreated ? _converted.Value.Values : []))
        {
            r.Report?.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
