using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// An output file written under a hidden temporary name in the same directory (<c>.NAME.v2v-tmp-PID-RANDOM</c>) and
/// renamed to its final name only by <see cref="Commit"/>. The temporary file is created exclusively (O_CREAT|O_EXCL|
/// O_NOFOLLOW) under a name nobody can predict, so a link planted in the folder is never followed; the commit never
/// replaces an existing file (renameat2 RENAME_NOREPLACE) unless the caller asks for a replace. Disposing without a
/// commit closes and deletes the temporary file, so a failed or cancelled write never leaves anything under the final
/// name. The PID in the name lets a later run remove what a killed run left (<see cref="RemoveStaleTemps"/>).
/// <see cref="WriteAllText"/> and <see cref="WriteAllBytes"/> do the whole round for small files (XML, reports):
/// temporary file, fsync, rename, fsync of the directory.
/// </summary>
public sealed partial class AtomicOutputFile : IDisposable
{
    /// <summary>What every temporary name carries after the final name: <c>.NAME.v2v-tmp-PID-RANDOM</c>.</summary>
    public const string TempMarker = ".v2v-tmp-";

    /// <summary>rw-r--r--: the mode of outputs (disks, XML, reports).</summary>
    public const UnixFileMode PublicMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>rw-------: the mode of files only this user should read (logs, downloads, locks).</summary>
    public const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Longest file name in bytes on Linux file systems (NAME_MAX).</summary>
    private const int NameMax = 255;

    private bool _committed;
    private bool _closed;
    private bool _disposed;

    private AtomicOutputFile(string finalPath, string tempPath, SafeFileHandle handle)
    {
        FinalPath = finalPath;
        TempPath = tempPath;
        Handle = handle;
    }

    public string FinalPath { get; }

    public string TempPath { get; }

    public SafeFileHandle Handle { get; }

