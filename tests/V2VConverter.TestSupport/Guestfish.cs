using System.Diagnostics;

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
    public static Guestfish Listen(string diskPath, string format) => Listen([diskPath], format);

    /// <summary>The server on several disk images (all in <paramref name="format"/>), read-only: one appliance for all of them.</summary>
    public static Guestfish Listen(IReadOnlyList<string> diskPaths, string format)
    {
        var diskPath = string.Join(" ", diskPaths);
        // The server forks and keeps the descriptors it was given: send them to files, not to pipes that
        // Tool.Run would read to their end (which the server never closes).
        var dir = RepoPaths.NewTempDir("v2v-guestfish");
        try
        {
            var psi = new ProcessStartInfo("bash") { UseShellExecute = false };
            // bash -c 'exec guestfish ... -a "$3" -a "$4" ...' listen FORMAT DIR DISK...
            var adds = string.Join(" ", diskPaths.Select((_, i) => $"-a \"${i + 3}\""));
            foreach (var a in new[] { "-c", $"exec guestfish --listen --ro --format=\"$1\" {adds} >\"$2/out\" 2>\"$2/err\" </dev/null", "listen", format, dir })
            {
                psi.ArgumentList.Add(a);
            }

            foreach (var d in diskPaths)
            {
                psi.ArgumentList.Add(d);
            }

            foreach (var (k, v) in Environment())
            {
                psi.Environment[k] = v;
            }

            using (var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start guestfish --listen"))
            {
                if (!p.WaitForExit(120_000))
                {
                    p.Kill(entireProcessTree: true);
                    throw new TimeoutException($"guestfish --listen on {diskPath} did not answer in 120 s");
                }
            }

            // It prints "GUESTFISH_PID=1234; export GUESTFISH_PID".
            var line = File.ReadAllLines(Path.Combine(dir, "out")).FirstOrDefault(l => l.StartsWith("GUESTFISH_PID=", StringComparison.Ordinal));
            if (line is null)
            {
                throw new InvalidOperationException($"guestfish --listen on {diskPath} failed: {File.ReadAllText(Path.Combine(dir, "err"))}");
            }

            return new Guestfish(line["GUESTFISH_PID=".Length..].Split(';')[0].Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs one command; throws with guestfish's message when it fails.</summary>
    public string Run(params string[] command) =>
        TryRun(command) ?? throw new InvalidOperationException($"guestfish {string.Join(' ', command)} failed: {_lastError}");

    /// <summary>Runs one command; null when it fails. A failed command ends a guestfish server, so only use this when a failure ends the snapshot anyway.</summary>
    private string? TryRun(params string[] command)
    {
        var r = Tool.Run("guestfish", ["--remote=" + _pid, "--", .. command], env: Environment(), timeoutMs: 900_000);
        _lastError = r.StdErr.Trim();
        return r.ExitCode == 0 ? r.StdOut : null;
    }

    /// <summary>
    /// Runs a command that prints its answer, with guestfish's "-" prefix so that a failure (a missing path, an inspection
    /// field the guest lacks) does not end the server; null when it printed nothing (the error goes to the server's log).
    /// </summary>
    public string? Query(params string[] command)
    {
        var r = Tool.Run("guestfish", ["--remote=" + _pid, "--", "-" + command[0], .. command[1..]], env: Environment(), timeoutMs: 900_000);
        var answer = r.StdOut.Trim();
        return r.ExitCode == 0 && answer.Length > 0 ? answer : null;
    }

    /// <summary>Runs a command whose failure is not an error (a mount that may not work), without ending the server.</summary>
    public void Attempt(params string[] command) =>
        Tool.Run("guestfish", ["--remote=" + _pid, "--", "-" + command[0], .. command[1..]], env: Environment(), timeoutMs: 900_000);

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
