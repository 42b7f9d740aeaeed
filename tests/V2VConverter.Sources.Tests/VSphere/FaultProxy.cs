using System.Net;
using System.Net.Sockets;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server that cuts (resets) a connection once it has
/// carried more than <c>cutAfterBytes</c> from the server, for the first <c>cuts</c> connections
/// that get that far. TLS passes through untouched, so certificate checks still see the server.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly long _cutAfterBytes;
    private readonly CancellationTokenSource _stop = new();
    private int _cutsLeft;
    private int _cutsDone;

    public FaultProxy(int targetPort, long cutAfterBytes, int cuts)
    {
        _targetPort = targetPort;
        _cutAfterBytes = cutAfterBytes;
        _cutsLeft = cuts;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int CutsDone => Volatile.Read(ref _cutsDone);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = Relay(client);
        }
    }

    private async Task Relay(TcpClient client)
    {
        using var c = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            var up = Pump(client.GetStream(), server.GetStream(), null);
            var down = Pump(server.GetStream(), client.GetStream(), () => Cut(client, server));
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
            // A cut or a closed peer ends the relay.
        }
    }

    private void Cut(TcpClient client, TcpClient server)
    {
        client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
        server.Client.Close();
    }

    private async Task Pump(NetworkStream from, NetworkStream to, Action? cut)
    {
        var buffer = new byte[16 * 1024];
        long total = 0;
        var cutting = cut is not null;
        while (true)
        {
            var n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0)
            {
                return;
            }

            total += n;
            if (cutting && total > _cutAfterBytes && Interlocked.Decrement(ref _cutsLeft) >= 0)
            {
                // Send part of this chunk, then reset: the client sees a body that stops mid-way.
                await to.WriteAsync(buffer.AsMemory(0, n / 2), _stop.Token);
                Interlocked.Increment(ref _cutsDone);
                cut!();
                return;
            }

            if (cutting && total > _cutAfterBytes)
            {
                cutting = false; // no cuts left for anyone
            }

            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