    /// <summary>A fresh temporary name for <paramref name="finalPath"/>: this process's PID and 48 random bits.</summary>
    public static string NewTempPath(string finalPath)
    {
        var full = Path.GetFullPath(finalPath);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var suffix = string.Create(CultureInfo.InvariantCulture, $"{TempMarker}{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        var name = Path.GetFileName(full);
        while (name.Length > 0 && Encoding.UTF8.GetByteCount(name) + suffix.Length + 1 > NameMax)
        {
            name = name[..^1];
        }

        return Path.Combine(dir, $".{name}{suffix}");
    }

    /// <summary>
    /// Creates the temporary file (exclusively, <paramref name="mode"/> less the umask, <see cref="PublicMode"/> by
    /// default). <paramref name="preallocationSize"/> &gt; 0 reserves space (posix_fallocate on Linux) and fails up
    /// front with a clear error if the file system cannot hold it. Temporary files of dead runs in the folder are
    /// removed first.
    /// </summary>
    public static AtomicOutputFile Create(string finalPath, long preallocationSize = 0, UnixFileMode mode = PublicMode)
    {
        var full = Path.GetFullPath(finalPath);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{full}: output directory {dir} does not exist");
        }

        if (Directory.Exists(full))
        {
            throw new IOException($"{full}: output path is a directory");
        }

        RemoveStaleTemps(dir);
        for (var attempt = 0; ; attempt++)
        {
            var temp = NewTempPath(full);
            try
            {
                return new AtomicOutputFile(full, temp, NativeFile.CreateExclusive(temp, mode, preallocationSize));
            }
            catch (IOException ex) when (NativeFile.IsAlreadyExists(ex) && attempt < 8)
            {
                // Someone holds this random name (or planted a link there): draw another.
            }
            catch (Exception ex) when (IsNoSpace(ex))
            {
                throw NoSpace(full, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new UnauthorizedAccessException($"{full}: cannot write the output: the folder {dir} is not writable ({Reason(ex)})", ex);
            }
            catch (IOException ex) when (!NativeFile.IsAlreadyExists(ex))
            {
                throw new IOException($"{full}: cannot write the output in {dir}: {Reason(ex)}", ex);
            }
        }
    }

    /// <summary>
    /// Removes the temporary files (<c>.NAME.v2v-tmp-PID[-RANDOM]</c>) in <paramref name="directory"/> whose process is
    /// gone; a live process's files (including this one's) are never touched. Returns the names removed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemps(string directory)
    {
        var removed = new List<string>();
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFileSystemEntries(directory, "*" + TempMarker + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (var path in candidates)
        {
            var match = TempName().Match(Path.GetFileName(path));
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || !NativeFile.IsProcessDead(pid))
            {
                continue;
            }

            try
            {
                if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
                {
                    continue; // a folder that looks like a temporary name is not ours
                }

                File.Delete(path); // a link is removed itself, never its target
                removed.Add(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return removed;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/>: written under the temporary name, flushed to disk,
    /// renamed, then the directory flushed, so a crash leaves the old file or the new one. An existing file (or link)
    /// at <paramref name="path"/> is an error naming it, unless <paramref name="replace"/>, which replaces the entry
    /// itself (a link there is replaced, never followed).
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool replace = false)
    {
        using var file = Create(path);
        try
        {
            RandomAccess.Write(file.Handle, bytes, 0);
        }
        catch (Exception ex) when (IsNoSpace(ex))
        {
            throw NoSpace(file.FinalPath, ex);
        }

        file.Commit(fsync: true, replace);
    }

    /// <summary><see cref="WriteAllBytes"/> of <paramref name="text"/> in UTF-8 without a byte-order mark (as <see cref="File.WriteAllText(string, string)"/>).</summary>
    public static void WriteAllText(string path, string text, bool replace = false) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text), replace);

    /// <summary>True for the out-of-space errors of Linux (ENOSPC) and Windows (ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL).</summary>
    public static bool IsNoSpace(Exception ex) =>
        ex is IOException io && (io.HResult == NativeFile.ENOSPC || io.HResult == unchecked((int)0x80070070) || io.HResult == unchecked((int)0x80070027)
            || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
            || io.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase));

    /// <summary>The one error message for a full target file system.</summary>
    public static IOException NoSpace(string finalPath, Exception inner) =>
        new($"{finalPath}: no space left on device while writing the output; the partial output was removed", inner);

    /// <summary>The one error message for a final name that is already taken.</summary>
    public static IOException AlreadyExists(string finalPath, Exception? inner = null) =>
        new($"{finalPath}: output file already exists; it was not replaced (remove it or choose another output)", inner);

    /// <summary>Flushes (when <paramref name="fsync"/>) and closes the temporary file, which stays for a later <see cref="Commit"/>.</summary>
    public void Close(bool fsync)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_closed)
        {
            return;
        }

        if (fsync)
        {
            RandomAccess.FlushToDisk(Handle);
        }

        Handle.Dispose();
        _closed = true;
    }

    /// <summary>
    /// Flushes (when <paramref name="fsync"/>), closes and renames to the final name. An existing file under the final
    /// name is an error naming it (the temporary file is removed on dispose), unless <paramref name="replace"/>.
    /// </summary>
    public void Commit(bool fsync, bool replace = false)
    {
        Close(fsync);
        try
        {
            if (replace)
            {
                File.Move(TempPath, FinalPath, overwrite: true); // rename(2): replaces the entry, never follows a link there
            }
            else
            {
                NativeFile.RenameNoReplace(TempPath, FinalPath);
            }
        }
        catch (IOException ex) when (NativeFile.IsAlreadyExists(ex))
        {
            throw AlreadyExists(FinalPath, ex);
        }

        _committed = true;
        if (fsync)
        {
            NativeFile.FsyncDirectory(Path.GetDirectoryName(FinalPath) ?? ".");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Handle.Dispose();
        if (!_committed)
        {
            TryDelete(TempPath);
        }
    }

    private static string Reason(Exception ex)
    {
        var m = ex.Message;
        var i = m.LastIndexOf(": ", StringComparison.Ordinal);
        return i >= 0 ? m[(i + 2)..] : m;
    }

    [GeneratedRegex(@"\.v2v-tmp-([0-9]{1,10})(?:-[0-9a-f]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex TempName();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
