namespace V2VConverter.Guest.Transforms;

/// <summary>How remapped devices are written: <c>UUID=</c> (default, bus independent) or the new virtio name.</summary>
public enum DeviceNamingStyle
{
    Uuid,
    VirtioName,
}

/// <summary>Which UUID spelling a place accepts: <c>UUID=x</c> (fstab, crypttab, root=, resume=) or <c>/dev/disk/by-uuid/x</c>.</summary>
public enum UuidSyntax
{
    Tag,
    ByUuidPath,

    /// <summary>UUIDs are meaningless here (device.map names whole disks): always the device name.</summary>
    None,
}

public enum RemapKind
{
    /// <summary>Not a bus-position device name (LABEL=, UUID=, /dev/mapper/..., tmpfs...): left alone.</summary>
    NotADevice,

    /// <summary>Already a virtio name: left alone.</summary>
    AlreadyTarget,

    Mapped,

    /// <summary>A source-style device whose disk is not in the map: left alone with a warning.</summary>
    Unmappable,
}

public sealed record RemapOutcome(RemapKind Kind, string? NewValue, string? Note);

/// <summary>
/// Maps source device names to what the converted guest must use. The disk map pairs source disks
/// with target disks in order (<c>sda → vda</c>, <c>sdb → vdb</c>); the UUID table holds the
/// filesystem UUID of each target device path (<c>/dev/vda1</c>), as libguestfs reads it (vfs-uuid).
/// </summary>
public sealed class DeviceRemapper
{
    private readonly Dictionary<string, string> _disks;
    private readonly Dictionary<string, string> _uuids;

    public DeviceRemapper(IEnumerable<KeyValuePair<string, string>> diskMap, IEnumerable<KeyValuePair<string, string>> uuidsByTargetPath, DeviceNamingStyle style)
    {
        _disks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (source, target) in diskMap)
        {
            _disks[StripDev(source)] = StripDev(target);
        }

        _uuids = new Dictionary<string, string>(uuidsByTargetPath, StringComparer.Ordinal);
        Style = style;
    }

    public DeviceNamingStyle Style { get; }

    /// <summary>Source disk names (without /dev/) the map knows.</summary>
    public IReadOnlyCollection<string> SourceDisks => _disks.Keys;

    public RemapOutcome Remap(string value, UuidSyntax syntax)
    {
        var dev = BlockDeviceName.TryParse(value);
        if (dev is null)
        {
            return new RemapOutcome(RemapKind.NotADevice, null, null);
        }

        if (!_disks.TryGetValue(dev.Disk, out var targetDisk))
        {
            if (!dev.IsSourceStyle)
            {
                return new RemapOutcome(RemapKind.AlreadyTarget, null, null);
            }

            return new RemapOutcome(RemapKind.Unmappable, null, $"{value}: disk {dev.Disk} is not one of the converted disks ({string.Join(", ", _disks.Keys)}); left unchanged, fix it by hand if it matters");
        }

        var target = new BlockDeviceName(targetDisk, dev.Partition).Path;
        if (Style == DeviceNamingStyle.Uuid && syntax != UuidSyntax.None)
        {
            if (_uuids.TryGetValue(target, out var uuid) && uuid.Length > 0)
            {
                return new RemapOutcome(RemapKind.Mapped, syntax == UuidSyntax.Tag ? "UUID=" + uuid : "/dev/disk/by-uuid/" + uuid, null);
            }

            return new RemapOutcome(RemapKind.Mapped, target, $"{value}: no filesystem UUID known for {target}; used the device name");
        }

        return new RemapOutcome(RemapKind.Mapped, target, null);
    }

    private static string StripDev(string s) => s.StartsWith("/dev/", StringComparison.Ordinal) ? s[5..] : s;
}
