using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Transforms;

/// <summary>
/// Rewrites the device field of <c>/etc/fstab</c> (field 1) or <c>/etc/crypttab</c> (field 2).
/// Only the device token is replaced, so comments, spacing and the other fields stay byte for byte.
/// LABEL=, UUID=, PARTUUID=, LVM (/dev/mapper, /dev/VG/LV) and /dev/disk/by-* are left alone; a
/// source device whose disk is not converted is left alone with a warning.
/// </summary>
public static partial class FstabTransform
{
    public static TextTransformResult ApplyFstab(string text, DeviceRemapper map) => Apply(text, map, fieldIndex: 0, "fstab");

    public static TextTransformResult ApplyCrypttab(string text, DeviceRemapper map) => Apply(text, map, fieldIndex: 1, "crypttab");

    private static TextTransformResult Apply(string text, DeviceRemapper map, int fieldIndex, string what)
    {
        var (lines, endings) = GuestText.Split(text);
        var changes = new List<LineChange>();
        var warnings = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            var fields = FieldRegex().Matches(line);
            if (fields.Count <= fieldIndex)
            {
                continue;
            }

            var field = fields[fieldIndex];
            var outcome = map.Remap(field.Value, UuidSyntax.Tag);
            if (outcome.Note is not null)
            {
                warnings.Add($"{what} line {i + 1}: {outcome.Note}");
            }

            if (outcome.Kind != RemapKind.Mapped)
            {
                continue;
            }

            var after = string.Concat(line.AsSpan(0, field.Index), outcome.NewValue, line.AsSpan(field.Index + field.Length));
            changes.Add(new LineChange(i + 1, line, after));
            lines[i] = after;
        }

        return new TextTransformResult(GuestText.Join(lines, endings), changes, warnings);
    }

    [GeneratedRegex(@"\S+", RegexOptions.CultureInvariant)]
    private static partial Regex FieldRegex();
}
