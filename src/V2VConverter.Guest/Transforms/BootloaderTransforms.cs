using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Transforms;

/// <summary>
/// Rewrites <c>root=</c>, <c>resume=</c> and <c>real_root=</c> kernel arguments wherever they occur:
/// GRUB 2 <c>grub.cfg</c> <c>linux</c> lines, GRUB legacy <c>menu.lst</c> <c>kernel</c> lines and its
/// <c># kopt=</c> line (which Debian's update-grub reads, so it is rewritten although it looks like a comment).
/// </summary>
public static partial class KernelArgsTransform
{
    public static TextTransformResult Apply(string text, DeviceRemapper map, string fileLabel = "grub.cfg")
    {
        var (lines, endings) = GuestText.Split(text);
        var changes = new List<LineChange>();
        var warnings = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var after = RewriteArgs(lines[i], map, warnings, $"{fileLabel} line {i + 1}");
            if (!string.Equals(after, lines[i], StringComparison.Ordinal))
            {
                changes.Add(new LineChange(i + 1, lines[i], after));
                lines[i] = after;
            }
        }

        return new TextTransformResult(GuestText.Join(lines, endings), changes, warnings);
    }

    internal static string RewriteArgs(string line, DeviceRemapper map, List<string> warnings, string where) =>
        ArgRegex().Replace(line, m =>
        {
            var outcome = map.Remap(m.Groups["dev"].Value, UuidSyntax.Tag);
            if (outcome.Note is not null)
            {
                warnings.Add($"{where}: {outcome.Note}");
            }

            return outcome.Kind == RemapKind.Mapped ? m.Groups["key"].Value + "=" + outcome.NewValue : m.Value;
        });

    [GeneratedRegex(@"(?<![\w.-])(?<key>root|resume|real_root)=(?<dev>/dev/[^\s""';]+)", RegexOptions.CultureInvariant)]
    private static partial Regex ArgRegex();
}

/// <summary>
/// Rewrites <c>/etc/default/grub</c>: kernel arguments in <c>GRUB_CMDLINE_LINUX*</c>, a hard-coded
/// <c>GRUB_DEVICE</c>, and, in UUID style, comments out <c>GRUB_DISABLE_LINUX_UUID=true</c> so that
/// the regenerated grub.cfg says <c>root=UUID=</c> instead of a bus-position name.
/// </summary>
public static partial class GrubDefaultsTransform
{
    public const string DisabledMarker = "# disabled by v2v-converter: disk names change on KVM, grub must use root=UUID=";

    public static TextTransformResult Apply(string text, DeviceRemapper map)
    {
        var (lines, endings) = GuestText.Split(text);
        var changes = new List<LineChange>();
        var warnings = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            string after;
            var dev = GrubDeviceRegex().Match(line);
            if (DisableUuidRegex().IsMatch(line) && map.Style == DeviceNamingStyle.Uuid)
            {
                after = "#" + line + " " + DisabledMarker;
            }
            else if (dev.Success)
            {
                var outcome = map.Remap(dev.Groups["dev"].Value, UuidSyntax.ByUuidPath);
                if (outcome.Note is not null)
                {
                    warnings.Add($"/etc/default/grub line {i + 1}: {outcome.Note}");
                }

                after = outcome.Kind == RemapKind.Mapped
                    ? string.Concat(line.AsSpan(0, dev.Groups["dev"].Index), outcome.NewValue, line.AsSpan(dev.Groups["dev"].Index + dev.Groups["dev"].Length))
                    : line;
            }
            else
            {
                after = KernelArgsTransform.RewriteArgs(line, map, warnings, $"/etc/default/grub line {i + 1}");
            }

            if (!string.Equals(after, line, StringComparison.Ordinal))
            {
                changes.Add(new LineChange(i + 1, line, after));
                lines[i] = after;
            }
        }

