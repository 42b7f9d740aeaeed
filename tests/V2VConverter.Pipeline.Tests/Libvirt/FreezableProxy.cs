using System.Net;
using System.Net.Sockets;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>
/// A TCP forwarder from 127.0.0.1:<see cref="Port"/> (this process's namespace) to libvirtd's TCP port inside the test
/// host's namespace. <see cref="Freeze"/> stops forwarding in both directions while keeping every socket open: to the
/// client the daemon is alive at the TCP level and silent, like a host that vanished behind a router.
/// </summary>
internal sealed class FreezableProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly LibvirtHost _host;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ManualResetEventSlim _running = new(true);
    private readonly List<Socket> _sockets = [];

    private FreezableProxy(LibvirtHost host, int targetPort)
    {
        _host = host;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static FreezableProxy Start(LibvirtHost host)
    {
        var port = new Uri(host.TcpUri).Port;
        return new FreezableProxy(host, port);
    }

    public void Freeze() => _running.Reset();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            // The upstream socket is made inside the namespace; it stays there, usable from any thread.
            var upstream = LibvirtTestKit.InNamespace(_host, () =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(IPAddress.Loopback, _targetPort);
                return s;
            });
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(upstream);
            }

            _ = Task.Run(() => Pump(client, upstream));
            _ = Task.Run(() => Pump(upstream, client));
        }
    }

    private void Pump(Socket from, Socket to)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                var n = from.Receive(buffer);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                // Frozen: hold the bytes, read nothing more, until disposed.
                _running.Wait(_stop.Token);
                to.Send(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
        }
    }
}
