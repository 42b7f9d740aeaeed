using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>The few POSIX calls .NET does not expose: lseek SEEK_DATA/SEEK_HOLE and fsync of a directory.</summary>
internal static class NativeFile
{
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ENXIO = 6;
    private const int ORdOnly = 0;

    /// <summary>errno ENOSPC on Linux.</summary>
    public const int ENOSPC = 28;

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

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054, CA5392
}
