using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace V2VConverter.TestSupport.Vcsim;

/// <summary>What tests/vcsim/main.go prints on startup.</summary>
public sealed record VcsimBanner(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("sha1")] string Sha1,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("certFile")] string CertFile,
    [property: JsonPropertyName("datacenters")] IReadOnlyList<string> Datacenters,
    [property: JsonPropertyName("datastores")] IReadOnlyDictionary<string, string> Datastores,
    [property: JsonPropertyName("vms")] IReadOnlyList<VcsimVm> Vms,
    [property: JsonPropertyName("snapshots")] IReadOnlyDictionary<string, string>? Snapshots);

/// <summary>One VM of the banner: its name, .vmx, power state, managed object id, host, parent folder and disk files.</summary>
public sealed record VcsimVm(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("vmPathName")] string VmPathName,
    [property: JsonPropertyName("powerState")] string PowerState,
    [property: JsonPropertyName("ref")] string? Ref = null,
    [property: JsonPropertyName("host")] string? Host = null,
    [property: JsonPropertyName("folder")] string? Folder = null,
    [property: JsonPropertyName("disks")] IReadOnlyList<string>? Disks = null);

/// <summary>
/// What <c>GET /v2v-stats</c> of the launcher reports: the most VM folders that had a datastore download in flight
/// at once, overall and per host (the host that runs the VM), and the number of downloads since the last reset.
/// </summary>
public sealed record VcsimStats(
    [property: JsonPropertyName("maxConcurrentVms")] int MaxConcurrentVms,
    [property: JsonPropertyName("maxConcurrentVmsPerHost")] IReadOnlyDictionary<string, int> MaxConcurrentVmsPerHost,
    [property: JsonPropertyName("downloads")] int Downloads);

/// <summary>
/// One running vSphere simulator (govmomi's vcsim, built by tests/vcsim/build.sh), TLS on,
/// listening on a free 127.0.0.1 port. It exits when its stdin closes; Dispose also kills it.
/// </summary>
public sealed class VcsimServer : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private VcsimServer(Process process, VcsimBanner banner, Task<string> stderr)
    {
        _process = process;
        Banner = banner;
        _stderr = stderr;
    }

    public VcsimBanner Banner { get; }

    public string HostPort => Banner.Host;

    public int Port => int.Parse(Banner.Host[(Banner.Host.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    public static string Binary => Path.Combine(RepoPaths.Root, ".cache", "vcsim", "vcsim-v2v");

    /// <summary>Builds the launcher when needed (go + govmomi from Debian), like tests/deps/setup.d/vcsim.sh.</summary>
    public static void EnsureBuilt()
    {
        Tool.Require("go");
        var r = Tool.Run("bash", [Path.Combine(RepoPaths.Root, "tests", "vcsim", "build.sh")], timeoutMs: 900_000);
        if (r.ExitCode != 0 || !File.Exists(Binary))
        {
            throw new InvalidOperationException($"building vcsim failed (exit {r.ExitCode}): {r.All}");
        }
    }

    public static VcsimServer Start(params string[] args)
    {
        EnsureBuilt();
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start vcsim");
        var stderr = p.StandardError.ReadToEndAsync();
        var line = p.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromMinutes(5)) || line.Result is null)
        {
            p.Kill(true);
            throw new InvalidOperationException($"vcsim did not start: {(stderr.Wait(2000) ? stderr.Result : "")}");
        }

        var banner = JsonSerializer.Deserialize<VcsimBanner>(line.Result) ?? throw new InvalidOperationException("vcsim printed no banner");
        if (!banner.Host.StartsWith("127.0.0.1:", StringComparison.Ordinal))
        {
            p.Kill(true);
            throw new InvalidOperationException($"vcsim listens on {banner.Host}, not on loopback");
        }

        return new VcsimServer(p, banner, stderr);
    }

    /// <summary>Absolute path on disk of "[ds] dir/file".</summary>
    public string LocalPath(string datastorePath)
    {
        var close = datastorePath.IndexOf(']', StringComparison.Ordinal);
        var ds = datastorePath[1..close];
        return Path.Combine(Banner.Datastores[ds], datastorePath[(close + 1)..].Trim());
    }

    public string LocalPath(string datastore, string relative) => Path.Combine(Banner.Datastores[datastore], relative);

    public string Log => _stderr.IsCompleted ? _stderr.Result : "";

    /// <summary>The download concurrency counters since the start or the last <see cref="ResetStats"/>.</summary>
    public VcsimStats Stats()
    {
        using var http = PinnedClient();
        var json = http.GetStringAsync(new Uri($"https://{HostPort}/v2v-stats")).GetAwaiter().GetResult();
        return JsonSerializer.Deserialize<VcsimStats>(json) ?? throw new InvalidOperationException($"vcsim /v2v-stats answered {json}");
    }

    /// <summary>Zeroes the download counters (the downloads in flight stay counted until they end).</summary>
    public void ResetStats()
    {
        using var http = PinnedClient();
        using var r = http.PostAsync(new Uri($"https://{HostPort}/v2v-stats/reset"), null).GetAwaiter().GetResult();
        r.EnsureSuccessStatusCode();
    }

    /// <summary>An HTTP client that trusts exactly this simulator's certificate.</summary>
    private HttpClient PinnedClient()
    {
        var pin = Banner.Sha256.Replace(":", "", StringComparison.Ordinal);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
                cert is not null && string.Equals(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(cert.RawData)), pin, StringComparison.OrdinalIgnoreCase),
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill(true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
