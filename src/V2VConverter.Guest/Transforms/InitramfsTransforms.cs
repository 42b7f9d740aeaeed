using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Transforms;

/// <summary>The drivers a Linux guest needs in its initramfs to find its root disk and NIC on KVM.</summary>
public static class VirtioDrivers
{
    public static readonly IReadOnlyList<string> Modules = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"];

    /// <summary>Module names compare with '-' and '_' as the same character, like modprobe does.</summary>
    public static string Normalize(string module) => module.Replace('-', '_');
}

/// <summary>
/// initramfs-tools: appends missing modules to <c>/etc/initramfs-tools/modules</c> (one per line,
/// under a comment). This works with every <c>MODULES=</c> policy, including <c>MODULES=list</c>.
/// </summary>
public static class InitramfsToolsModulesTransform
{
    public const string Header = "# Added by v2v-converter: virtio drivers for KVM";

    public static TextTransformResult AddModules(string text, IEnumerable<string> modules)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        var (lines, _) = GuestText.Split(text);
        foreach (var l in lines)
        {
            var t = l.Trim();
            if (t.Length == 0 || t[0] == '#')
            {
                continue;
            }

            present.Add(VirtioDrivers.Normalize(t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]));
        }

        var missing = modules.Where(m => !present.Contains(VirtioDrivers.Normalize(m))).ToList();
        if (missing.Count == 0)
        {
            return TextTransformResult.Unchanged(text);
        }

        var added = new List<string> { Header };
        added.AddRange(missing);
        var newText = GuestText.Append(text, added);
        var first = GuestText.Split(text).Lines.Count + 1;
        var changes = added.Select((l, k) => new LineChange(first + k, "", l)).ToList();
        return new TextTransformResult(newText, changes, []);
    }
}

/// <summary>dracut: a drop-in <c>/etc/dracut.conf.d/</c> file with <c>add_drivers+=</c> (dracut ≥ 0.9 reads it for every build).</summary>
public static class DracutConfTransform
{
    public const string FileName = "/etc/dracut.conf.d/90-v2v-virtio.conf";

    public static string Render(IEnumerable<string> modules) =>
        "# Added by v2v-converter: virtio drivers for KVM\n" +
        $"add_drivers+=\" {string.Join(' ', modules)} \"\n";

    /// <summary>The new drop-in compared with what is there now (null when absent).</summary>
    public static TextTransformResult Apply(string? existing, IEnumerable<string> modules)
    {
        var text = Render(modules);
        if (string.Equals(existing, text, StringComparison.Ordinal))
        {
            return TextTransformResult.Unchanged(text);
        }

        var changes = GuestText.Split(text).Lines.Select((l, i) => new LineChange(i + 1, "", l)).ToList();
        return new TextTransformResult(text, changes, []);
    }
}

/// <summary>
/// mkinitrd (SUSE): adds modules to <c>INITRD_MODULES="..."</c> in <c>/etc/sysconfig/kernel</c>,
/// keeping the order of the modules already there. A missing variable is appended.
/// </summary>
public static partial class SuseKernelSysconfigTransform
{
    public static TextTransformResult AddModules(string text, IEnumerable<string> modules)
    {
        var (lines, endings) = GuestText.Split(text);
        for (var i = 0; i < lines.Count; i++)
        {
            var m = InitrdModulesRegex().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }

            var existing = m.Groups["v"].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
            var have = existing.Select(VirtioDrivers.Normalize).ToHashSet(StringComparer.Ordinal);
            var missing = modules.Where(x => !have.Contains(VirtioDrivers.Normalize(x))).ToList();
            if (missing.Count == 0)
            {
                return TextTransformResult.Unchanged(text);
            }

            var after = $"{m.Groups["pre"].Value}\"{string.Join(' ', existing.Concat(missing))}\"{m.Groups["post"].Value}";
            var change = new LineChange(i + 1, lines[i], after);
            lines[i] = after;
            return new TextTransformResult(GuestText.Join(lines, endings), [change], []);
        }

        var line = $"INITRD_MODULES=\"{string.Join(' ', modules)}\"";
        return new TextTransformResult(GuestText.Append(text, [line]), [new LineChange(lines.Count + 1, "", line)], []);
    }

    [GeneratedRegex(@"^(?<pre>\s*INITRD_MODULES=)""(?<v>[^""]*)""(?<post>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex InitrdModulesRegex();
}

/// <summary>
/// mkinitrd (RHEL 5 era): it takes block drivers from <c>alias scsi_hostadapterN</c> lines of
/// <c>/etc/modprobe.conf</c>; this adds aliases for the virtio block drivers.
/// </summary>
public static partial class ModprobeConfTransform
{
    public static TextTransformResult AddScsiHostAdapters(string text, IEnumerable<string> modules)
    {
        var (lines, _) = GuestText.Split(text);
        var used = new HashSet<int>();
        var aliased = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in lines)
        {
            var m = AliasRegex().Match(l);
            if (m.Success)
            {
                used.Add(m.Groups["n"].Value.Length == 0 ? 0 : int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture));
                aliased.Add(VirtioDrivers.Normalize(m.Groups["mod"].Value));
            }
        }

        var added = new List<string>();
        var next = 0;
        foreach (var mod in modules.Where(x => x is "virtio_blk" or "virtio_scsi" or "virtio_pci"))
        {
            if (aliased.Contains(mod))
            {
                continue;
            }

            while (used.Contains(next))
            {
                next++;
            }

            used.Add(next);
            added.Add(next == 0 ? $"alias scsi_hostadapter {mod}" : $"alias scsi_hostadapter{next} {mod}");
        }

        if (added.Count == 0)
        {
            return TextTransformResult.Unchanged(text);
        }

        return new TextTransformResult(GuestText.Append(text, added), added.Select((l, k) => new LineChange(lines.Count + 1 + k, "", l)).ToList(), []);
    }

    [GeneratedRegex(@"^\s*alias\s+scsi_hostadapter(?<n>[0-9]*)\s+(?<mod>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex AliasRegex();
}

/// <summary>Reads module names out of <c>lsinitramfs</c>/<c>lsinitrd</c> listings and <c>modules.builtin</c>.</summary>
public static partial class ModuleListing
{
    /// <summary>Every <c>*.ko</c>, <c>*.ko.xz</c>, <c>*.ko.zst</c>, <c>*.ko.gz</c> path in a listing, as normalized module names.</summary>
    public static IReadOnlySet<string> ModuleNames(string listing)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in KoRegex().Matches(listing))
        {
            set.Add(VirtioDrivers.Normalize(m.Groups["name"].Value));
        }

        return set;
    }

    [GeneratedRegex(@"(?:^|/|\s)(?<name>[A-Za-z0-9_-]+)\.ko(?:\.(?:xz|zst|gz|bz2))?(?=\s|$)", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex KoRegex();
}
