using System.Text;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Transforms;

/// <summary>
/// The names the appliance's kernel gave the disks. libguestfs translates device names in its API
/// (the first added disk is always <c>/dev/sda</c>), but the kernel probes SCSI targets
/// asynchronously, so the first disk can be <c>sdb</c> to the kernel, and to every guest program run
/// in the appliance (grub-probe, and so grub-mkconfig, writes <c>root=/dev/sdb1</c>). The kernel's
/// names are read back from <c>/proc/self/mountinfo</c>: each mounted filesystem gives its mount
/// point (known by its API name) and the kernel device it came from.
/// </summary>
public static class KernelDiskNames
{
    /// <summary>
    /// For each API disk (in order), the kernel's name for it. A disk no mounted filesystem
    /// identifies keeps its API name unless another disk's kernel name took it (then null).
    /// </summary>
    public static IReadOnlyList<string?> Resolve(string mountinfo, IReadOnlyList<string> apiDisks, IEnumerable<(string ApiDevice, string MountPoint)> mounted, ILogger? log = null)
    {
        var sources = MountSources(mountinfo);
        return FromDevices(mounted.Where(m => sources.ContainsKey(m.MountPoint)).Select(m => (m.ApiDevice, sources[m.MountPoint])), apiDisks, "mountinfo", log);
    }

    /// <summary>
    /// The same from (API device, kernel device) pairs known another way: blkid's DEVNAME is the
    /// kernel's name of the device it was given (/dev/sda1 to the API, DEVNAME=/dev/sdb1).
    /// </summary>
    public static IReadOnlyList<string?> FromDevices(IEnumerable<(string ApiDevice, string KernelDevice)> devices, IReadOnlyList<string> apiDisks, string source, ILogger? log = null)
    {
        var kernelByApi = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (apiDevice, kernelDevice) in devices)
        {
            var api = BlockDeviceName.TryParse(apiDevice);
            if (api is null || BlockDeviceName.TryParse(kernelDevice) is not { } kernel || kernel.Partition != api.Partition)
            {
                continue;
            }

            if (kernelByApi.TryGetValue(api.Disk, out var seen) && seen != kernel.Disk)
            {
                log?.Info($"device: the kernel names disk {api.Disk} both {seen} and {kernel.Disk} ({source}); keeping {seen}");
                continue;
            }

            kernelByApi[api.Disk] = kernel.Disk;
        }

        var taken = new HashSet<string>(kernelByApi.Values, StringComparer.Ordinal);
        var result = new List<string?>(apiDisks.Count);
        foreach (var d in apiDisks)
        {
            if (kernelByApi.TryGetValue(d, out var k))
            {
                if (k != d)
                {
                    log?.Info($"device: the appliance kernel calls disk /dev/{d} /dev/{k} (grub-probe and grub-mkconfig see /dev/{k})");
                }

                result.Add(k);
            }
            else
            {
                result.Add(taken.Contains(d) ? null : d);
            }
        }

        return result;
    }

    /// <summary>Mount point → mount source, from mountinfo(5) lines; the last mount on a point wins (it hides the others).</summary>
    public static IReadOnlyDictionary<string, string> MountSources(string mountinfo)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in mountinfo.Split('\n'))
        {
            var f = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var dash = Array.IndexOf(f, "-");
            if (f.Length < 5 || dash < 6 || dash + 2 >= f.Length)
            {
                continue;
            }

            map[Unescape(f[4])] = Unescape(f[dash + 2]);
        }

        return map;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as <c>\ooo</c> octal.</summary>
    private static string Unescape(string s)
    {
        if (!s.Contains('\\', StringComparison.Ordinal))
        {
            return s;
        }

        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)(((s[i + 1] - '0') * 64) + ((s[i + 2] - '0') * 8) + (s[i + 3] - '0')));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }

        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 2 < s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
