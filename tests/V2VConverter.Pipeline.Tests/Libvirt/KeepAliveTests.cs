using System.Diagnostics;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;
using static V2VConverter.Pipeline.Tests.Libvirt.LibvirtTestKit;

namespace V2VConverter.Pipeline.Tests.Libvirt;

public sealed class KeepAliveTests
{
    [Fact]
    public async Task An_upload_to_a_daemon_that_went_silent_fails_instead_of_hanging()
    {
        var host = LibvirtHost.Require();
        const int mib = 1 << 20;
        var name = NewName("v2v-silent") + ".raw";
        LibvirtException? error;
        var clock = new Stopwatch();
        using (var proxy = FreezableProxy.Start(host))
        {
            using var conn = LibvirtConnection.Open($"qemu+tcp://127.0.0.1:{proxy.Port}/system");
            using var pool = conn.FindPool(host.DirPool)!;
            using var vol = pool.CreateVolume(RawVolumeXml(name, 256 * mib));
            var up = vol.Upload(0, 256 * mib, sparse: false);
            var chunk = new byte[mib];
            up.Send(chunk);

            proxy.Freeze();
            clock.Start();
            var upload = Task.Run(() =>
            {
                try
                {
                    for (var i = 1; i < 256; i++)
                    {
                        up.Send(chunk);
                    }

                    up.Finish();
                    return null;
                }
                catch (LibvirtException e)
                {
                    return e;
                }
            });

            // Keepalive: 3 unanswered probes 5 s apart. Without it this waits forever (the proxy holds the socket).
            var limit = TimeSpan.FromSeconds((LibvirtConnection.KeepAliveInterval * (LibvirtConnection.KeepAliveCount + 2)) + 30);
            var finished = await Task.WhenAny(upload, Task.Delay(limit, TestContext.Current.CancellationToken));
            Assert.True(finished == upload, $"the upload still blocks {limit.TotalSeconds} s after the daemon went silent");
            error = await upload;
            clock.Stop();
            up.Dispose();
        }

        Assert.NotNull(error);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains($"volume '{name}' in storage pool '{host.DirPool}'", error.Message);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(LibvirtConnection.KeepAliveInterval), $"failed after {clock.Elapsed} only: not by keepalive?");

        // The daemon drops the stream once the proxy closed; then the volume can go.
        using var local = LibvirtConnection.Open(host.LocalUri);
        using var p = local.FindPool(host.DirPool)!;
        for (var i = 0; ; i++)
        {
            using var v = p.FindVolume(name);
            if (v is null)
            {
                break;
            }

            try
            {
                v.Delete();
            }
            catch (LibvirtException) when (i < 50)
            {
                Thread.Sleep(200);
            }
        }

        Assert.Null(p.FindVolume(name));
    }
}
