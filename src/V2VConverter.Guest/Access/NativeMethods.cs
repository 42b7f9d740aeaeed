using System.Runtime.InteropServices;

namespace V2VConverter.Guest.Access;

/// <summary>
/// The part of libguestfs's C API (guestfs(3), <c>libguestfs.so.0</c>) the converter uses.
/// Strings returned as <c>char*</c> / <c>char**</c> are owned by the caller and freed with free(3).
/// </summary>
internal static partial class NativeMethods
{
    private const string Lib = "libguestfs.so.0";
    private const string LibC = "libc";

    /// <summary>Bit numbers of struct guestfs_add_drive_opts_argv (guestfs.h).</summary>
    internal const ulong AddDriveReadonlyBit = 1UL << 0;
    internal const ulong AddDriveFormatBit = 1UL << 1;
    internal const ulong AddDriveProtocolBit = 1UL << 5;
    internal const ulong AddDriveServerBit = 1UL << 6;

    /// <summary>
    /// struct guestfs_add_drive_opts_argv: uint64 bitmask, int readonly, const char *format, ..., const char *protocol,
    /// char *const *server (NULL-terminated), then fields we leave unset. Bit n of the bitmask says field n is set.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct AddDriveOpts
    {
        public ulong Bitmask;
        public int Readonly;
        public IntPtr Format;
        public IntPtr Iface;
        public IntPtr Name;
        public IntPtr Label;
        public IntPtr Protocol;
        public IntPtr Server;
        public IntPtr Username;
        public IntPtr Secret;
        public IntPtr Cachemode;
        public IntPtr Discard;
        public int Copyonread;
        public int Blocksize;
    }

    [LibraryImport(Lib, EntryPoint = "guestfs_create")]
    internal static partial GuestfsHandle Create();

    /// <summary>Only for <see cref="GuestfsHandle.ReleaseHandle"/>: everything else takes the <see cref="GuestfsHandle"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "guestfs_close")]
    internal static partial void Close(IntPtr g);

    [LibraryImport(Lib, EntryPoint = "guestfs_set_error_handler")]
    internal static partial void SetErrorHandler(GuestfsHandle g, IntPtr cb, IntPtr data);

    [LibraryImport(Lib, EntryPoint = "guestfs_last_error")]
    internal static partial IntPtr LastError(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_add_drive_opts_argv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int AddDriveOptsArgv(GuestfsHandle g, string filename, ref AddDriveOpts optargs);

    [LibraryImport(Lib, EntryPoint = "guestfs_set_backend_settings")]
    internal static partial int SetBackendSettings(GuestfsHandle g, IntPtr settings);

    [LibraryImport(Lib, EntryPoint = "guestfs_set_smp")]
    internal static partial int SetSmp(GuestfsHandle g, int smp);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_set_append(GuestfsHandle g, string? append);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_set_hv(GuestfsHandle g, string hv);

    /// <summary>Returns a string owned by the handle (may be NULL): not to be freed.</summary>
    [LibraryImport(Lib, EntryPoint = "guestfs_get_append")]
    internal static partial IntPtr GetAppend(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_launch")]
    internal static partial int Launch(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_shutdown")]
    internal static partial int Shutdown(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_list_devices")]
    internal static partial IntPtr ListDevices(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_list_filesystems")]
    internal static partial IntPtr ListFilesystems(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_inspect_os")]
    internal static partial IntPtr InspectOs(GuestfsHandle g);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_type(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_distro(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_product_name(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_arch(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_hostname(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_package_format(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_package_management(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_inspect_get_major_version(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_inspect_get_minor_version(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_mountpoints(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_filesystems(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_vfs_type(GuestfsHandle g, string mountable);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_vfs_uuid(GuestfsHandle g, string mountable);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_vfs_label(GuestfsHandle g, string mountable);

    [LibraryImport(Lib, EntryPoint = "guestfs_list_partitions")]
    internal static partial IntPtr ListPartitions(GuestfsHandle g);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_blkid(GuestfsHandle g, string device);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_file_architecture(GuestfsHandle g, string filename);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_umount(GuestfsHandle g, string pathordevice);

    [LibraryImport(Lib, EntryPoint = "guestfs_vgs")]
    internal static partial IntPtr Vgs(GuestfsHandle g);

    [LibraryImport(Lib, EntryPoint = "guestfs_lvs")]
    internal static partial IntPtr Lvs(GuestfsHandle g);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_mount(GuestfsHandle g, string mountable, string mountpoint);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_mount_ro(GuestfsHandle g, string mountable, string mountpoint);

    [LibraryImport(Lib, EntryPoint = "guestfs_umount_all")]
    internal static partial int UmountAll(GuestfsHandle g);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_exists(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_is_file(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_is_dir(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_pread(GuestfsHandle g, string path, int count, long offset, out nuint size);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_write(GuestfsHandle g, string path, byte[] content, nuint size);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_find(GuestfsHandle g, string directory);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_glob_expand(GuestfsHandle g, string pattern);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_rm_f(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_mkdir_p(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_chmod(GuestfsHandle g, int mode, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_is_symlink(GuestfsHandle g, string path);

    [LibraryImport(Lib, EntryPoint = "guestfs_command")]
    internal static partial IntPtr Command(GuestfsHandle g, IntPtr argv);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_sh(GuestfsHandle g, string command);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_download(GuestfsHandle g, string remotefilename, string filename);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_upload(GuestfsHandle g, string filename, string remotefilename);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_tar_in(GuestfsHandle g, string tarfile, string directory);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_cp(GuestfsHandle g, string src, string dest);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_ln_sf(GuestfsHandle g, string target, string linkname);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_rmdir(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_case_sensitive_path(GuestfsHandle g, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long guestfs_filesize(GuestfsHandle g, string file);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_windows_systemroot(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_windows_current_control_set(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_product_variant(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_inspect_get_drive_mappings(GuestfsHandle g, string root);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_part_get_parttype(GuestfsHandle g, string device);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_part_get_mbr_id(GuestfsHandle g, string device, int partnum);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_part_get_gpt_type(GuestfsHandle g, string device, int partnum);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr guestfs_part_to_dev(GuestfsHandle g, string partition);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int guestfs_part_to_partnum(GuestfsHandle g, string partition);

    [LibraryImport(LibC, EntryPoint = "free")]
    internal static partial void Free(IntPtr p);

    [LibraryImport(LibC, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, nuint request, nint arg);

    [LibraryImport(LibC, EntryPoint = "kill", SetLastError = true)]
    internal static partial int KillProcess(int pid, int signal);

    [LibraryImport(LibC, EntryPoint = "close")]
    internal static partial int CloseFd(int fd);
}
