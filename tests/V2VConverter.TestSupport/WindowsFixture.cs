using System.Text.Json;
using Xunit;

namespace V2VConverter.TestSupport;

/// <summary>
/// The Windows test fixtures of issue 14, built once and cached by tests/deps/setup.d/windows-fixture.sh:
/// the phony guests win10, win2k22, win7-32 and winxp-32 (../shared/fixtures/make-windows-guest.sh, with a
/// NIC registry, a removed adapter and more merged in), the blockers win10-hiber and win10-bitlocker, and the
/// fake virtio-win tree with its ISO. Each guest folder holds VARIANT.vmx and a fixture.json that tests assert
/// against (see <see cref="Manifest"/>).
/// </summary>
public static class WindowsFixture
{
    /// <summary>The four phony guests the shared script builds.</summary>
    public static readonly IReadOnlyList<string> BaseVariants = ["win10", "win2k22", "win7-32", "winxp-32"];

    /// <summary>Every guest folder: the base variants and the two blockers.</summary>
    public static readonly IReadOnlyList<string> Variants = [.. BaseVariants, "win10-hiber", "win10-bitlocker"];

    private static readonly Lazy<(string? Dir, string? Reason)> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The cache folder (built on first use), or null when it cannot be built here (see <see cref="SkipReason"/>).</summary>
    public static string? Root => Built.Value.Dir;

    /// <summary>Why <see cref="Root"/> is null; null when the fixtures are there.</summary>
    public static string? SkipReason => Built.Value.Reason;

    /// <summary>The cache folder; skips the calling test with the reason when the fixtures cannot be built.</summary>
    public static string Require()
    {
        if (Root is null)
        {
            Assert.Skip(SkipReason ?? "the Windows fixtures are absent");
        }

        return Root;
    }

    /// <summary>The folder of one variant (one of <see cref="Variants"/>).</summary>
    public static string Dir(string variant)
    {
        if (!Variants.Contains(variant))
        {
            throw new ArgumentException($"unknown Windows fixture variant '{variant}'; known: {string.Join(", ", Variants)}", nameof(variant));
        }

        return Path.Combine(Require(), variant);
    }

    /// <summary>The variant's VMware configuration, VARIANT.vmx.</summary>
    public static string Vmx(string variant) => Path.Combine(Dir(variant), variant + ".vmx");

    /// <summary>The variant's fixture.json: paths, MAC, NIC GUIDs, the expected static IP set-up, firmware, arch.</summary>
    public static JsonElement Manifest(string variant)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir(variant), "fixture.json")));
        return doc.RootElement.Clone();
    }

    /// <summary>The fake virtio-win tree in the ISO layout (viostor/w10/amd64/viostor.sys ...).</summary>
    public static string VirtioWinTree => Path.Combine(Require(), "virtio-win");

    /// <summary>An ISO 9660 image (Joliet + Rock Ridge, volume id "virtio-win") of <see cref="VirtioWinTree"/>.</summary>
    public static string VirtioWinIso => Path.Combine(Require(), "virtio-win.iso");

    /// <summary>The fake virt-tools folder (rhsrvany.exe, pnp_wait.exe) for VIRT_TOOLS_DATA_DIR.</summary>
    public static string VirtToolsDir => Path.Combine(Require(), "virt-tools");

    /// <summary>One hive as <c>hivexregedit --export</c> text; one appliance launch.</summary>
    public static string ExportHive(string diskPath, string format, string hivePathInGuest, string prefix) =>
        ExportHives(diskPath, format, (hivePathInGuest, prefix))[hivePathInGuest]
        ?? throw new FileNotFoundException($"{hivePathInGuest} is not in {diskPath}");

    /// <summary>Several hives, keyed by their guest path, from ONE appliance launch.</summary>
    public static IReadOnlyDictionary<string, string?> ExportHives(string diskPath, string format, params (string GuestPath, string Prefix)[] hives) =>
        Snapshot(diskPath, format, hives, [], []).Hives;

    /// <summary>The names in one guest folder; one appliance launch.</summary>
    public static IReadOnlyList<string> ListFiles(string diskPath, string format, string guestDir) =>
        Snapshot(diskPath, format, [], [guestDir], []).Dirs[guestDir] ?? throw new DirectoryNotFoundException($"{guestDir} is not in {diskPath}");

    /// <summary>
    /// Everything a test needs from a disk image in ONE read-only appliance launch: libguestfs inspection,
    /// hive exports, folder listings and file heads (see <see cref="GuestSnapshot"/>).
    /// </summary>
    public static GuestSnapshot Snapshot(string diskPath, string format, IReadOnlyList<(string GuestPath, string Prefix)> hives,
        IReadOnlyList<string> dirs, IReadOnlyList<string> files) =>
        GuestSnapshot.Take(diskPath, format, hives, dirs, files);

    /// <summary><see cref="Snapshot"/> of several disk images in ONE appliance launch, in their order.</summary>
    public static IReadOnlyList<GuestSnapshot> SnapshotMany(IReadOnlyList<string> diskPaths, string format, IReadOnlyList<(string GuestPath, string Prefix)> hives,
        IReadOnlyList<string> dirs, IReadOnlyList<string> files) =>
        GuestSnapshot.TakeMany(diskPaths, format, hives, dirs, files);

    private static (string? Dir, string? Reason) Build()
    {
        if (RepoPaths.Shared is null)
        {
            return (null, "../shared (make-windows-guest.sh, make-fake-virtio-win.sh) is absent; the Windows fixture tests need /work/shared/fixtures");
        }

        foreach (var tool in new[] { "guestfish", "hivexregedit", "qemu-img", "xorriso", "python3", "sfdisk", "blkid" })
        {
            if (!Tool.Exists(tool))
            {
                return (null, $"'{tool}' is not installed; ./tests/run.sh installs the test dependencies");
            }
        }

        var script = Path.Combine(RepoPaths.Root, "tests", "deps", "setup.d", "windows-fixture.sh");
        var r = Tool.Run("bash", [script, "path"], timeoutMs: 1_800_000);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the Windows fixtures failed (exit {r.ExitCode}): {r.All}");
        }

        var dir = r.StdOut.Trim().Split('\n')[^1].Trim();
        if (!File.Exists(Path.Combine(dir, "win10", ".complete")))
        {
            throw new InvalidOperationException($"windows-fixture.sh printed '{dir}', which holds no built win10: {r.All}");
        }

        return (dir, null);
    }
}
