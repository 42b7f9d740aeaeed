using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace V2VConverter.Guest.Access;

/// <summary>How the appliance should be accelerated.</summary>
public enum ApplianceAccelerator
{
    /// <summary>KVM when <see cref="KvmProbe"/> says it works, else TCG; a failed KVM launch is retried with TCG.</summary>
    Auto,

    /// <summary>Insist on trying KVM first (libguestfs <c>force_kvm</c>); still falls back to TCG when it fails.</summary>
    Kvm,

    /// <summary>TCG (software emulation) only.</summary>
    Tcg,
}

/// <summary>A disk to hand to the appliance, in order: the first is /dev/sda inside it.</summary>
public sealed record ApplianceDisk(string Path, string Format, bool ReadOnly);

/// <summary>
/// One libguestfs appliance with the disks attached: launched once, used for inspection and every
/// fixup, then shut down. This is the only type that talks to libguestfs.
/// </summary>
/// <remarks>
/// Why the C API through P/Invoke and not <c>guestfish --listen</c>/<c>--remote</c>: every remote
/// command would start a guestfish process and pass file contents through shell quoting and stdout
/// (binary-unsafe, and an error only shows as text on stderr); the C API gives typed results
/// (string lists, exact byte buffers from read_file, return codes) and the error text of each call
/// through <c>guestfs_last_error</c>, in-process. The library is in Debian's <c>libguestfs0</c>,
/// which <c>libguestfs-tools</c> pulls in. The handle is not thread-safe; one caller uses it at a time.
/// </remarks>
public sealed class GuestfsSession : IGuestFileSystem, IDisposable
{
    private IntPtr _g;
    private IReadOnlyList<string>? _devices; // fixed once launched
    private bool _shutDown;

    private GuestfsSession(IntPtr g, IReadOnlyList<ApplianceDisk> disks, string accelerator, TimeSpan launchTime)
    {
        _g = g;
        Disks = disks;
        Accelerator = accelerator;
        LaunchTime = launchTime;
    }

    public IReadOnlyList<ApplianceDisk> Disks { get; }

    /// <summary>"kvm" or "tcg": what the appliance ended up running on.</summary>
    public string Accelerator { get; }

    public TimeSpan LaunchTime { get; }

    /// <summary>
    /// Creates the handle, adds the disks and launches the appliance, choosing KVM or TCG as
    /// described on <see cref="ApplianceAccelerator"/>. Every decision goes to <paramref name="log"/>.
    /// </summary>
    public static GuestfsSession Launch(IReadOnlyList<ApplianceDisk> disks, ApplianceAccelerator accel, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(disks);
        if (disks.Count == 0)
        {
            throw new ArgumentException("no disks to launch the appliance with", nameof(disks));
        }

        foreach (var d in disks)
        {
            if (!File.Exists(d.Path))
            {
                throw new FileNotFoundException($"disk image {d.Path} does not exist", d.Path);
            }
        }

        var envSettings = Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND_SETTINGS") ?? "";
        var envForcesTcg = envSettings.Split(':').Contains("force_tcg");
        bool tryKvm;
        if (accel == ApplianceAccelerator.Tcg)
        {
            log("appliance: TCG requested (software emulation)");
            tryKvm = false;
        }
        else if (envForcesTcg && accel == ApplianceAccelerator.Auto)
        {
            log("appliance: LIBGUESTFS_BACKEND_SETTINGS contains force_tcg: using TCG (software emulation)");
            tryKvm = false;
        }
        else
        {
            var (usable, reason) = KvmProbe.Check();
            if (usable || accel == ApplianceAccelerator.Kvm)
            {
                tryKvm = true;
                log(usable ? "appliance: /dev/kvm works, launching with KVM" : $"appliance: KVM requested although {reason}; trying it");
            }
            else
            {
                log($"appliance: KVM is not usable ({reason}); falling back to TCG (software emulation, slower)");
                tryKvm = false;
            }
        }

        if (tryKvm)
        {
            var sw = Stopwatch.StartNew();
            var g = CreateHandle(disks, envSettings, "force_kvm");
            if (NativeMethods.Launch(g) == 0)
            {
                log($"appliance: launched with KVM in {sw.Elapsed.TotalSeconds:F1} s");
                return new GuestfsSession(g, disks, "kvm", sw.Elapsed);
            }

            var err = LastError(g);
            NativeMethods.Close(g);
            log($"appliance: launch with KVM failed after {sw.Elapsed.TotalSeconds:F1} s ({err}); falling back to TCG (software emulation)");
        }

        var sw2 = Stopwatch.StartNew();
        var h = CreateHandle(disks, envSettings, "force_tcg");
        if (NativeMethods.Launch(h) != 0)
        {
            var err = LastError(h);
            NativeMethods.Close(h);
            throw new GuestfsException($"libguestfs appliance launch failed: {err} (run libguestfs-test-tool for details)");
        }

        log($"appliance: launched with TCG in {sw2.Elapsed.TotalSeconds:F1} s (kernel option {TcgKernelOptions}: TCG translates code per virtual address, so unrandomised mappings let program starts reuse it)");
        return new GuestfsSession(h, disks, "tcg", sw2.Elapsed);
    }

