using System.Globalization;
using System.Net.Sockets;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// A vSphere server did not answer in time: connecting, the TLS handshake, a SOAP call or a download.
/// The message names the host (and the call). It is not the OperationCanceledException of a Ctrl+C:
/// the CLI reports it as a failure (exit 1), not as "interrupted".
/// </summary>
public sealed class VSphereTimeoutException(string message, Exception? inner = null) : TimeoutException(message, inner)
{
    /// <summary>"30 s", "1.5 s": how the timeouts read in messages.</summary>
    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    /// <summary>The first <see cref="VSphereTimeoutException"/> in <paramref name="ex"/>'s chain (HttpClient wraps what a connect callback throws), or null.</summary>
    public static VSphereTimeoutException? Find(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is VSphereTimeoutException t)
            {
                return t;
            }
        }

        return null;
    }
}

/// <summary>
/// The HTTP stack of a vSphere connection: one <see cref="SocketsHttpHandler"/> whose TCP connect and TLS
/// handshake each have their own timeout (the handler has one setting for both). The connect callback
/// bounds the TCP connect; the stream it returns bounds the wait for the server's first bytes (its TLS
/// ServerHello). Each SOAP call is bounded by <see cref="VimClient.CallTimeout"/>, a download by
/// <see cref="DownloadOptions.IdleTimeout"/>.
/// </summary>
public static class VSphereHttp
{
    /// <summary>A handler for <paramref name="authority"/> (host:port, named in timeout messages).</summary>
    public static SocketsHttpHandler CreateHandler(string authority, TimeSpan connectTimeout, TimeSpan tlsTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(connectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tlsTimeout, TimeSpan.Zero);
        return new SocketsHttpHandler
        {
            // A backstop over both phases; each phase fails first with its own message.
            ConnectTimeout = connectTimeout + tlsTimeout + TimeSpan.FromSeconds(1),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    deadline.CancelAfter(connectTimeout);
                    try
                    {
                        await socket.ConnectAsync(context.DnsEndPoint, deadline.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                    {
                        throw new VSphereTimeoutException($"vSphere {authority}: could not connect within {VSphereTimeoutException.Seconds(connectTimeout)} (no answer to the TCP connect; see --timeout)", ex);
                    }

                    return new FirstBytesTimeoutStream(new NetworkStream(socket, ownsSocket: true), tlsTimeout, authority);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary>
    /// Until the server has sent its first bytes (the TLS ServerHello), a read that waits past the
    /// deadline fails with a timeout naming the host; afterwards reads pass straight through.
    /// </summary>
    private sealed class FirstBytesTimeoutStream(Stream inner, TimeSpan limit, string authority) : Stream
    {
        private readonly long _deadline = Environment.TickCount64 + (long)limit.TotalMilliseconds;
        private volatile bool _answered;

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_answered)
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, _deadline - Environment.TickCount64)));
            try
            {
                var n = await inner.ReadAsync(buffer, wait.Token).ConfigureAwait(false);
                _answered |= n > 0;
                return n;
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new VSphereTimeoutException($"vSphere {authority}: no TLS handshake within {VSphereTimeoutException.Seconds(limit)} (the server accepted the connection but sent nothing; see --timeout)", ex);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!_answered)
            {
                // The handler reads asynchronously; a synchronous first read is bounded the same way.
                return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
            }

            return inner.Read(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
