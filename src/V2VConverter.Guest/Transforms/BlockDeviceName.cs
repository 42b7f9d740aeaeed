using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Transforms;

/// <summary>
/// A Linux block device path that names a disk by its bus position (<c>/dev/sda1</c>, <c>/dev/hdb</c>,
/// <c>/dev/xvda2</c>, <c>/dev/nvme0n1p3</c>, <c>/dev/vda1</c>): the names that change when the disk moves
/// to another bus. Names that do not depend on the bus (LABEL=, UUID=, /dev/mapper, /dev/disk/by-*)
/// are not block device names in this sense.
/// </summary>
public sealed partial record BlockDeviceName(string Disk, int? Partition)
{
    /// <summary>The device path: <c>/dev/</c> + disk + partition (with a <c>p</c> when the disk name ends in a digit).</summary>
    public string Path => "/dev/" + Disk + (Partition is null ? "" : PartitionSeparator(Disk) + Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>True for the names a VMware guest uses (sd, hd, xvd, nvme), false for virtio (vd).</summary>
    public bool IsSourceStyle => !Disk.StartsWith("vd", StringComparison.Ordinal);

    public static string PartitionSeparator(string disk) => char.IsAsciiDigit(disk[^1]) ? "p" : "";

    /// <summary>Parses <c>/dev/sda1</c>-style paths; null for anything else.</summary>
    public static BlockDeviceName? TryParse(string path)
    {
        var m = PathRegex().Match(path);
        if (!m.Success)
        {
            return null;
        }

        var disk = m.Groups["disk"].Value;
        int? part = m.Groups["part"].Success ? int.Parse(m.Groups["part"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        return new BlockDeviceName(disk, part);
    }

    /// <summary>Finds device paths inside free text (kernel command lines, config values).</summary>
    public static Regex InText => TextRegex();

    /// <summary>Whole-path form. Letters-only disk suffix for sd/hd/xvd/vd; nvmeXnY with optional pZ.</summary>
    [GeneratedRegex(@"^/dev/(?:(?<disk>(?:sd|hd|xvd|vd)[a-z]{1,3})(?<part>[0-9]{1,3})?|(?<disk>nvme[0-9]{1,3}n[0-9]{1,3})(?:p(?<part>[0-9]{1,3}))?)$", RegexOptions.CultureInvariant)]
    private static partial Regex PathRegex();

    [GeneratedRegex(@"/dev/(?:(?:sd|hd|xvd|vd)[a-z]{1,3}[0-9]{0,3}|nvme[0-9]{1,3}n[0-9]{1,3}(?:p[0-9]{1,3})?)(?![A-Za-z0-9_/.-])", RegexOptions.CultureInvariant)]
    private static partial Regex TextRegex();
}
