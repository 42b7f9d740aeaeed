using System.Diagnostics;
using System.Security.Cryptography;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>
/// The fixture guest (../shared/fixtures/make-linux-guest.sh, built once and cached by
/// tests/deps/setup.d/guest-fixture.sh), converted ONCE per test run from a qcow2 copy, with the
/// appliance launched once for the conversion and once more, read-only, to look at the result.
/// Shared by every test in the "guest appliance" collection.
/// </summary>
public sealed class GuestFixture : IDisposable
{
    public const string FixtureMac = "00:50:56:3a:71:0c";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ConvertedGuest> _converted = [];
    private readonly List<string> _dirs = [];

    static GuestFixture()
    {
        // The appliance cannot use KVM here; the converter still probes and logs it by itself.
        Environment.SetEnvironmentVariable("LIBGUESTFS_BACKEND", Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND") ?? "direct");
    }

    /// <summary>Skips the calling test when ../shared is absent; otherwise the fixture's directory (built on first use).</summary>
    public static string RequireFixture(string variant)
    {
        if (RepoPaths.Shared is null)
        {
            Assert.Skip("../shared (the fixture guest scripts) is absent; the guest integration tests need /work/shared/fixtures");
        }

        Tool.Require("qemu-img");
        Tool.Require("guestfish");
        var script = Path.Combine(RepoPaths.Root, "tests", "deps", "setup.d", "guest-fixture.sh");
        var r = Tool.Run("bash", [script, variant], timeoutMs: 1_200_000);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the fixture guest failed: {r.All}");
        }

        var dir = r.StdOut.Trim().Split('\n')[^1].Trim();
        Assert.True(File.Exists(Path.Combine(dir, "guest.vmdk")), $"no guest.vmdk in {dir}");
        return dir;
    }

    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }

    /// <summary>The converted fixture for a variant ("plain", "pinned"); converted on first use.</summary>
    public ConvertedGuest Get(string variant, DeviceNamingStyle style = DeviceNamingStyle.Uuid)
    {
        var key = variant + "/" + style;
        lock (_gate)
        {
            if (!_converted.TryGetValue(key, out var c))
            {
                c = ConvertedGuest.Create(RequireFixture(variant), style);
                _dirs.Add(c.Directory);
                _converted[key] = c;
            }

            return c;
        }
    }

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("V2V_KEEP_TEST_OUTPUT") == "1")
        {
            return;
        }

        foreach (var d in _dirs)
        {
            try
            {
                System.IO.Directory.Delete(d, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>One conversion of a copy of the fixture, and what the converted disk contains afterwards.</summary>
public sealed class ConvertedGuest
{
    private ConvertedGuest(string directory, string source, string output, GuestConversionReport report, IReadOnlyList<string> log, string sourceShaBefore, string sourceShaAfter, IReadOnlyDictionary<string, string> files, double copySeconds)
    {
        Directory = directory;
        SourceVmdk = source;
        OutputQcow2 = output;
        Report = report;
        Log = log;
        SourceShaBefore = sourceShaBefore;
        SourceShaAfter = sourceShaAfter;
        Files = files;
        CopySeconds = copySeconds;
    }

    public string Directory { get; }

    public string SourceVmdk { get; }

    public string OutputQcow2 { get; }

    public GuestConversionReport Report { get; }

    public IReadOnlyList<string> Log { get; }

    public string SourceShaBefore { get; }

    public string SourceShaAfter { get; }

    public double CopySeconds { get; }

    /// <summary>Guest files read back from the converted disk through a separate read-only appliance (key: guest path, or "lsinitramfs").</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    internal static ConvertedGuest Create(string fixtureDir, DeviceNamingStyle style)
    {
        var dir = Path.Combine("/var/tmp", $"v2v-guest-test-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        var source = Path.Combine(fixtureDir, "guest.vmdk");
        var output = Path.Combine(dir, "guest.qcow2");
        var before = GuestFixture.Sha256(source);
        var sw = Stopwatch.StartNew();
        var r = Tool.Run("nice", ["qemu-img", "convert", "-f", "vmdk", "-O", "qcow2", source, output]);
        Assert.True(r.ExitCode == 0, r.All);
        var copy = sw.Elapsed.TotalSeconds;

        var log = new List<string>();
        var logFile = Path.Combine(dir, "conversion.log");
        var started = Stopwatch.StartNew();
        var report = LinuxGuestConverter.Convert(output, "qcow2", [("sda", "vda")], [new NicInfo(0, GuestFixture.FixtureMac, 160, "vmxnet3")],
            new GuestConversionOptions { DeviceNaming = style }, new TestLog(line =>
            {
                lock (log)
                {
                    log.Add(line);
                    File.AppendAllText(logFile, $"[{started.Elapsed.TotalSeconds,6:F1}] {line}\n");
                }
            }).Logger);
        var after = GuestFixture.Sha256(source);

        // Read the result back independently of the converter's own session.
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var s = GuestfsSession.Launch([new ApplianceDisk(output, "qcow2", ReadOnly: true)], ApplianceAccelerator.Tcg, LogExtensions.None))
        {
            s.Mount("/dev/sda1", "/", readOnly: true);
            foreach (var p in new[] { "/etc/fstab", "/boot/grub/grub.cfg", "/etc/default/grub", "/etc/initramfs-tools/modules", "/var/lib/dpkg/status", "/etc/systemd/network/10-v2v-ens160.link", "/etc/network/interfaces" })
            {
                if (s.IsFile(p))
                {
                    files[p] = s.ReadText(p);
                }
            }

            var kernel = s.Glob("/boot/vmlinuz-*").Single()["/boot/vmlinuz-".Length..];
            files["kernel"] = kernel;
            files["lsinitramfs"] = s.Command("lsinitramfs", $"/boot/initrd.img-{kernel}");
            files["systemd-links"] = string.Join('\n', s.Find("/etc/systemd/system"));
        }

        return new ConvertedGuest(dir, source, output, report, log, before, after, files, copy);
    }
}

[CollectionDefinition("guest appliance")]
public sealed class GuestApplianceCollection : ICollectionFixture<GuestFixture>;