    /// <summary>
    /// Appliance kernel options under TCG. <c>norandmaps</c> turns off address-space randomisation inside
    /// the appliance: QEMU's TCG keeps translated code keyed by virtual address, so with randomised
    /// mappings every program start translates ld.so, libc and the program again. Without it a guest
    /// program starts about 4x faster and an initramfs rebuild takes 19 s instead of 49 s (measured,
    /// bench/RESULTS.md). The appliance is a throwaway VM running the guest's own programs on a copy of
    /// its disk; its boundary is QEMU, not ASLR. Not used with KVM, where it would gain nothing.
    /// </summary>
    public const string TcgKernelOptions = "norandmaps";

    /// <summary>vCPUs given to the appliance: the host's cores, 2 to 4.</summary>
    public static int ApplianceCpus => Math.Clamp(Environment.ProcessorCount, 2, 4);

    private static IntPtr CreateHandle(IReadOnlyList<ApplianceDisk> disks, string envSettings, string accelSetting)
    {
        var g = NativeMethods.Create();
        if (g == IntPtr.Zero)
        {
            throw new GuestfsException("guestfs_create failed (is libguestfs0 installed?)");
        }

        NativeMethods.SetErrorHandler(g, IntPtr.Zero, IntPtr.Zero);
        var settings = envSettings.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s is not "force_tcg" and not "force_kvm").Append(accelSetting).ToArray();
        WithStringArray(settings, p => Check(g, NativeMethods.SetBackendSettings(g, p), "set_backend_settings"));

        // Two or more vCPUs: the guest's slow tools (initramfs rebuild, grub-mkconfig) run side by side (GuestJobRunner).
        Check(g, NativeMethods.SetSmp(g, ApplianceCpus), "set_smp");
        if (accelSetting == "force_tcg")
        {
            // Kept after anything the user put in LIBGUESTFS_APPEND (which libguestfs has already read into the handle).
            var append = (Marshal.PtrToStringUTF8(NativeMethods.GetAppend(g)) + " " + TcgKernelOptions).Trim();
            Check(g, NativeMethods.guestfs_set_append(g, append), "set_append");
        }

        foreach (var d in disks)
        {
            var fmt = Marshal.StringToCoTaskMemUTF8(d.Format);
            try
            {
                var opts = new NativeMethods.AddDriveOpts
                {
                    Bitmask = NativeMethods.AddDriveReadonlyBit | NativeMethods.AddDriveFormatBit,
                    Readonly = d.ReadOnly ? 1 : 0,
                    Format = fmt,
                };
                if (NativeMethods.AddDriveOptsArgv(g, d.Path, ref opts) != 0)
                {
                    var err = LastError(g);
                    NativeMethods.Close(g);
                    throw new GuestfsException($"libguestfs add_drive {d.Path} (format {d.Format}): {err}");
                }
            }
            finally
            {
                Marshal.FreeCoTaskMem(fmt);
            }
        }

