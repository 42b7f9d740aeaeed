using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// The few POSIX calls .NET does not expose: lseek SEEK_DATA/SEEK_HOLE, fsync of a directory, an exclusive create
/// that never follows a link (O_CREAT|O_EXCL|O_NOFOLLOW), a rename that never replaces (renameat2 RENAME_NOREPLACE,
/// else link + unlink), flock, and whether a process is alive.
/// </summary>
public static class NativeFile
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ENXIO = 6;
    private const int ORdOnly = 0;

    /// <summary>errno ENOSPC on Linux.</summary>
    public const int ENOSPC = 28;

    private const int ESRCH = 3;
    private const int EINTR = 4;
    private const int EACCES = 13;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int EFBIG = 27;
    private const int EROFS = 30;
    private const int EISDIR = 21;
    private const int ENOSYS = 38;
    private const int ELOOP = 40;
    private const int EPERM = 1;
    private const int EOPNOTSUPP = 95;
    private const int EWOULDBLOCK = 11;
    private const int ORdWr = 2;
    private const int OCreat = 0x40;
    private const int OExcl = 0x80;
    private const int OCloExec = 0x80000;
    private const int AtFdCwd = -100;
    private const uint RenameNoReplaceFlag = 1;
    private const int LockEx = 2;
    private const int LockNb = 4;

    /// <summary>O_TMPFILE (__O_TMPFILE | O_DIRECTORY): 020200000 on x86-64, 020040000 on the ARM ABIs.</summary>
    private static int OTmpFile => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x404000 : 0x410000;

    /// <summary>O_NOFOLLOW: 0400000 on x86-64, 0100000 on the ARM ABIs.</summary>
    private static int ONoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>
    /// Creates <paramref name="path"/> exclusively: it must not exist, not even as a (dangling) symbolic link, and the
    /// new file gets <paramref name="mode"/> (less the umask). <paramref name="preallocationSize"/> &gt; 0 reserves
    /// space and fails with ENOSPC when the file system cannot hold it. Throws <see cref="IOException"/> whose
    /// HResult is the errno (EEXIST when the name is taken), or <see cref="UnauthorizedAccessException"/> for
    /// EACCES/EPERM/EROFS.
    /// </summary>
    public static SafeFileHandle CreateExclusive(string path, UnixFileMode mode, long preallocationSize = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!OperatingSystem.IsLinux())
        {
            // O_CREAT|O_EXCL on every POSIX system: a link at the name is not followed.
            return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize);
        }

        int fd;
        do
        {
            fd = open(path, ORdWr | OCreat | OExcl | ONoFollow | OCloExec, (uint)mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), path, "cannot create");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (preallocationSize > 0)
        {
            var r = posix_fallocate(fd, 0, preallocationSize);
            if (r is ENOSPC or EFBIG)
            {
                handle.Dispose();
                _ = unlink(path);
                throw new IOException($"{path}: No space left on device ({preallocationSize} bytes could not be reserved)", ENOSPC);
            }

            // EOPNOTSUPP and the like: the file system does not reserve space; the writes will tell.
        }

        return handle;
    }

    /// <summary>
    /// Creates a read-write scratch file in <paramref name="directory"/> that has no name: O_TMPFILE where the file
    /// system supports it, else an exclusive create of a random name that is unlinked at once. Nothing is left behind
    /// when the handle is closed or the process dies. Throws <see cref="IOException"/> (HResult = errno) or
    /// <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public static SafeFileHandle CreateUnlinkedTemp(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (OperatingSystem.IsLinux())
        {
            int fd;
            do
            {
                fd = open(directory, ORdWr | OTmpFile | OCloExec, 0x180);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (fd >= 0)
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (EOPNOTSUPP or EINVAL or EISDIR))
            {
                throw Error(errno, directory, "cannot create a temporary file in");
            }
        }

        // No O_TMPFILE here: a random name, created exclusively, then unlinked while open.
        for (var attempt = 0; ; attempt++)
        {
            var path = Path.Combine(directory, $".v2v-scratch-{Guid.NewGuid():N}");
            try
            {
                var handle = CreateExclusive(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                try
                {
                    File.Delete(path);
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }

                return handle;
            }
            catch (IOException ex) when (IsAlreadyExists(ex) && attempt < 8)
            {
            }
        }
    }

    /// <summary>
    /// Opens (creating when absent) a lock file without following a link at its name, and takes an exclusive
    /// flock on it without waiting. Returns null when another process holds the lock; then
    /// <paramref name="holderText"/> has the first bytes of the file (the holder writes its PID there).
    /// </summary>
    public static SafeFileHandle? TryLock(string path, UnixFileMode mode, out string holderText)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        holderText = "";
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }

        int fd;
        do
        {
            fd = open(path, ORdWr | OCreat | ONoFollow | OCloExec, (uint)mode);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), path, "cannot open the lock file");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (flock(fd, LockEx | LockNb) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EWOULDBLOCK)
            {
                var buf = new byte[16];
                var n = RandomAccess.Read(handle, buf, 0);
                holderText = System.Text.Encoding.ASCII.GetString(buf, 0, n);
                handle.Dispose();
                return null;
            }

            handle.Dispose();
            throw Error(errno, path, "cannot lock");
        }

        return handle;
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> only if <paramref name="to"/> does not exist (not even
    /// as a link): renameat2(RENAME_NOREPLACE), or link + unlink where the file system does not support it.
    /// Throws <see cref="IOException"/> with HResult EEXIST when <paramref name="to"/> exists.
    /// </summary>
    public static void RenameNoReplace(string from, string to)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (!OperatingSystem.IsLinux())
        {
            File.Move(from, to, overwrite: false);
            return;
        }

        int errno;
        try
        {
            if (renameat2(AtFdCwd, from, AtFdCwd, to, RenameNoReplaceFlag) == 0)
            {
                return;
            }

            errno = Marshal.GetLastPInvokeError();
        }
        catch (EntryPointNotFoundException)
        {
            errno = ENOSYS;
        }

        if (errno is not (EINVAL or ENOSYS or EOPNOTSUPP))
        {
            throw Error(errno, to, "cannot rename into place");
        }

        // link() never replaces either; then the temporary name goes.
        if (link(from, to) != 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), to, "cannot link into place");
        }

        _ = unlink(from);
    }

    /// <summary>True when no process <paramref name="pid"/> exists (kill(pid, 0) gives ESRCH). A process of another user counts as alive.</summary>
    public static bool IsProcessDead(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (!OperatingSystem.IsLinux())
        {
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(pid);
                return p.HasExited;
            }
            catch (ArgumentException)
            {
                return true;
            }
        }

        return kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == ESRCH;
    }

    /// <summary>True when <paramref name="ex"/> (from this class) says the name already exists.</summary>
    public static bool IsAlreadyExists(Exception ex) => ex is IOException { HResult: EEXIST };

    private static Exception Error(int errno, string path, string what)
    {
        var text = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            EACCES or EPERM => new UnauthorizedAccessException($"{path}: {what}: {text}"),
            EROFS => new UnauthorizedAccessException($"{path}: {what}: {text}"),
            EEXIST => new IOException($"{path}: {what}: it already exists", EEXIST),
            ELOOP => new IOException($"{path}: {what}: it is a symbolic link", EEXIST),
            _ => new IOException($"{path}: {what}: {text}", errno),
        };
    }

    /// <summary>The next data offset at or after <paramref name="offset"/>; -1 at the end (no more data); null when unsupported.</summary>
    public static long? SeekDataFrom(SafeFileHandle handle, long offset) => Seek(handle, offset, SeekData);

    /// <summary>The next hole offset at or after <paramref name="offset"/> (EOF counts as a hole); null when unsupported.</summary>
    public static long? SeekHoleFrom(SafeFileHandle handle, long offset) => Seek(handle, offset, SeekHole);

    /// <summary>fsync on a directory so a rename inside it is durable. Best effort, Linux only.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = open(directory, ORdOnly);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = fsync(fd);
        }
        finally
        {
            _ = close(fd);
        }
    }

    private static long? Seek(SafeFileHandle handle, long offset, int whence)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var r = lseek((int)handle.DangerousGetHandle(), offset, whence);
            if (r >= 0)
            {
                return r;
            }

            return Marshal.GetLastPInvokeError() == ENXIO ? -1 : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        catch (DllNotFoundException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // DllImport is enough for these blittable signatures (no unsafe blocks in this project).
    private static extern long lseek(int fd, long offset, int whence);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_fallocate(int fd, long offset, long len);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int renameat2(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath, uint flags);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int unlink([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054, CA5392
}
