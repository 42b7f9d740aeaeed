using System.Text;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// An output file written under a temporary name in the same directory (<c>.NAME.v2v-tmp-PID</c>) and renamed to its
/// final name only by <see cref="Commit"/>. Disposing without a commit closes and deletes the temporary file, so a
/// failed or cancelled write never leaves anything under the final name. <see cref="WriteAllText"/> and
/// <see cref="WriteAllBytes"/> do the whole round for small files (XML, reports): temporary file, fsync, rename,
/// fsync of the directory.
/// </summary>
public sealed class AtomicOutputFile : IDisposable
{
    private bool _committed;
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

    /// <summary>The temporary name used for <paramref name="finalPath"/> by this process.</summary>
    public static string TempPathFor(string finalPath)
    {
        var full = Path.GetFullPath(finalPath);
        var dir = Path.GetDirectoryName(full) ?? ".";
        return Path.Combine(dir, $".{Path.GetFileName(full)}.v2v-tmp-{Environment.ProcessId}");
    }

    /// <summary>
    /// Creates the temporary file. <paramref name="preallocationSize"/> &gt; 0 reserves space (posix_fallocate on
    /// Linux) and fails up front with a clear error if the file system cannot hold it.
    /// </summary>
    public static AtomicOutputFile Create(string finalPath, long preallocationSize = 0)
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

        var temp = TempPathFor(full);
        SafeFileHandle handle;
        try
        {
            File.Delete(temp);
            handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, preallocationSize);
        }
        catch (Exception ex) when (IsNoSpace(ex))
        {
            TryDelete(temp);
            throw NoSpace(full, ex);
        }

        return new AtomicOutputFile(full, temp, handle);
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/>, replacing any old file: written under the temporary
    /// name, flushed to disk, renamed, then the directory flushed, so a crash leaves the old file or the new one.
    /// </summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
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

        file.Commit(fsync: true);
    }

    /// <summary><see cref="WriteAllBytes"/> of <paramref name="text"/> in UTF-8 without a byte-order mark (as <see cref="File.WriteAllText(string, string)"/>).</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text));

    /// <summary>True for the out-of-space errors of Linux (ENOSPC) and Windows (ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL).</summary>
    public static bool IsNoSpace(Exception ex) =>
        ex is IOException io && (io.HResult == NativeFile.ENOSPC || io.HResult == unchecked((int)0x80070070) || io.HResult == unchecked((int)0x80070027)
            || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
            || io.Message.Contains("disk was full", StringComparison.OrdinalIgnoreCase));

    /// <summary>The one error message for a full target file system.</summary>
    public static IOException NoSpace(string finalPath, Exception inner) =>
        new($"{finalPath}: no space left on device while writing the output; the partial output was removed", inner);

    /// <summary>Flushes (when <paramref name="fsync"/>), closes and renames to the final name, replacing any old file.</summary>
    public void Commit(bool fsync)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (fsync)
        {
            RandomAccess.FlushToDisk(Handle);
        }

        Handle.Dispose();
        File.Move(TempPath, FinalPath, overwrite: true);
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
