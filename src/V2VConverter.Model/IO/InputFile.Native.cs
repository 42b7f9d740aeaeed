using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Model.IO;

public static partial class InputFile
{
    /// <summary>
    /// The POSIX calls .NET does not expose: open(2) with O_NONBLOCK, statx(2) (one layout on every 64-bit Linux,
    /// unlike struct stat), fstatfs(2) and realpath(3). Linux only.
    /// </summary>
    private static class Native
    {
        public const int TypeMask = 0xF000;
        public const int Fifo = 0x1000;
        public const int CharacterDevice = 0x2000;
        public const int Directory = 0x4000;
        public const int BlockDevice = 0x6000;
        public const int RegularFile = 0x8000;
        public const int Socket = 0xC000;

        // open(2) flags: the same values on x86-64 and arm64.
        private const int ORdOnly = 0;
        private const int ONoCtty = 0x100;
        private const int ONonBlock = 0x800;
        private const int OCloExec = 0x80000;

        // statx(2): AT_FDCWD, AT_EMPTY_PATH, STATX_TYPE, and the offset of stx_mode in struct statx (256 bytes).
        private const int AtFdCwd = -100;
        private const int AtEmptyPath = 0x1000;
        private const uint StatxType = 0x1;
        private const int StatxSize = 256;
        private const int StatxModeOffset = 28;

        // fstatfs(2): f_type is the first field, a long; struct statfs is 120 bytes on 64-bit Linux.
        private const int StatfsSize = 256;

        private const int EPERM = 1;
        private const int ENOENT = 2;
        private const int EINTR = 4;
        private const int EACCES = 13;
        private const int ENOTDIR = 20;
        private const int ENAMETOOLONG = 36;
        private const int ELOOP = 40;

        /// <summary>Kernel pseudo file systems (f_type magic numbers from linux/magic.h): their files are not data.</summary>
        private static readonly Dictionary<long, string> PseudoFileSystems = new()
        {
            [0x9fa0] = "/proc (procfs)",
            [0x62656572] = "/sys (sysfs)",
            [0x64626720] = "debugfs",
            [0x74726163] = "tracefs",
            [0x73636673] = "securityfs",
            [0x62656570] = "configfs",
            [unchecked((int)0xde5e81e4) & 0xFFFFFFFFL] = "efivarfs",
            [0x27e0eb] = "cgroupfs",
            [0x63677270] = "cgroup2fs",
            [unchecked((int)0xcafe4a11) & 0xFFFFFFFFL] = "bpffs",
        };

        // st_mode is read in the machine's byte order, as the kernel wrote it.

        /// <summary>st_mode of the file <paramref name="path"/> names, links followed; nothing is opened.</summary>
        public static int StatPath(string path, InputFileOptions options)
        {
            var buffer = new byte[StatxSize];
            while (statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    throw Error(errno, path, Name(path, options));
                }
            }

            return BitConverter.ToUInt16(buffer, StatxModeOffset);
        }

        /// <summary>st_mode of an open descriptor.</summary>
        public static int StatHandle(SafeFileHandle handle, string path, InputFileOptions options)
        {
            var buffer = new byte[StatxSize];
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var fd = (int)handle.DangerousGetHandle();
                while (statx(fd, "", AtEmptyPath, StatxType, buffer) != 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != EINTR)
                    {
                        throw Error(errno, path, Name(path, options));
                    }
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            return BitConverter.ToUInt16(buffer, StatxModeOffset);
        }

        /// <summary>open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY): never blocks, even on a FIFO.</summary>
        public static SafeFileHandle OpenReadOnly(string path, InputFileOptions options)
        {
            int fd;
            while ((fd = open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    throw Error(errno, path, Name(path, options));
                }
            }

            return new SafeFileHandle(fd, ownsHandle: true);
        }

        /// <summary>The name of the pseudo file system the descriptor lies on; null for a real one (or when unknown).</summary>
        public static string? PseudoFileSystem(SafeFileHandle handle)
        {
            if (!Environment.Is64BitProcess)
            {
                return null;
            }

            var buffer = new byte[StatfsSize];
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                if (fstatfs((int)handle.DangerousGetHandle(), buffer) != 0)
                {
                    return null;
                }
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }

            var type = BitConverter.ToInt64(buffer, 0) & 0xFFFFFFFFL;
            return PseudoFileSystems.GetValueOrDefault(type);
        }

        /// <summary>realpath(3): absolute, every link and every folder on the way resolved; the file must exist.</summary>
        public static string RealPath(string path, string name)
        {
            var p = realpath(path, IntPtr.Zero);
            if (p == IntPtr.Zero)
            {
                throw Error(Marshal.GetLastPInvokeError(), path, name);
            }

            try
            {
                return Marshal.PtrToStringUTF8(p) ?? throw new IOException($"{name}: realpath returned no path");
            }
            finally
            {
                free(p);
            }
        }

        private static Exception Error(int errno, string path, string name) => errno switch
        {
            ENOENT => new FileNotFoundException($"{name}: no such file", path),
            ENOTDIR => new DirectoryNotFoundException($"{name}: no such file (a part of the path is not a folder)"),
            ENAMETOOLONG => new PathTooLongException($"{name}: the path is too long"),
            ELOOP => new IOException($"{name}: too many levels of symbolic links"),
            EACCES or EPERM => new UnauthorizedAccessException($"{name}: permission denied"),
            _ => new IOException($"{name}: {Marshal.GetPInvokeErrorMessage(errno)}"),
        };

#pragma warning disable SYSLIB1054, CA5392 // DllImport is enough for these blittable signatures (no unsafe blocks in this project).
        [DllImport("libc", SetLastError = true)]
        private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        private static extern int fstatfs(int fd, [Out] byte[] buffer);

        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

        [DllImport("libc")]
        private static extern void free(IntPtr p);
#pragma warning restore SYSLIB1054, CA5392
    }
}
