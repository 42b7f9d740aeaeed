using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Pipeline.Outputs.Local;

/// <summary>
/// One run per VM name and output folder: an exclusive flock on <c>DIR/.NAME.v2v-lock</c> (opened without following a
/// link, mode 0600), holding the holder's PID, for the whole run. The kernel drops the lock when the process dies, so a
/// killed run never blocks the next one. The file is removed when the lock is released.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private readonly SafeFileHandle _handle;
    private bool _disposed;

    private OutputLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    /// <summary>Takes the lock at once or throws an <see cref="IOException"/> naming the folder, the VM and the holder's PID.</summary>
    public static OutputLock Take(string folder, string baseName, string vmName)
    {
        var path = System.IO.Path.Combine(folder, $".{baseName}.v2v-lock");
        for (var attempt = 0; ; attempt++)
        {
            SafeFileHandle? locked;
            string holder;
            try
            {
                locked = NativeFile.TryLock(path, AtomicOutputFile.PrivateMode, out holder);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new UnauthorizedAccessException($"{folder}: cannot write VM \"{vmName}\" here: the folder is not writable ({ex.Message[(ex.Message.LastIndexOf(": ", StringComparison.Ordinal) + 2)..]})", ex);
            }

            var handle = locked
                ?? throw new IOException($"{folder}: another v2v run{Holder(holder)} is writing VM \"{vmName}\" into this folder; wait for it to end or choose another -os");

            // A holder that was releasing may have unlinked the file we opened: then lock the new one.
            if (OperatingSystem.IsLinux() && attempt < 8
                && new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget is { } target
                && target.EndsWith(" (deleted)", StringComparison.Ordinal))
            {
                handle.Dispose();
                continue;
            }

            var pid = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n"));
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, pid, 0);
            return new OutputLock(path, handle);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            File.Delete(Path); // while still holding the lock, so nobody locks a file about to vanish unknowingly
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        _handle.Dispose();
    }

    private static string Holder(string text) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            ? string.Create(CultureInfo.InvariantCulture, $" (PID {pid})")
            : "";
}
