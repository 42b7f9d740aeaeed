namespace V2VConverter.TestSupport;

/// <summary>
/// A read-only guestfish server (<c>guestfish --listen</c>) that a test drives one command at a time with
/// <c>guestfish --remote</c>: one appliance launch for many commands whose arguments depend on earlier answers.
/// Disposing ends the server.
/// </summary>
internal sealed class Guestfish : IDisposable
{
    private readonly string _pid;
    private bool _closed;

    private Guestfish(string pid) => _pid = pid;

    /// <summary>Starts the server on one disk image, read-only (the appliance starts at the first "run").</summary>
    public static Guestfish Listen(string diskPath, string format)
    {
        var r = Tool.Run("guestfish", ["--listen", "--ro", "--format=" + format, "-a", diskPath], env: Environment());
        // Prints "GUESTFISH_PID=1234; export GUESTFISH_PID".
        var line = r.StdOut.Split('\n').FirstOrDefault(l => l.StartsWith("GUESTFISH_PID=", StringComparison.Ordinal));
        if (r.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"guestfish --listen on {diskPath} failed (exit {r.ExitCode}): {r.All}");
        }

        return new Guestfish(line["GUESTFISH_PID=".Length..].Split(';')[0].Trim());
    }

    /// <summary>Runs one command; throws with guestfish's message when it fails.</summary>
    public string Run(params string[] command) =>
        TryRun(command) ?? throw new InvalidOperationException($"guestfish {string.Join(' ', command)} failed: {_lastError}");

    /// <summary>Runs one command; null when it fails (a missing file, a failed inspection call).</summary>
    public string? TryRun(params string[] command)
    {
        var r = Tool.Run("guestfish", ["--remote=" + _pid, "--", .. command], env: Environment(), timeoutMs: 900_000);
        _lastError = r.StdErr.Trim();
        return r.ExitCode == 0 ? r.StdOut : null;
    }

    private string _lastError = "";

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            Tool.Run("guestfish", ["--remote=" + _pid, "--", "exit"], env: Environment());
        }
    }

    private static Dictionary<string, string> Environment() => new()
    {
        ["LIBGUESTFS_BACKEND"] = System.Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND") ?? "direct",
        ["LIBGUESTFS_BACKEND_SETTINGS"] = System.Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND_SETTINGS") ?? "force_tcg",
    };
}
