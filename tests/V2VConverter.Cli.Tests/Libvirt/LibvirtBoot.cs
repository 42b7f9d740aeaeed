using System.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// Converts a source into the test libvirtd with <c>-o libvirt --start</c>, every serial port logged to a file
/// (serial0 is the console), and waits for the fixture guest's V2V-BOOT-OK and V2V-NET-OK. Shared by the boot
/// proofs of a .vmx and of an OVA.
/// </summary>
internal static class LibvirtBoot
{
    /// <summary>Runs the conversion of <paramref name="source"/> as domain <paramref name="name"/> and asserts the boot; returns the console text.</summary>
    public static string ConvertStartAndWait(LibvirtHost host, string dir, string name, string source, params string[] extra)
    {
        // Each serial port goes to a log file (virtlogd writes it); everything else is the shipped templates.
        var templates = Path.Combine(dir, "templates");
        CopyTree(Path.Combine(RepoPaths.Root, "templates"), templates);
        var log = Path.Combine(dir, "serial0.log");
        var serial = File.ReadAllText(Path.Combine(templates, "devices", "serial.xml"));
        File.WriteAllText(Path.Combine(templates, "devices", "serial.xml"), serial.Replace("  <target port=", $"  <log file=\"{dir}/serial{{{{index}}}}.log\" append=\"off\"/>\n  <target port=", StringComparison.Ordinal));

        var r = CliRunner.Run(dir, new Dictionary<string, string?> { ["HOME"] = dir },
            ["convert", source, "-o", "libvirt", "-oc", host.LocalUri, "-os", host.DirPool, "--start",
            "--network", host.NetworkName, "--templates", templates,
            "--set", "devices:domain:rules:default:type=qemu", .. extra]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("compatibility", r.Err, StringComparison.Ordinal);
        Assert.Contains("(started)", r.Err, StringComparison.Ordinal);
        Assert.Equal("running", host.CheckVirsh(host.LocalUri, "domstate", name).Trim());

        var sw = Stopwatch.StartNew();
        var text = "";
        while (sw.Elapsed < TimeSpan.FromSeconds(420) && !text.Contains("V2V-NET-OK", StringComparison.Ordinal) && host.CheckVirsh(host.LocalUri, "domstate", name).Trim() == "running")
        {
            Thread.Sleep(2000);
            text = File.Exists(log) ? File.ReadAllText(log) : "";
        }

        text = File.Exists(log) ? File.ReadAllText(log) : ""; // the guest may power itself off once it has reported
        Assert.True(text.Contains("V2V-BOOT-OK", StringComparison.Ordinal), $"no V2V-BOOT-OK after {sw.Elapsed.TotalSeconds:F0} s:\n{Tail(text)}\n{r.Err}");
        Assert.True(text.Contains("V2V-NET-OK", StringComparison.Ordinal), $"no V2V-NET-OK after {sw.Elapsed.TotalSeconds:F0} s:\n{Tail(text)}");
        Assert.Contains("root=/dev/vda1", text, StringComparison.Ordinal);
        return r.Err;
    }

    /// <summary>Destroys and undefines the domain and deletes its volumes from the test pool.</summary>
    public static void Remove(LibvirtHost host, string name)
    {
        host.Virsh(host.LocalUri, "destroy", name);
        host.Virsh(host.LocalUri, "undefine", name, "--nvram");
        foreach (var line in host.CheckVirsh(host.LocalUri, "vol-list", "--pool", host.DirPool).Split('\n'))
        {
            var vol = line.Trim().Split(' ', 2)[0];
            if (vol.StartsWith(name, StringComparison.Ordinal))
            {
                host.Virsh(host.LocalUri, "vol-delete", "--pool", host.DirPool, vol);
            }
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(25));

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
    }
}
