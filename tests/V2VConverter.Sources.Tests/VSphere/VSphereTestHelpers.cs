using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;

namespace V2VConverter.Sources.Tests.VSphere;

internal static class VSphereTestHelpers
{
    /// <summary>Options whose environment holds only HOME (an empty temp folder) and the given variables.</summary>
    public static VSphereConnectOptions Options(
        string? password = null,
        string? thumbprint = null,
        string? home = null,
        Action<string>? log = null,
        TestLog? diagnostics = null,
        DownloadOptions? download = null,
        int pageSize = 500,
        string? passwordFile = null)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = home ?? RepoPaths.NewTempDir("v2v-home") };
        if (password is not null)
        {
            env[CredentialResolver.PasswordVariable] = password;
        }

        return new VSphereConnectOptions
        {
            GetEnv = n => env.TryGetValue(n, out var v) ? v : null,
            Thumbprint = thumbprint,
            Log = diagnostics?.Logger ?? new TestLog(log).Logger,
            Download = download ?? new DownloadOptions { RetryDelay = TimeSpan.FromMilliseconds(50) },
            PageSize = pageSize,
            PasswordFile = passwordFile,
        };
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Connects to a batch fixture's simulator with its password and pinned certificate.</summary>
    public static Task<VSphereSource> ConnectAsync(VcsimBatchInventory inventory) =>
        VSphereSource.ConnectAsync(VSphereUri.Parse(inventory.Uri), Options(inventory.Options.Password, inventory.Server.Banner.Sha256), Ct);

    /// <summary>
    /// Puts a real VMDK made by qemu-img (monolithicFlat: descriptor + -flat extent, the ESXi
    /// layout) with data written by qemu-io at <paramref name="descriptorPath"/>, replacing the
    /// simulator's empty placeholder files. Returns a pristine copy's path for comparison.
    /// </summary>
    public static string MakeVmdk(string descriptorPath, int sizeMiB)
    {
        Tool.Require("qemu-img");
        Tool.Require("qemu-io");
        var dir = Path.GetDirectoryName(descriptorPath)!;
        var name = Path.GetFileNameWithoutExtension(descriptorPath);
        File.Delete(descriptorPath);
        File.Delete(Path.Combine(dir, name + "-flat.vmdk"));
        Tool.Check("qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", descriptorPath, $"{sizeMiB}M");
        Tool.Check("qemu-io", "-f", "vmdk", "-c", "write -P 0xa5 0 512k", "-c", $"write -P 0x3c {sizeMiB / 2}M 64k", "-c", $"write -P 0x7e {sizeMiB - 1}M 1M", descriptorPath);
        Tool.Check("qemu-img", "check", "-q", descriptorPath);
        return descriptorPath;
    }
}

/// <summary>A class fixture holding one <see cref="VcsimBatchInventory"/>, and how long it took to start.</summary>
public abstract class BatchInventoryFixture : IDisposable
{
    protected BatchInventoryFixture(VcsimBatchOptions options)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Inventory = VcsimBatchInventory.Start(options);
        StartTime = sw.Elapsed;
    }

    public VcsimBatchInventory Inventory { get; }

    public TimeSpan StartTime { get; }

    public void Dispose()
    {
        Inventory.Dispose();
        GC.SuppressFinalize(this);
    }
}
