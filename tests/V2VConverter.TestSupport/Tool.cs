using System.Diagnostics;

namespace V2VConverter.TestSupport;

/// <summary>Runs external tools (qemu-img, virt-xml-validate...) for tests, capturing their output.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
    }

    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, name)));

    /// <summary>Throws (so the test fails with a clear message) when a required tool is missing.</summary>
    public static void Require(string name)
    {
        if (!Exists(name))
        {
            throw new InvalidOperationException($"required tool '{name}' is not installed; run ./tests/run.sh which installs test dependencies");
        }
    }

    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutMs = 600_000, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }

        return new Result(p.ExitCode, so.Result, se.Result);
    }

    /// <summary>Runs and throws with the tool's output when it exits non-zero.</summary>
    public static Result Check(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {r.ExitCode}: {r.All}");
        }

        return r;
    }
}
