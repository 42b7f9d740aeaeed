using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;
using static V2VConverter.Pipeline.Tests.Libvirt.LibvirtTestKit;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>The binding's lookups against the real test libvirtd, through each transport.</summary>
public sealed class LibvirtConnectionTests
{
    public static TheoryData<string> Transports => new("local", "tcp", "ssh");

    private static (LibvirtHost Host, string Uri) Pick(string transport)
    {
        var host = LibvirtHost.Require();
        return (host, transport switch
        {
            "local" => host.LocalUri,
            "tcp" => host.TcpUri,
            _ => host.SshUri,
        });
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Open_reports_the_uri_and_finds_what_the_host_has(string transport)
    {
        var (host, uri) = Pick(transport);
        using var conn = Open(host, uri);

        // libvirt reports the URI as the client opened it (the remote driver keeps transport, port and parameters).
        Assert.Equal(uri, conn.Uri);

        using var dir = conn.FindPool(host.DirPool);
        Assert.NotNull(dir);
        Assert.Equal(host.DirPool, dir.Name);
        Assert.Equal("dir", dir.Type);
        Assert.True(dir.IsActive);
        var (capacity, allocation, available) = dir.Info();
        Assert.True(capacity > 0 && allocation >= 0 && available > 0 && available <= capacity, $"{capacity} {allocation} {available}");

        using var fs = conn.FindPool(host.FsPool);
        Assert.NotNull(fs);
        Assert.Equal("fs", fs.Type);
        Assert.True(fs.IsActive);
        Assert.InRange(fs.Info().Capacity, 400L << 20, 512L << 20);

        using var net = conn.FindNetwork(host.NetworkName);
        Assert.NotNull(net);
        Assert.Equal("default", net.Name);
        Assert.True(net.IsActive);
        Assert.Equal("virbr0", net.Bridge);

        Assert.True(conn.HostInterfaceExists(host.Bridge));
        Assert.True(conn.HostInterfaceExists("virbr0"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Missing_objects_are_null_not_errors(string transport)
    {
        var (host, uri) = Pick(transport);
        using var conn = Open(host, uri);

        Assert.Null(conn.FindPool("v2v-no-such-pool"));
        Assert.Null(conn.FindDomain("v2v-no-such-domain"));
        Assert.Null(conn.FindDomainByUuid("00000000-0000-4000-8000-00000000dead"));
        Assert.Null(conn.FindNetwork("v2v-no-such-net"));
        Assert.False(conn.HostInterfaceExists("v2vnope0"));
        using var pool = conn.FindPool(host.DirPool)!;
        Assert.Null(pool.FindVolume("v2v-no-such-volume.qcow2"));
    }

    [Fact]
    public void A_null_uri_is_libvirts_default_as_for_virsh()
    {
        var host = LibvirtHost.Require();
        var previous = Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI");
        try
        {
            // The variable virsh honours is read by libvirt itself when the URI is null.
            Environment.SetEnvironmentVariable("LIBVIRT_DEFAULT_URI", host.LocalUri);
            using var conn = LibvirtConnection.Open(null);
            Assert.Equal(host.LocalUri, conn.Uri);
            Assert.NotNull(conn.FindPool(host.DirPool));
        }
        finally
        {
            Environment.SetEnvironmentVariable("LIBVIRT_DEFAULT_URI", previous);
        }
    }

    [Fact]
    public void A_connection_is_used_from_several_threads_at_once()
    {
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        var found = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var p = conn.FindPool(i % 2 == 0 ? host.DirPool : "v2v-no-such-pool");
            if (p is not null)
            {
                Assert.Equal(host.DirPool, p.Name);
                Interlocked.Increment(ref found);
            }
        });
        Assert.Equal(32, found);
    }

    [Fact]
    public void A_failed_open_names_the_uri_in_one_line()
    {
        LibvirtHost.Require();
        var e = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("qemu+tcp://127.0.0.1:1/system"));
        Assert.StartsWith("libvirt: cannot connect to qemu+tcp://127.0.0.1:1/system: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(e.IsNotFound);
        Assert.NotEqual(0, e.Code);
        Assert.IsAssignableFrom<IOException>(e);
    }
}
