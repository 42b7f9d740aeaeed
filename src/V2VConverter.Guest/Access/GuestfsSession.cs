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

/// <summary>
/// A disk to hand to the appliance, in order: the first is /dev/sda inside it. Either a local image file
/// (<paramref name="Path"/> in <paramref name="Format"/>), or, when <paramref name="NbdSocket"/> is set, the default
/// export of an NBD server on that unix socket (then <paramref name="Path"/> only names the disk in messages and the
/// export is raw); see <see cref="Nbd"/>.
/// </summary>
public sealed record ApplianceDisk(string Path, string Format, bool ReadOnly, string? NbdSocket = null)
{
    /// <summary>The default export of the NBD server at <paramref name="socketPath"/>, raw, named <paramref name="name"/> in messages.</summary>
    public static ApplianceDisk Nbd(string socketPath, string name, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new ApplianceDisk(name, "raw", readOnly, socketPath);
    }

    /// <summary>What messages call this disk: the file, or the NBD export and its socket.</summary>
    public string Describe() => NbdSocket is null ? Path : $"{Path} (NBD export on {NbdSocket})";
}

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
/// <para>
/// Split by concern: <c>GuestfsSession.Launch.cs</c> (handle creation, KVM/TCG choice),
/// <c>.Inspection.cs</c> (devices, filesystems, OS inspection, mounts), <c>.Files.cs</c> (the
/// <see cref="IGuestFileSystem"/> side: files and commands), <c>.Interop.cs</c> (error checks and
/// string marshalling); the native handle is a <see cref="GuestfsHandle"/>.
/// </para>
/// </remarks>
public sealed partial class GuestfsSession : IGuestFileSystem, IDisposable
{
    private readonly GuestfsHandle _handle;
    private IReadOnlyList<string>? _devices; // fixed once launched
    private bool _shutDown;

    private GuestfsSession(GuestfsHandle handle, IReadOnlyList<ApplianceDisk> disks, string accelerator, TimeSpan launchTime)
    {
        _handle = handle;
        Disks = disks;
        Accelerator = accelerator;
        LaunchTime = launchTime;
    }

    public IReadOnlyList<ApplianceDisk> Disks { get; }

    /// <summary>"kvm" or "tcg": what the appliance ended up running on.</summary>
    public string Accelerator { get; }

    public TimeSpan LaunchTime { get; }

    /// <summary>
    /// Stops the appliance in order: libguestfs's autosync unmounts everything and syncs, then qemu
    /// flushes the disks and exits. A failure means the output disks may not hold every write, so it
    /// is an <see cref="IOException"/>, not something to shrug off.
    /// </summary>
    public void Shutdown()
    {
        if (_handle.IsClosed || _shutDown)
        {
            return;
        }

        _shutDown = true;
        if (NativeMethods.Shutdown(_handle) != 0)
        {
            throw new IOException($"the libguestfs appliance did not shut down cleanly ({LastError(_handle)}); the converted disks may be incomplete");
        }
    }

    /// <summary>Stops the appliance when <see cref="Shutdown"/> was not called (best effort: on the error paths), then closes the handle.</summary>
    public void Dispose()
    {
        if (_handle.IsClosed)
        {
            return;
        }

        if (!_shutDown)
        {
            _ = NativeMethods.Shutdown(_handle);
        }

        _handle.Dispose(); // guestfs_close
    }

    private GuestfsHandle Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(GuestfsSession)) : _handle;
}
