using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Transforms;

/// <summary>Reads <c>/var/lib/dpkg/status</c>: the packages that are (at least partly) installed.</summary>
public static class DpkgStatus
{
    public static IReadOnlyList<string> InstalledPackages(string text)
    {
        var result = new List<string>();
        string? package = null;
        string? status = null;
        foreach (var raw in (text + "\n\n").Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (package is not null && status is not null && IsInstalled(status))
                {
                    result.Add(package);
                }

                package = status = null;
                continue;
            }

            if (line.StartsWith("Package:", StringComparison.Ordinal))
            {
                package = line[8..].Trim();
            }
            else if (line.StartsWith("Status:", StringComparison.Ordinal))
            {
                status = line[7..].Trim();
            }
        }

        return result;
    }

    /// <summary>"install ok installed", "hold ok installed", "install ok half-configured"... but not "deinstall ok config-files" or "not-installed".</summary>
    private static bool IsInstalled(string status)
    {
        var parts = status.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 3 && parts[2] is "installed" or "half-configured" or "unpacked" or "half-installed" or "triggers-awaited" or "triggers-pending";
    }
}

/// <summary>Which kind of VMware Tools a guest carries.</summary>
public enum VmwareToolsFlavour
{
    None,

    /// <summary>open-vm-tools from the distribution (deb or rpm).</summary>
    OpenVmTools,

    /// <summary>VMware's own packages (OSP repository "vmware-tools-*" or the "VMwareTools" rpm).</summary>
    VmwarePackages,

    /// <summary>Installed from VMware's tarball by vmware-install.pl (/etc/vmware-tools/locations).</summary>
    TarInstalled,
}

public static partial class VmwareToolsPackages
{
    /// <summary>True for package names that belong to any VMware Tools flavour.</summary>
    public static bool IsToolsPackage(string name) => ToolsRegex().IsMatch(name);

    public static bool IsOpenVmTools(string name) => name.StartsWith("open-vm-tool", StringComparison.Ordinal) || name.StartsWith("kmod-open-vm-tools", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?:open-vm-tools(?:-.+)?|open-vm-toolbox|kmod-open-vm-tools.*|vmware-tools(?:-.+)?|vmware-open-vm-tools.*|kmod-vmware-tools.*|VMwareTools)$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolsRegex();
}

/// <summary>
/// The install database a tarball VMware Tools install leaves in <c>/etc/vmware-tools/locations</c>:
/// <c>answer KEY VALUE</c>, <c>file PATH [mtime]</c>, <c>directory PATH</c>, and their <c>remove_</c>
/// counterparts, replayed in order.
/// </summary>
public sealed record VmwareToolsLocations(IReadOnlyDictionary<string, string> Answers, IReadOnlyList<string> Files, IReadOnlyList<string> Directories)
{
    /// <summary>Where the tarball's own uninstaller is, from <c>answer BINDIR</c> (default /usr/bin).</summary>
    public string Uninstaller => (Answers.TryGetValue("BINDIR", out var b) ? b.TrimEnd('/') : "/usr/bin") + "/vmware-uninstall-tools.pl";

    public static VmwareToolsLocations Parse(string text)
    {
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<string>();
        var dirs = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var sp = line.IndexOf(' ', StringComparison.Ordinal);
            if (sp <= 0)
            {
                continue;
            }

            var verb = line[..sp];
            var rest = line[(sp + 1)..].Trim();
            switch (verb)
            {
                case "answer":
                    var sp2 = rest.IndexOf(' ', StringComparison.Ordinal);
                    if (sp2 > 0)
                    {
                        answers[rest[..sp2]] = rest[(sp2 + 1)..].Trim();
                    }

                    break;
                case "remove_answer":
                    answers.Remove(rest);
                    break;
                case "file":
                    var path = FirstToken(rest);
                    if (path.StartsWith('/') && !files.Contains(path))
                    {
                        files.Add(path);
                    }

                    break;
                case "remove_file":
                    files.Remove(FirstToken(rest));
                    break;
                case "directory":
                    if (rest.StartsWith('/') && !dirs.Contains(rest))
                    {
                        dirs.Add(rest);
                    }

                    break;
                case "remove_directory":
                    dirs.Remove(rest);
                    break;
            }
        }

        return new VmwareToolsLocations(answers, files, dirs);
    }

    private static string FirstToken(string s)
    {
        var sp = s.IndexOf(' ', StringComparison.Ordinal);
        return sp < 0 ? s : s[..sp];
    }
}

/// <summary>Picks the service enablement links (systemd wants/, SysV rc?.d) that start VMware Tools daemons.</summary>
public static partial class VmwareServiceLinks
{
    public static IReadOnlyList<string> Select(IEnumerable<string> paths) =>
        paths.Where(p => ServiceRegex().IsMatch(Path.GetFileName(p))).ToList();

    [GeneratedRegex(@"^(?:[SK][0-9]{2})?(?:vmtoolsd|vmware-tools.*|vgauth.*|VGAuthService.*|open-vm-tools.*|vmware-vmblock.*|run-vmblock.*|vmware-thinprint.*)(?:\.service|\.mount)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ServiceRegex();
}
