using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Access;

/// <summary>
/// Remembers, for the rest of the host's boot, that a KVM appliance launch hit its deadline: on such a host every
/// KVM launch hangs the same way, and a batch run should not wait a minute per VM to learn it again. The file holds
/// the boot id (<c>/proc/sys/kernel/random/boot_id</c>), so a reboot (perhaps with a fixed KVM) forgets it.
/// </summary>
public static class KvmHangMemory
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>The longest memory file read back; anything larger is not ours.</summary>
    private const int MaxFileBytes = 4096;

    /// <summary><c>$XDG_CACHE_HOME/v2v/kvm-launch-hung</c>, or <c>~/.cache/v2v/kvm-launch-hung</c>.</summary>
    public static string DefaultPath
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
            {
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            }

            return Path.Combine(cache, "v2v", "kvm-launch-hung");
        }
    }

    /// <summary>What was remembered (the reason) when <paramref name="path"/> is from this boot; otherwise null.</summary>
    public static string? Recalled(string path)
    {
        var boot = BootId();
        try
        {
            var info = new FileInfo(path);
            if (boot is null || !info.Exists || info.Length > MaxFileBytes)
            {
                return null;
            }

            var lines = File.ReadAllLines(path);
            return lines.Length >= 2 && lines[0] == boot ? lines[1] : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the memory file; a failure to write it is only logged (it is a shortcut, not a result).</summary>
    public static void Remember(string path, string reason, ILogger log)
    {
        var boot = BootId();
        if (boot is null)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllLines(path, [boot, reason.ReplaceLineEndings(" ")]);
            log.Info($"appliance: remembered in {path} for the rest of this boot; later launches use TCG (delete the file to try KVM again)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Info($"appliance: could not remember the KVM hang in {path}: {e.Message}");
        }
    }

    private static string? BootId()
    {
        try
        {
            return File.ReadAllText(BootIdPath).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
