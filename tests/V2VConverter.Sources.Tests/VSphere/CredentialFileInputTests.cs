using System.Runtime.Versioning;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>Issue 11 points 8 and 10: ~/.netrc and --password-file that are FIFOs or devices are refused at once.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class CredentialFileInputTests : IDisposable
{
    private readonly string _home = RepoPaths.NewTempDir("v2v-cred-input");
    private readonly List<string> _fifos = [];

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private Exception Throws(Action action)
    {
        var ex = Fifo.ThrowsWithinDeadline(action, [.. _fifos]);
        Assert.NotNull(ex);
        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    [Fact]
    public void A_netrc_that_is_a_fifo_is_refused_at_once()
    {
        var netrc = Path.Combine(_home, ".netrc");
        _fifos.Add(Fifo.Make(netrc));
        var ex = Throws(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://esx1/"), null, n => n == "HOME" ? _home : null));
        Assert.Contains(netrc, ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_file_that_is_a_fifo_is_refused_at_once()
    {
        var pw = Path.Combine(_home, "pw");
        _fifos.Add(Fifo.Make(pw));
        var ex = Throws(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), pw, _ => null));
        Assert.Contains($"password file {pw}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_file_that_is_a_device_is_refused_without_reading_it()
    {
        var ex = Throws(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), "/dev/zero", _ => null));
        Assert.Contains("password file /dev/zero", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a character device", ex.Message, StringComparison.Ordinal);
        var link = Path.Combine(_home, "pw-link");
        File.CreateSymbolicLink(link, "/dev/urandom");
        Assert.Contains("is a character device", Throws(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), link, _ => null)).Message, StringComparison.Ordinal);
    }
}
