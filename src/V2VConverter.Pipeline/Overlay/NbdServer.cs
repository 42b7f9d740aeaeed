using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline.Overlay;

/// <summary>
/// Serves one writable <see cref="CowDisk"/> as the default export ("") of an NBD server on a unix socket, so that
/// libguestfs (through qemu's NBD client) can run the guest fixups on a copy-on-write view of a source disk.
/// The protocol (NetworkBlockDevice/nbd doc/proto.md): fixed newstyle handshake with the options
/// <c>EXPORT_NAME</c>, <c>INFO</c>, <c>GO</c>, <c>LIST</c> and <c>ABORT</c> (any other option is answered
/// <c>NBD_REP_ERR_UNSUP</c>); simple replies only; the commands <c>READ</c>, <c>WRITE</c>, <c>FLUSH</c>,
/// <c>TRIM</c>, <c>WRITE_ZEROES</c> and <c>DISC</c>. A request is bounded (<see cref="MaxPayload"/>) and checked
/// against the export size; a bad one gets an error reply (EINVAL, ENOSPC), a client that breaks the framing is
/// dropped. The socket lives in a private (0700) folder of its own that <see cref="Dispose"/> removes.
/// Each connection is served by a task of its own; requests of one connection are handled in order.
/// </summary>
public sealed class NbdServer : IDisposable
{
    /// <summary>The largest READ or WRITE payload accepted (also announced as the maximum block size).</summary>
    public const int MaxPayload = 32 * 1024 * 1024;

    /// <summary>sun_path is 108 bytes with its terminating NUL.</summary>
    private const int MaxSocketPath = 107;

    private readonly CowDisk _disk;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly string _directory;
    private readonly CancellationTokenSource _stop;
    private readonly ConcurrentDictionary<int, Socket> _clients = new();
    private readonly ConcurrentDictionary<int, Task> _tasks = new();
    private readonly Task _acceptLoop;
    private int _nextId;
    private int _disposed;

    private NbdServer(CowDisk disk, ILogger log, Socket listener, string directory, string socketPath, CancellationToken ct)
    {
        _disk = disk;
        _log = log;
        _listener = listener;
        _directory = directory;
        SocketPath = socketPath;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>The unix socket's path.</summary>
    public string SocketPath { get; }

    /// <summary>The NBD URI of the default export, as qemu-img and qemu-io take it.</summary>
    public string Uri => $"nbd+unix:///?socket={SocketPath}";

    /// <summary>
    /// Starts serving <paramref name="disk"/> (which stays the caller's) on a new unix socket in a new private folder
    /// under the temporary folder. <paramref name="ct"/> stops the server as <see cref="Dispose"/> does, but leaves
    /// the cleanup to <see cref="Dispose"/>.
    /// </summary>
    public static NbdServer Start(CowDisk disk, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(log);
        var dir = Directory.CreateTempSubdirectory("v2v-nbd-").FullName;
        Socket? listener = null;
        try
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var path = Path.Combine(dir, "nbd.sock");
            if (Encoding.UTF8.GetByteCount(path) > MaxSocketPath)
            {
                throw new NotSupportedException($"{path}: the NBD socket path is longer than {MaxSocketPath} bytes; set TMPDIR to a shorter folder");
            }

            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(8);
            log.Info($"nbd: serving a copy-on-write view of the {disk.Format} disk ({disk.Length} bytes) at {path}");
            return new NbdServer(disk, log, listener, dir, path, ct);
        }
        catch
        {
            listener?.Dispose();
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>Stops listening, closes every connection, waits for their tasks and removes the socket and its folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        foreach (var c in _clients.Values)
        {
            c.Dispose();
        }

        try
        {
            Task.WaitAll([_acceptLoop, .. _tasks.Values], TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // Each task logs its own end; a cancelled accept is expected here.
        }

        _stop.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException ex)
        {
            _log.Warn($"nbd: cannot remove {_directory}: {ex.Message}");
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var id = Interlocked.Increment(ref _nextId);
            _clients[id] = client;
            if (ct.IsCancellationRequested)
            {
                client.Dispose();
                _clients.TryRemove(id, out _);
                return;
            }

            // Registered before it starts, so that its own removal (when it ends) cannot come first.
            var serve = new Task<Task>(() => ServeAsync(id, client, ct));
            _tasks[id] = serve.Unwrap();
            serve.Start(TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(int id, Socket client, CancellationToken ct)
    {
        var conn = new NbdConnection(_disk, client, _log, id);
        try
        {
            _log.Detail($"nbd: connection {id} opened");
            await conn.RunAsync(ct).ConfigureAwait(false);
            _log.Detail($"nbd: connection {id} closed by the client after {conn.Requests} requests");
        }
        catch (OperationCanceledException)
        {
            _log.Detail($"nbd: connection {id} closed by the server after {conn.Requests} requests");
        }
        catch (InvalidDataException ex)
        {
            _log.Detail($"nbd: connection {id} dropped: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _log.Detail($"nbd: connection {id} ended: {ex.Message}");
        }
        finally
        {
            client.Dispose();
            _clients.TryRemove(id, out _);
            _tasks.TryRemove(id, out _);
        }
    }
}