        return g;
    }

    // ---- inspection ---------------------------------------------------------------------------

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
    public IReadOnlyDictionary<string, string> Blkid(string device)
    {
        var flat = TakeList(NativeMethods.guestfs_blkid(Handle, device), $"blkid {device}");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in Pairs(flat))
        {
            tags[k] = v;
        }

        return tags;
    }

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

    // ---- IGuestFileSystem ---------------------------------------------------------------------

    public bool Exists(string path) => CheckBool(NativeMethods.guestfs_exists(Handle, path), $"exists {path}");

    public bool IsFile(string path) => CheckBool(NativeMethods.guestfs_is_file(Handle, path), $"is_file {path}");

    public bool IsDirectory(string path) => CheckBool(NativeMethods.guestfs_is_dir(Handle, path), $"is_dir {path}");

    public bool IsSymlink(string path) => CheckBool(NativeMethods.guestfs_is_symlink(Handle, path), $"is_symlink {path}");

    /// <summary>Bytes asked for per pread call: well under libguestfs's 4 MiB protocol message.</summary>
    public const int ReadChunkBytes = 1 << 20;

    /// <summary>Bound on a guest file read as text (configuration files; dpkg's status file is a few MiB at most).</summary>
    public const long MaxTextFileBytes = 256L << 20;

    /// <remarks>
    /// Read with <c>pread</c> in 1 MiB chunks: one protocol message each, answered in milliseconds,
    /// where <c>read_file</c> goes through a download (a temporary file and a chunked transfer, ~0.3 s
    /// per file under TCG). A chunk shorter than asked for is the end of the file.
    /// </remarks>
    public string ReadText(string path)
    {
        using var buffer = new MemoryStream();
        while (true)
        {
            var chunk = ReadBytes(path, ReadChunkBytes, buffer.Length);
            if (buffer.Length + chunk.Length > MaxTextFileBytes)
            {
                throw new InvalidDataException($"guest file {path} is over {MaxTextFileBytes >> 20} MiB, too big to edit as text");
            }

            buffer.Write(chunk);
            if (chunk.Length < ReadChunkBytes)
            {
                return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            }
        }
    }

    /// <summary>Up to <paramref name="count"/> bytes of a guest file from <paramref name="offset"/> (fewer at its end): one pread.</summary>
    public byte[] ReadBytes(string path, int count, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, ReadChunkBytes);
        var p = NativeMethods.guestfs_pread(Handle, path, count, offset, out var size);
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs pread {path}: {LastError(Handle)}");
        }

        try
        {
            var bytes = new byte[(int)Math.Min(size, (nuint)count)];
            Marshal.Copy(p, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            NativeMethods.Free(p);
        }
    }

    public Stream OpenRead(string path) => new PreadStream(this, path);

    public void WriteText(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Check(Handle, NativeMethods.guestfs_write(Handle, path, bytes, (nuint)bytes.Length), $"write {path}");
    }

    public IReadOnlyList<string> Glob(string pattern) => TakeList(NativeMethods.guestfs_glob_expand(Handle, pattern), $"glob_expand {pattern}").Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Find(string directory) => TakeList(NativeMethods.guestfs_find(Handle, directory), $"find {directory}");

    public void Remove(string path) => Check(Handle, NativeMethods.guestfs_rm_f(Handle, path), $"rm_f {path}");

    public void MakeDirectories(string path) => Check(Handle, NativeMethods.guestfs_mkdir_p(Handle, path), $"mkdir_p {path}");

    public void Chmod(int mode, string path) => Check(Handle, NativeMethods.guestfs_chmod(Handle, mode, path), $"chmod {path}");

    public string Command(params string[] argv)
    {
        string? result = null;
        WithStringArray(argv, p => result = TakeString(NativeMethods.Command(Handle, p), "command " + string.Join(' ', argv)));
        return result!;
    }

    public string Shell(string script) => TakeString(NativeMethods.guestfs_sh(Handle, script), "sh " + script);

    // ---- lifetime -----------------------------------------------------------------------------

    /// <summary>
    /// Stops the appliance in order: libguestfs's autosync unmounts everything and syncs, then qemu
    /// flushes the disks and exits. A failure means the output disks may not hold every write, so it
    /// is an <see cref="IOException"/>, not something to shrug off.
    /// </summary>
    public void Shutdown()
    {
        if (_g == IntPtr.Zero || _shutDown)
        {
            return;
        }

        _shutDown = true;
        if (NativeMethods.Shutdown(_g) != 0)
        {
            throw new IOException($"the libguestfs appliance did not shut down cleanly ({LastError(_g)}); the converted disks may be incomplete");
        }
    }

    /// <summary>Stops the appliance when <see cref="Shutdown"/> was not called (best effort: on the error paths), then closes the handle.</summary>
    public void Dispose()
    {
        if (_g == IntPtr.Zero)
        {
            return;
        }

        if (!_shutDown)
        {
            _ = NativeMethods.Shutdown(_g);
        }

        NativeMethods.Close(_g);
        _g = IntPtr.Zero;
    }

    private IntPtr Handle => _g != IntPtr.Zero ? _g : throw new ObjectDisposedException(nameof(GuestfsSession));

    private static string LastError(IntPtr g) => Marshal.PtrToStringUTF8(NativeMethods.LastError(g)) ?? "unknown error";

    private static void Check(IntPtr g, int rc, string what)
    {
        if (rc == -1)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(g)}");
        }
    }

    private int CheckInt(int rc, string what)
    {
        Check(Handle, rc, what);
        return rc;
    }

    private bool CheckBool(int rc, string what)
    {
        Check(Handle, rc, what);
        return rc != 0;
    }

    private string TakeString(IntPtr p, string what)
    {
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(Handle)}");
        }

        try
        {
            return Marshal.PtrToStringUTF8(p) ?? "";
        }
        finally
        {
            NativeMethods.Free(p);
        }
    }

    private List<string> TakeList(IntPtr p, string what)
    {
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs {what}: {LastError(Handle)}");
        }

        var list = new List<string>();
        try
        {
            for (var i = 0; ; i++)
            {
                var s = Marshal.ReadIntPtr(p, i * IntPtr.Size);
                if (s == IntPtr.Zero)
                {
                    break;
                }

                list.Add(Marshal.PtrToStringUTF8(s) ?? "");
                NativeMethods.Free(s);
            }
        }
        finally
        {
            NativeMethods.Free(p);
        }

        return list;
    }

    private static List<(string, string)> Pairs(List<string> flat)
    {
        var r = new List<(string, string)>();
        for (var i = 0; i + 1 < flat.Count; i += 2)
        {
            r.Add((flat[i], flat[i + 1]));
        }

        return r;
    }

    /// <summary>Marshals a NULL-terminated char* array for the duration of one call.</summary>
    private static void WithStringArray(IReadOnlyList<string> items, Action<IntPtr> call)
    {
        var ptrs = new IntPtr[items.Count + 1];
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                ptrs[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
            }

            var handle = GCHandle.Alloc(ptrs, GCHandleType.Pinned);
            try
            {
                call(handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }
        }
        finally
        {
            foreach (var p in ptrs)
            {
                if (p != IntPtr.Zero)
                {
                    Marshal.FreeCoTaskMem(p);
                }
            }
        }
    }

    /// <summary>A guest file read front to back in pread chunks (bounded memory, one daemon call per MiB).</summary>
    private sealed class PreadStream(GuestfsSession session, string path) : Stream
    {
        private byte[] _chunk = [];
        private int _at;
        private long _offset;
        private bool _end;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _offset - (_chunk.Length - _at);
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at == _chunk.Length)
            {
                if (_end)
                {
                    return 0;
                }

                _chunk = session.ReadBytes(path, ReadChunkBytes, _offset);
                _at = 0;
                _offset += _chunk.Length;
                _end = _chunk.Length < ReadChunkBytes;
                if (_chunk.Length == 0)
                {
                    return 0;
                }
            }

            var n = Math.Min(count, _chunk.Length - _at);
            Array.Copy(_chunk, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
