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

    private readonly ConcurrentDictionary<string, Lazy<WindowsRun>> _runs = new(StringComparer.Ordinal);

    public WindowsConversions()
    {
        Directory = RepoPaths.NewTempDir("v2v-windows");
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
    /// The conversion of <paramref name="variant"/> with <paramref name="args"/>, made once per (variant, args). With
    /// <paramref name="snapshot"/> the output's hives, driver and first-boot folders and files are read back.
    /// </summary>
    public WindowsRun Run(string variant, bool snapshot, params string[] args)
    {
        var id = variant + " " + string.Join(' ', args);
        return _runs.GetOrAdd(id, _ => new Lazy<WindowsRun>(() => Convert(variant, snapshot, args))).Value;
    }

    private WindowsRun Convert(string variant, bool snapshot, string[] args)
    {
        var vmx = Vmx(variant);
        var outDir = Path.Combine(Directory, $"{variant}-{_runs.Count}");
        var env = new Dictionary<string, string?> { ["VIRTIO_WIN"] = null };
        var r = CliRunner.Run(Directory, env, ["convert", vmx, "-o", "local", "-os", outDir, .. (snapshot ? new[] { "-v" } : []), .. args]);
        var xmlPath = Path.Combine(outDir, $"{variant}-phony.xml");
        var reportPath = Path.Combine(outDir, $"{variant}-phony.report.json");
        var run = new WindowsRun(
            variant,
            outDir,
            r,
            File.Exists(xmlPath) ? File.ReadAllText(xmlPath) : null,
            File.Exists(reportPath) ? JsonDocument.Parse(File.ReadAllText(reportPath)) : null,
            null,
            null,
            null);
        if (!snapshot || r.ExitCode != 0)
        {
            return run;
        }

        var root = WindowsFixture.Manifest(variant).GetProperty("sysroot").GetString()!;
        var shot = WindowsFixture.Snapshot(
            run.Disk,
            "qcow2",
            [($"/{root}/System32/config/SYSTEM", SystemPrefix), ($"/{root}/System32/config/SOFTWARE", SoftwarePrefix)],
            [$"/{root}/Drivers/VirtIO", $"/{root}/V2V/Firstboot", $"/{root}/System32/GroupPolicy/Machine/Scripts", $"/{root}/System32/drivers"],
            [
                $"/{root}/System32/GroupPolicy/Machine/Scripts/scripts.ini", $"/{root}/System32/GroupPolicy/gpt.ini", $"/{root}/V2V/Firstboot/firstboot.cmd",
                $"/{root}/V2V/Firstboot/04-static-ip.ps1", $"/{root}/V2V/Firstboot/04-static-ip.vbs", $"/{root}/V2V/Firstboot/01-install-drivers.cmd",
                $"/{root}/V2V/Firstboot/99-cleanup.cmd", $"/{root}/System32/drivers/viostor.sys", $"/{root}/System32/drivers/vioscsi.sys",
            ]);
        return run with
        {
            Snapshot = shot,
            System = shot.Hives[$"/{root}/System32/config/SYSTEM"] is { } sys ? RegExport.Parse(sys, SystemPrefix) : null,
            Software = shot.Hives[$"/{root}/System32/config/SOFTWARE"] is { } sw ? RegExport.Parse(sw, SoftwarePrefix) : null,
        };
    }

    public void Dispose()
    {
        foreach (var r in _runs.Values.Where(l => l.IsValueCreated))
        {
            r.Value.Report?.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