        return new TextTransformResult(GuestText.Join(lines, endings), changes, warnings);
    }

    [GeneratedRegex(@"^\s*(?:export\s+)?GRUB_DISABLE_LINUX_UUID=[""']?true[""']?\s*(?:#.*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DisableUuidRegex();

    [GeneratedRegex(@"^\s*(?:export\s+)?GRUB_DEVICE=[""']?(?<dev>/dev/[^\s""']+)", RegexOptions.CultureInvariant)]
    private static partial Regex GrubDeviceRegex();
}

/// <summary>Rewrites GRUB's <c>device.map</c> (<c>(hd0) /dev/sda</c>): whole disks, always by their new name.</summary>
public static partial class DeviceMapTransform
{
    public static TextTransformResult Apply(string text, DeviceRemapper map)
    {
        var (lines, endings) = GuestText.Split(text);
        var changes = new List<LineChange>();
        var warnings = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var m = EntryRegex().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }

            var g = m.Groups["dev"];
            var outcome = map.Remap(g.Value, UuidSyntax.None);
            if (outcome.Note is not null)
            {
                warnings.Add($"device.map line {i + 1}: {outcome.Note}");
            }

            if (outcome.Kind == RemapKind.Mapped)
            {
                var after = string.Concat(lines[i].AsSpan(0, g.Index), outcome.NewValue, lines[i].AsSpan(g.Index + g.Length));
                changes.Add(new LineChange(i + 1, lines[i], after));
                lines[i] = after;
            }
        }

        return new TextTransformResult(GuestText.Join(lines, endings), changes, warnings);
    }

    [GeneratedRegex(@"^\s*\((?:hd|fd)[0-9]+\)\s+(?<dev>/dev/\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex EntryRegex();
}

/// <summary>A place in a guest file that still names a device of a converted source disk.</summary>
public sealed record StaleDeviceReference(string File, int Line, string Device, string Text);

/// <summary>
/// The verification after the bootloader and fstab fixups: finds every remaining mention of a
/// converted source disk (<c>/dev/sda1</c> when sda became vda). Comment lines are skipped, except
/// GRUB legacy's <c># kopt=</c>/<c># groot=</c> lines, which update-grub reads.
/// </summary>
public static class StaleDeviceScanner
{
    public static IReadOnlyList<StaleDeviceReference> Scan(string file, string text, IReadOnlyCollection<string> sourceDisks, IReadOnlyCollection<string> targetDisks)
    {
        var stale = new HashSet<string>(sourceDisks.Except(targetDisks, StringComparer.Ordinal), StringComparer.Ordinal);
        var found = new List<StaleDeviceReference>();
        if (stale.Count == 0)
        {
            return found;
        }

        var (lines, _) = GuestText.Split(text);
        for (var i = 0; i < lines.Count; i++)
        {
            var t = lines[i].TrimStart();
            if (t.StartsWith('#') && !t.StartsWith("# kopt=", StringComparison.Ordinal) && !t.StartsWith("# groot=", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (System.Text.RegularExpressions.Match m in BlockDeviceName.InText.Matches(lines[i]))
            {
                var dev = BlockDeviceName.TryParse(m.Value);
                if (dev is not null && stale.Contains(dev.Disk))
                {
                    found.Add(new StaleDeviceReference(file, i + 1, m.Value, lines[i]));
                }
            }
        }

        return found;
    }
}

/// <summary>
/// Pairs the kernel lines (<c>linux</c>, <c>linux16</c>, <c>linuxefi</c>, <c>kernel</c>) of a grub.cfg
/// before and after regeneration, in order, so a report can show what a grub-mkconfig run changed.
/// </summary>
public static partial class KernelLineDiff
{
    public static IReadOnlyList<LineChange> Compare(string before, string after)
    {
        var a = KernelLines(before);
        var b = KernelLines(after);
        var changes = new List<LineChange>();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var (la, ta) = i < a.Count ? a[i] : (0, "");
            var (lb, tb) = i < b.Count ? b[i] : (0, "");
            if (!string.Equals(ta.Trim(), tb.Trim(), StringComparison.Ordinal))
            {
                changes.Add(new LineChange(lb > 0 ? lb : la, ta.Trim(), tb.Trim()));
            }
        }

        return changes;
    }

    public static List<(int Line, string Text)> KernelLines(string text)
    {
        var (lines, _) = GuestText.Split(text);
        return lines.Select((l, i) => (i + 1, l)).Where(x => KernelLineRegex().IsMatch(x.l)).ToList();
    }

    [GeneratedRegex(@"^\s*(?:linux|linux16|linuxefi|kernel)\s", RegexOptions.CultureInvariant)]
    private static partial Regex KernelLineRegex();
}

/// <summary>
/// Debian's debconf answer <c>grub-pc/install_devices</c> in <c>/var/cache/debconf/config.dat</c>
/// (<c>Value: /dev/sda</c>): the disk a grub-pc upgrade reinstalls GRUB to. Left as sda, the next
/// upgrade on KVM fails; the whole-disk names are remapped (by-id paths are left alone).
/// </summary>
public static class DebconfGrubInstallDevicesTransform
{
    public const string ConfigDat = "/var/cache/debconf/config.dat";

    public static TextTransformResult Apply(string text, DeviceRemapper map)
    {
        var (lines, endings) = GuestText.Split(text);
        var changes = new List<LineChange>();
        var warnings = new List<string>();
        var inStanza = false;
        for (var i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            if (l.Length == 0)
            {
                inStanza = false;
                continue;
            }

            if (l.StartsWith("Name: ", StringComparison.Ordinal))
            {
                inStanza = l == "Name: grub-pc/install_devices";
                continue;
            }

            if (!inStanza || !l.StartsWith("Value: ", StringComparison.Ordinal))
            {
                continue;
            }

            var devs = l[7..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(d =>
            {
                var o = map.Remap(d, UuidSyntax.None);
                if (o.Note is not null)
                {
                    warnings.Add($"{ConfigDat} line {i + 1}: {o.Note}");
                }

                return o.Kind == RemapKind.Mapped ? o.NewValue! : d;
            });
            var after = "Value: " + string.Join(", ", devs);
            if (!string.Equals(after, l, StringComparison.Ordinal))
            {
                changes.Add(new LineChange(i + 1, l, after));
                lines[i] = after;
            }
        }

        return new TextTransformResult(GuestText.Join(lines, endings), changes, warnings);
    }
}

/// <summary>The <c>root=</c> argument of a kernel line when it names a disk by its bus position (<c>root=/dev/vda1</c>).</summary>
public static partial class RootArgument
{
    public static BlockDeviceName? Device(string kernelLine)
    {
        var m = RootRegex().Match(kernelLine);
        return m.Success ? BlockDeviceName.TryParse(m.Groups["dev"].Value) : null;
    }

    [GeneratedRegex(@"(?:^|\s)root=(?<dev>/dev/\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex RootRegex();
}
