using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace V2VConverter.TestSupport;

/// <summary>
/// The real libvirtd the libvirt tests run against, started by tests/deps/setup.d/libvirtd.sh (tests/run.sh runs it;
/// run it by hand, as root, before running the libvirt tests alone) and stopped by tests/deps/teardown.d/libvirtd.sh.
/// libvirtd runs inside the network namespace <see cref="Namespace"/>; <see cref="LocalUri"/> (the unix socket) works
/// from anywhere, but clients of <see cref="TcpUri"/> and <see cref="SshUri"/> must run inside the namespace:
/// <see cref="StartInfo"/>/<see cref="Run"/>. This is read from the env file the setup writes.
/// </summary>
public sealed partial class LibvirtHost
{
    private const int CloneNewNet = 0x40000000;

    private static readonly Lazy<LibvirtHost?> Current = new(Load);

    private LibvirtHost(IReadOnlyDictionary<string, string> env)
    {
        string Get(string key) => env.TryGetValue(key, out var v) && v.Length > 0
            ? v : throw new InvalidOperationException($"{EnvFile} has no {key}; rerun tests/deps/setup.d/libvirtd.sh");
        LocalUri = Get("LOCAL_URI");
        TcpUri = Get("TCP_URI");
        SshUri = Get("SSH_URI");
        Namespace = Get("NAMESPACE");
        Bridge = Get("BRIDGE");
        NetworkName = Get("NETWORK");
        DirPool = Get("DIR_POOL");
        FsPool = Get("FS_POOL");
        StateDir = Get("STATE_DIR");
    }

    /// <summary>Where the setup keeps its state: V2V_LIBVIRT_DIR, default /var/tmp/v2v-libvirt-test (as the script).</summary>
    public static string Dir => Environment.GetEnvironmentVariable("V2V_LIBVIRT_DIR") is { Length: > 0 } d ? d : "/var/tmp/v2v-libvirt-test";

    public static string EnvFile => Path.Combine(Dir, "env");

    public static string SetupScript => Path.Combine(RepoPaths.Root, "tests", "deps", "setup.d", "libvirtd.sh");

    /// <summary>qemu:///system: the daemon's unix socket.</summary>
    public string LocalUri { get; }

    /// <summary>qemu+tcp://127.0.0.1:16509/system, only inside <see cref="Namespace"/>.</summary>
    public string TcpUri { get; }

    /// <summary>qemu+ssh://root@127.0.0.1:PORT/system?keyfile=...&amp;command=... (an ssh wrapper with its own known_hosts), only inside <see cref="Namespace"/>.</summary>
    public string SshUri { get; }

    /// <summary>The network namespace libvirtd, sshd, the "default" network and <see cref="Bridge"/> live in.</summary>
    public string Namespace { get; }

    /// <summary>A plain bridge (not a libvirt network) that exists on the host: v2vbr0.</summary>
    public string Bridge { get; }

    /// <summary>The active libvirt network: "default".</summary>
    public string NetworkName { get; }

    /// <summary>A dir pool (v2v-test-dir).</summary>
    public string DirPool { get; }

    /// <summary>An fs pool (v2v-test-fs): an ext4 image that libvirt mounts through a loop device, 512 MiB.</summary>
    public string FsPool { get; }

    public string StateDir { get; }

    /// <summary>Every URI the tests prove: local, tcp, ssh.</summary>
    public IReadOnlyList<string> AllUris => [LocalUri, TcpUri, SshUri];

    /// <summary>
    /// The host, when it is up. When it is not: under CI (the CI variable set) the test FAILS, since tests/run.sh
    /// must have started it; elsewhere it is skipped with the command that starts it.
    /// </summary>
    public static LibvirtHost Require()
    {
        var host = Current.Value;
        var problem = host is null ? $"{EnvFile} is missing" : host.Probe();
        if (problem is null)
        {
            return host!;
        }

        var message = $"the test libvirtd is not up ({problem}); start it as root with: bash {SetupScript}";
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            throw new InvalidOperationException(message + " (CI is set, so this fails instead of skipping)");
        }

        Assert.Skip(message);
        return null!;
    }

    /// <summary>A process run inside <see cref="Namespace"/> (<c>ip netns exec NS FILE ARGS</c>), output redirected.</summary>
    public ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["netns", "exec", Namespace, file, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    /// <summary>Runs FILE ARGS inside <see cref="Namespace"/>, capturing its output (<see cref="Tool.Run"/>).</summary>
    public Tool.Result Run(string file, IEnumerable<string> args, int timeoutMs = 600_000, IDictionary<string, string>? env = null) =>
        Tool.Run("ip", ["netns", "exec", Namespace, file, .. args], timeoutMs: timeoutMs, env: env);

    /// <summary><c>virsh -c URI ARGS</c> inside the namespace (so every URI works).</summary>
    public Tool.Result Virsh(string uri, params string[] args) => Run("virsh", ["-c", uri, .. args], timeoutMs: 300_000);

    /// <summary><c>virsh -c URI ARGS</c>, throwing with virsh's output when it fails.</summary>
    public string CheckVirsh(string uri, params string[] args)
    {
        var r = Virsh(uri, args);
        return r.ExitCode == 0 ? r.StdOut : throw new InvalidOperationException($"virsh -c {uri} {string.Join(' ', args)} exited {r.ExitCode}: {r.All.Trim()}");
    }

    /// <summary>
    /// Runs <paramref name="f"/> on a new thread that first joins <see cref="Namespace"/> (setns(2) moves only the
    /// calling thread), for in-process clients of <see cref="TcpUri"/>/<see cref="SshUri"/>: a socket (or the ssh child)
    /// made there stays there and works from any thread afterwards, as a connection to another machine would.
    /// </summary>
    public T InNamespace<T>(Func<T> f)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using (var ns = File.OpenHandle($"/run/netns/{Namespace}"))
                {
                    if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new IOException($"setns into network namespace {Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                result = f();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        t.Start();
        t.Join();
        return error is null ? result : throw new AggregateException(error);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);

    private string? Probe()
    {
        var pid = Path.Combine(StateDir, "libvirtd.pid");
        if (!File.Exists(pid) || !Directory.Exists($"/proc/{File.ReadAllText(pid).Trim()}"))
        {
            return $"no libvirtd running from {pid}";
        }

        var r = Tool.Run("virsh", ["-c", LocalUri, "uri"], timeoutMs: 60_000);
        return r.ExitCode == 0 ? null : $"virsh -c {LocalUri} uri: {r.All.Trim()}";
    }

    private static LibvirtHost? Load()
    {
        if (!File.Exists(EnvFile))
        {
            return null;
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(EnvFile))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                env[line[..eq]] = line[(eq + 1)..];
            }
        }

        return new LibvirtHost(env);
    }
}
