namespace V2VConverter.Guest.Access;

/// <summary>Devices, filesystems, libguestfs's OS inspection, LVM and mounts.</summary>
public sealed partial class GuestfsSession
{
    /// <summary>Appliance device names of the added disks, in the order they were added.</summary>
    public IReadOnlyList<string> ListDevices() => _devices ??= TakeList(NativeMethods.ListDevices(Handle), "list_devices");

    /// <summary>Every filesystem libguestfs sees, with its type (device, vfstype).</summary>
    public IReadOnlyList<(string Device, string Type)> ListFilesystems() => Pairs(TakeList(NativeMethods.ListFilesystems(Handle), "list_filesystems"));

    /// <summary>Roots of the operating systems found (inspect_os); empty when none is found.</summary>
    public IReadOnlyList<string> InspectOs() => TakeList(NativeMethods.InspectOs(Handle), "inspect_os");

    public string InspectType(string root) => TakeString(NativeMethods.guestfs_inspect_get_type(Handle, root), "inspect_get_type");

    public string InspectDistro(string root) => TakeString(NativeMethods.guestfs_inspect_get_distro(Handle, root), "inspect_get_distro");

    public string InspectProductName(string root) => TakeString(NativeMethods.guestfs_inspect_get_product_name(Handle, root), "inspect_get_product_name");

    public string InspectArch(string root) => TakeString(NativeMethods.guestfs_inspect_get_arch(Handle, root), "inspect_get_arch");

    public string InspectHostname(string root) => TakeString(NativeMethods.guestfs_inspect_get_hostname(Handle, root), "inspect_get_hostname");

    public string InspectPackageFormat(string root) => TakeString(NativeMethods.guestfs_inspect_get_package_format(Handle, root), "inspect_get_package_format");

    public string InspectPackageManagement(string root) => TakeString(NativeMethods.guestfs_inspect_get_package_management(Handle, root), "inspect_get_package_management");

    public int InspectMajorVersion(string root) => CheckInt(NativeMethods.guestfs_inspect_get_major_version(Handle, root), "inspect_get_major_version");

    public int InspectMinorVersion(string root) => CheckInt(NativeMethods.guestfs_inspect_get_minor_version(Handle, root), "inspect_get_minor_version");

    /// <summary>(mountpoint, device) pairs of the guest's own fstab, as inspection understood it.</summary>
    public IReadOnlyList<(string MountPoint, string Device)> InspectMountpoints(string root) =>
        Pairs(TakeList(NativeMethods.guestfs_inspect_get_mountpoints(Handle, root), "inspect_get_mountpoints"));

    /// <summary>The filesystems inspection associated with the OS (cached by inspection: no rescan, unlike list_filesystems).</summary>
    public IReadOnlyList<string> InspectFilesystems(string root) => TakeList(NativeMethods.guestfs_inspect_get_filesystems(Handle, root), "inspect_get_filesystems");

    public string VfsType(string dev) => TakeString(NativeMethods.guestfs_vfs_type(Handle, dev), "vfs_type");

    public string VfsUuid(string dev) => TakeString(NativeMethods.guestfs_vfs_uuid(Handle, dev), "vfs_uuid");

    public string VfsLabel(string dev) => TakeString(NativeMethods.guestfs_vfs_label(Handle, dev), "vfs_label");

    /// <summary>Every partition on the added disks (appliance names).</summary>
    public IReadOnlyList<string> ListPartitions() => TakeList(NativeMethods.ListPartitions(Handle), "list_partitions");

    /// <summary>blkid's tags for one device (TYPE, UUID, LABEL, PART_ENTRY_UUID, ...): one call for what vfs_type/uuid/label take three.</summary>
    /// <remarks>
    /// Remembered per device for the session: blkid is a program the appliance runs (a few hundred ms under TCG), the
    /// inspection paths ask the same devices, and nothing the converter does changes a filesystem's type, UUID, label or
    /// partition entry. A device blkid fails on fails again with the same error.
    /// </remarks>
    public IReadOnlyDictionary<string, string> Blkid(string device)
    {
        if (_blkid.TryGetValue(device, out var known))
        {
            return known.Tags ?? throw new GuestfsException(known.Error!);
        }

        List<string> flat;
        try
        {
            flat = TakeList(NativeMethods.guestfs_blkid(Handle, device), $"blkid {device}");
        }
        catch (GuestfsException e)
        {
            _blkid[device] = (null, e.Message);
            throw;
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in Pairs(flat))
        {
            tags[k] = v;
        }

        _blkid[device] = (tags, null);
        return tags;
    }

    private readonly Dictionary<string, (IReadOnlyDictionary<string, string>? Tags, string? Error)> _blkid = new(StringComparer.Ordinal);

    /// <summary>The architecture of a guest binary (x86_64, i386, aarch64, ...), as inspection reports it.</summary>
    public string FileArchitecture(string path) => TakeString(NativeMethods.guestfs_file_architecture(Handle, path), $"file_architecture {path}");

    public void Unmount(string mountPoint) => Check(Handle, NativeMethods.guestfs_umount(Handle, mountPoint), $"umount {mountPoint}");

    public IReadOnlyList<string> VolumeGroups() => TakeList(NativeMethods.Vgs(Handle), "vgs");

    public IReadOnlyList<string> LogicalVolumes() => TakeList(NativeMethods.Lvs(Handle), "lvs");

    public void Mount(string device, string mountPoint, bool readOnly)
    {
        var rc = readOnly ? NativeMethods.guestfs_mount_ro(Handle, device, mountPoint) : NativeMethods.guestfs_mount(Handle, device, mountPoint);
        Check(Handle, rc, $"mount {device} on {mountPoint}");
    }

    public void UnmountAll() => Check(Handle, NativeMethods.UmountAll(Handle), "umount_all");
}
