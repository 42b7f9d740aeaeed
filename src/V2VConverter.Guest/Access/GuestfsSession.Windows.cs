namespace V2VConverter.Guest.Access;

/// <summary>What the Windows converter needs beyond the Linux file calls: whole-file transfers (hives, driver trees),
/// copies inside the appliance, Windows path case, Windows inspection facts and partition types.</summary>
public sealed partial class GuestfsSession
{
    /// <summary>Copies a guest file to a local file (chunked transfer: no size limit of the protocol).</summary>
    public void Download(string guestPath, string localPath) =>
        Check(Handle, NativeMethods.guestfs_download(Handle, guestPath, localPath), $"download {guestPath}");

    /// <summary>Replaces a guest file with a local file's contents.</summary>
    public void Upload(string localPath, string guestPath) =>
        Check(Handle, NativeMethods.guestfs_upload(Handle, localPath, guestPath), $"upload {guestPath}");

    /// <summary>Unpacks a local (uncompressed) tar into a guest directory: one transfer for a whole tree.</summary>
    public void TarIn(string localTar, string guestDirectory) =>
        Check(Handle, NativeMethods.guestfs_tar_in(Handle, localTar, guestDirectory), $"tar_in {guestDirectory}");

    public void RemoveDirectory(string path) => Check(Handle, NativeMethods.guestfs_rmdir(Handle, path), $"rmdir {path}");

    /// <summary>The path as it is spelt on a case-insensitive guest filesystem (NTFS): "/windows/system32" -> "/Windows/System32".
    /// Components that do not exist yet keep the case given.</summary>
    public string CaseSensitivePath(string path) => TakeString(NativeMethods.guestfs_case_sensitive_path(Handle, path), $"case_sensitive_path {path}");

    /// <summary>
    /// <see cref="CaseSensitivePath"/> for a path whose last components may not exist yet (a folder about to be created):
    /// the existing part spelt as on disk, the rest as given.
    /// </summary>
    public string ResolveCase(string path)
    {
        try
        {
            return CaseSensitivePath(path);
        }
        catch (GuestfsException) when (path.LastIndexOf('/') > 0)
        {
            var cut = path.LastIndexOf('/');
            return ResolveCase(path[..cut]) + path[cut..];
        }
    }

    public long FileSize(string path)
    {
        var n = NativeMethods.guestfs_filesize(Handle, path);
        if (n < 0)
        {
            throw new GuestfsException($"libguestfs filesize {path}: {LastError(Handle)}");
        }

        return n;
    }

    /// <summary>"/Windows" (the guest path of %SystemRoot%, as inspection found it).</summary>
    public string InspectWindowsSystemRoot(string root) => TakeString(NativeMethods.guestfs_inspect_get_windows_systemroot(Handle, root), "inspect_get_windows_systemroot");

    /// <summary>"ControlSet001": the control set the guest boots with.</summary>
    public string InspectWindowsCurrentControlSet(string root) => TakeString(NativeMethods.guestfs_inspect_get_windows_current_control_set(Handle, root), "inspect_get_windows_current_control_set");

    /// <summary>"Client", "Server", "Embedded" or "unknown".</summary>
    public string InspectProductVariant(string root) => TakeString(NativeMethods.guestfs_inspect_get_product_variant(Handle, root), "inspect_get_product_variant");

    /// <summary>Drive letters to appliance devices ("C", "/dev/sda2"), from the guest's MountedDevices.</summary>
    public IReadOnlyList<(string Letter, string Device)> InspectDriveMappings(string root) =>
        Pairs(TakeList(NativeMethods.guestfs_inspect_get_drive_mappings(Handle, root), "inspect_get_drive_mappings"));

    /// <summary>"msdos", "gpt", ... for a whole disk.</summary>
    public string PartitionTableType(string disk) => TakeString(NativeMethods.guestfs_part_get_parttype(Handle, disk), $"part_get_parttype {disk}");

    public int PartitionMbrId(string disk, int number) => CheckInt(NativeMethods.guestfs_part_get_mbr_id(Handle, disk, number), $"part_get_mbr_id {disk} {number}");

    public string PartitionGptType(string disk, int number) => TakeString(NativeMethods.guestfs_part_get_gpt_type(Handle, disk, number), $"part_get_gpt_type {disk} {number}");

    /// <summary>"/dev/sda2" -> ("/dev/sda", 2).</summary>
    public (string Disk, int Number) PartitionOf(string partition) =>
        (TakeString(NativeMethods.guestfs_part_to_dev(Handle, partition), $"part_to_dev {partition}"), CheckInt(NativeMethods.guestfs_part_to_partnum(Handle, partition), $"part_to_partnum {partition}"));
}
