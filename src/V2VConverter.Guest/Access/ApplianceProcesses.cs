using System.Globalization;

namespace V2VConverter.Guest.Access;

/// <summary>
/// Finds the QEMU of one appliance launch among this process's descendants, by a token put on the appliance's
/// kernel command line (QEMU's own command line carries it in <c>-append</c>), so a stuck launch can be stopped
/// without touching any other appliance or program.
/// </summary>
internal static class ApplianceProcesses
{
    private const string ProcRoot = "/proc";
    private const string TokenPrefix = "v2v.launch=";

    /// <summary>How many parents are followed up from a process before it is taken as not ours.</summary>
    private const int MaxAncestry = 32;

    private const int SigKill = 9;

    /// <summary>A fresh token: <c>v2v.launch=</c> and 16 random hex digits.</summary>
    public static string NewToken() => TokenPrefix + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray(), 0, 8);

    /// <summary>The PIDs of this process's descendants whose command line holds <paramref name="token"/>.</summary>
    public static IReadOnlyList<int> Find(string token)
    {
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories(ProcRoot))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self)
            {
                continue;
            }

            var cmdline = ReadOrNull(Path.Combine(dir, "cmdline"));
            if (cmdline is not null && cmdline.Contains(token, StringComparison.Ordinal) && DescendsFrom(pid, self))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>
    /// Sends SIGKILL to each process; one already gone is skipped. kill(2) directly: a <see cref="System.Diagnostics.Process"/> object
    /// for a child of this process could make the runtime reap it, and libguestfs waits for its QEMU itself.
    /// </summary>
    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            _ = NativeMethods.KillProcess(pid, SigKill);
        }
    }

    private static bool DescendsFrom(int pid, int ancestor)
    {
        for (var i = 0; i < MaxAncestry && pid > 1; i++)
        {
            var parent = ParentOf(pid);
            if (parent == ancestor)
            {
                return true;
            }

            pid = parent;
        }

        return false;
    }

    /// <summary>The PPID field of /proc/PID/stat, after the command name in parentheses (which may hold spaces); 0 if gone.</summary>
    private static int ParentOf(int pid)
    {
        var stat = ReadOrNull(Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
        var close = stat?.LastIndexOf(')') ?? -1;
        if (stat is null || close < 0)
        {
            return 0;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : 0;
    }

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
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
