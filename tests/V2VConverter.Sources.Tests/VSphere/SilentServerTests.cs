using System.Net;
using System.Net.Sockets;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// Issue 11 point 11: a server that does not answer. Connect, the TLS handshake and each SOAP call have
/// their own timeout, and each is reported as a <see cref="TimeoutException"/> naming the host (and the
/// call), never as the OperationCanceledException of a Ctrl+C. Short timeouts (1 s) keep the tests quick;
/// each test also has a hang guard far above them.
/// </summary>
public sealed class SilentServerTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private static VSphereConnectOptions Quick(FakeSoapServer server, TimeSpan connect, TimeSpan tls, TimeSpan call) =>
        Options("silent-server-password", server.Sha256) with { ConnectTimeout = connect, TlsTimeout = tls, RequestTimeout = call };

    private static VSphereUri UriOf(string hostPort) => VSphereUri.Parse($"esx://root@{hostPort}/");

    [Fact]
    public async Task A_soap_call_without_an_answer_times_out_naming_the_host_and_the_call()
    {
        using var server = new FakeSoapServer(FakeServerMode.SilentAfterTls);
        var connect = VSphereSource.ConnectAsync(UriOf(server.HostPort), Quick(server, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)), Ct);

        var ex = await Assert.ThrowsAsync<VSphereTimeoutException>(() => connect.WaitAsync(Guard, Ct));

        Assert.Equal($"vSphere {server.HostPort} did not answer RetrieveServiceContent within 1 s (timeout of one SOAP call; see --timeout)", ex.Message);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_server_that_accepts_tcp_and_never_sends_a_server_hello_times_out_in_the_tls_handshake()
    {
        using var server = new FakeSoapServer(FakeServerMode.SilentTcp);
        var connect = VSphereSource.ConnectAsync(UriOf(server.HostPort), Quick(server, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), Ct);

        var ex = await Assert.ThrowsAsync<VSphereTimeoutException>(() => connect.WaitAsync(Guard, Ct));

        Assert.StartsWith($"vSphere {server.HostPort}: no TLS handshake within 1 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connect_that_hangs_times_out_naming_the_host()
    {
        // A listener whose accept queue is full: Linux drops the next SYN, so that connect hangs
        // (deterministically, unlike an unroutable address).
        using var full = FullListener.TryCreate();
        Assert.SkipWhen(full is null, "could not fill a listener's accept queue here (connect does not hang), so a hanging connect cannot be made");
        using var server = new FakeSoapServer(FakeServerMode.Answer);
        var options = Quick(server, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        var connect = VSphereSource.ConnectAsync(UriOf($"127.0.0.1:{full!.Port}"), options, Ct);

        var ex = await Assert.ThrowsAsync<VSphereTimeoutException>(() => connect.WaitAsync(Guard, Ct));

        Assert.StartsWith($"vSphere 127.0.0.1:{full.Port}: could not connect within 1 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_during_a_silent_call_is_still_a_cancellation_not_a_timeout()
    {
        using var server = new FakeSoapServer(FakeServerMode.SilentAfterTls);
        using var user = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var connect = VSphereSource.ConnectAsync(UriOf(server.HostPort), Quick(server, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)), user.Token);
        while (server.Requests == 0)
        {
            await Task.Delay(20, Ct);
        }

        await user.CancelAsync();

        // An OperationCanceledException (exit 130, "interrupted"), not a TimeoutException.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect.WaitAsync(Guard, Ct));
    }

    [Fact]
    public async Task A_download_whose_response_never_starts_times_out_naming_the_host()
    {
        using var server = new FakeSoapServer(FakeServerMode.SilentAfterTls);
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var downloader = new DatastoreDownloader(http, new Uri($"https://{server.HostPort}/"), "ha-datacenter", new DownloadOptions { IdleTimeout = TimeSpan.FromSeconds(1), MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(10) });

        var ex = await Assert.ThrowsAsync<VSphereTimeoutException>(() => downloader.ReadAllBytesAsync(new DatastorePath("ds1", "vm/vm.vmx"), 1024, Ct).WaitAsync(Guard, Ct));

        Assert.Contains(server.HostPort, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests); // the first attempt and one retry: a GET is idempotent
    }

    /// <summary>A listening socket nobody accepts from, with its queue filled: a further connect gets no SYN-ACK.</summary>
    private sealed class FullListener : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _fillers = [];

        private FullListener(Socket listener) => _listener = listener;

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static FullListener? TryCreate()
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            s.Listen(0);
            var full = new FullListener(s);
            for (var i = 0; i < 64; i++)
            {
                var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                full._fillers.Add(c);
                using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    c.ConnectAsync(IPAddress.Loopback, full.Port, cts.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    return full; // this one hung: the queue is full
                }
            }

            full.Dispose();
            return null;
        }

        public void Dispose()
        {
            foreach (var c in _fillers)
            {
                c.Dispose();
            }

            _listener.Dispose();
        }
    }
}
