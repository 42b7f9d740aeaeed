using System.Buffers.Binary;
using System.Net.Sockets;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Raw;
using V2VConverter.Pipeline.Overlay;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Overlay;

/// <summary>
/// The NBD server that lets libguestfs write into a copy-on-write view of a source disk, checked with qemu's own
/// NBD client (qemu-img, qemu-io) and with a hand-written client that sends what qemu never would.
/// </summary>
public sealed class NbdServerTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private const long DiskSize = 8 * MiB;

    private readonly string _dir = RepoPaths.NewTempDir("v2v-nbd-test");
    private readonly string _basePath;
    private readonly byte[] _baseBytes = new byte[DiskSize];

    public NbdServerTests()
    {
        _basePath = Path.Combine(_dir, "base.raw");
        var rng = new Random(5);
        rng.NextBytes(_baseBytes.AsSpan(0, 2 * MiB));
        rng.NextBytes(_baseBytes.AsSpan(4 * MiB, 1 * MiB));
        using var f = File.OpenHandle(_basePath, FileMode.CreateNew, FileAccess.Write);
        RandomAccess.SetLength(f, DiskSize);
        RandomAccess.Write(f, _baseBytes.AsSpan(0, 2 * MiB), 0);
        RandomAccess.Write(f, _baseBytes.AsSpan(4 * MiB, MiB), 4 * MiB);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Qemu_img_sees_the_export_identical_to_the_base()
    {
        Tool.Require("qemu-img");
        using var cow = OpenCow();
        var log = new TestLog();
        using var server = NbdServer.Start(cow, log.Logger, TestContext.Current.CancellationToken);

        var info = Tool.Run("qemu-img", ["info", "--output=json", "-f", "raw", server.Uri]);
        Assert.True(info.ExitCode == 0, info.All);
        Assert.Contains($"\"virtual-size\": {DiskSize}", info.StdOut, StringComparison.Ordinal);

        var cmp = Tool.Run("qemu-img", ["compare", "-f", "raw", "-F", "raw", server.Uri, _basePath]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
        Assert.Contains("Images are identical", cmp.StdOut, StringComparison.Ordinal);
        Assert.Contains(log.Events, e => e.Message.Contains("connection 1 opened", StringComparison.Ordinal));
    }

    [Fact]
    public void Qemu_io_writes_zeroes_and_discards_land_in_the_overlay_and_the_base_file_is_unchanged()
    {
        Tool.Require("qemu-io");
        var baseHash = FileHash.Sha256(_basePath);
        using var cow = OpenCow();
        using (var server = NbdServer.Start(cow, new TestLog().Logger, TestContext.Current.CancellationToken))
        {
            var io = Tool.Run("qemu-io", ["-f", "raw", server.Uri, "-c", "write -P 0x5a 1M 64k", "-c", "write -z 4M 128k", "-c", "discard 6M 64k", "-c", "write -P 0x11 7340033 3", "-c", "flush"]);
            Assert.True(io.ExitCode == 0, io.All);
            Assert.DoesNotContain("failed", io.All, StringComparison.OrdinalIgnoreCase);

            // Read back through NBD: qemu-io -P checks every byte.
            var back = Tool.Run("qemu-io", ["-f", "raw", server.Uri, "-c", "read -P 0x5a 1M 64k", "-c", "read -P 0 4M 128k", "-c", "read -P 0x11 7340033 3"]);
            Assert.True(back.ExitCode == 0, back.All);
            Assert.DoesNotContain("Pattern verification failed", back.All, StringComparison.Ordinal);
        }

        var expected = (byte[])_baseBytes.Clone();
        Array.Fill(expected, (byte)0x5a, MiB, 64 * 1024);
        Array.Clear(expected, 4 * MiB, 128 * 1024);
        Array.Fill(expected, (byte)0x11, 7340033, 3);
        var got = new byte[DiskSize];
        cow.Read(0, got);
        Assert.Equal(expected, got);

        var extents = cow.GetExtents(0, DiskSize).ToList();
        Assert.Contains(new DiskExtent(4 * MiB, 128 * 1024, ExtentKind.Zero), extents);
        Assert.Contains(extents, e => e.Kind == ExtentKind.Data && e.Offset <= 7340033 && e.End >= 7340036);
        Assert.Equal(baseHash, FileHash.Sha256(_basePath));
    }

    [Fact]
    public async Task Bad_requests_get_error_replies_and_the_connection_goes_on()
    {
        using var cow = OpenCow();
        using var server = NbdServer.Start(cow, new TestLog().Logger, TestContext.Current.CancellationToken);
        using var c = await RawClient.ConnectAsync(server.SocketPath);

        // Option haggling: unknown option, bad LIST, unknown export name, LIST, INFO.
        Assert.Equal(0x80000001u, (await c.OptionAsync(8, [])).Type);             // STRUCTURED_REPLY: unsupported
        Assert.Equal(0x80000001u, (await c.OptionAsync(5, [])).Type);             // STARTTLS: unsupported
        Assert.Equal(0x80000003u, (await c.OptionAsync(3, [1, 2])).Type);         // LIST with data: invalid
        Assert.Equal(0x80000006u, (await c.OptionAsync(7, GoData("other"))).Type); // GO to an unknown export
        Assert.Equal(0x80000003u, (await c.OptionAsync(7, [0, 0, 0, 9, 0])).Type); // GO whose name runs past its data
        var list = await c.OptionAsync(3, []);
        Assert.Equal(2u, list.Type);
        Assert.Equal(new byte[4], list.Data);
        Assert.Equal(1u, (await c.ReadOptionReplyAsync()).Type);
        var info = await c.OptionAsync(6, GoData(""));
        Assert.Equal(3u, info.Type);
        Assert.Equal((ulong)DiskSize, BinaryPrimitives.ReadUInt64BigEndian(info.Data.AsSpan(2)));
        Assert.Equal(0x1 | 0x4 | 0x20 | 0x40, BinaryPrimitives.ReadUInt16BigEndian(info.Data.AsSpan(10)));
        while ((await c.ReadOptionReplyAsync()).Type != 1)
        {
        }

        await c.GoAsync();

        Assert.Equal(22u, await c.RequestAsync(0, 0, DiskSize - 10, 20));                 // READ past the end: EINVAL
        Assert.Equal(22u, await c.RequestAsync(0, 0, ulong.MaxValue - 4, 10));            // offset + length overflows
        Assert.Equal(22u, await c.RequestAsync(0, 0, 0, NbdServer.MaxPayload + 1));       // READ too large
        Assert.Equal(22u, await c.RequestAsync(0, 0, 0, 0));                              // zero length
        Assert.Equal(28u, await c.RequestAsync(1, 0, DiskSize - 1, 2, new byte[2]));      // WRITE past the end: ENOSPC
        Assert.Equal(28u, await c.RequestAsync(6, 0, DiskSize, 4096));                    // WRITE_ZEROES past the end
        Assert.Equal(22u, await c.RequestAsync(4, 0, DiskSize, 1));                       // TRIM past the end: EINVAL
        Assert.Equal(22u, await c.RequestAsync(7, 0, 0, 4096));                           // BLOCK_STATUS: not offered
        Assert.Equal(22u, await c.RequestAsync(99, 0, 0, 4096));                          // unknown command
        Assert.Equal(22u, await c.RequestAsync(0, 0x10, 0, 4096));                        // unknown command flag
        Assert.Equal(22u, await c.RequestAsync(0, 1, 0, 4096));                           // FUA does not apply to READ
        Assert.Equal(22u, await c.RequestAsync(1, 2, 0, 1, [1]));                         // NO_HOLE applies only to WRITE_ZEROES
        Assert.Equal(22u, await c.RequestAsync(1, 0, 0, NbdServer.MaxPayload + 1, new byte[NbdServer.MaxPayload + 1])); // WRITE too large, payload skipped
        Assert.Equal(0, cow.ChangedBlocks);

        // The connection still works.
        Assert.Equal(0u, await c.RequestAsync(1, 1, 100, 3, [7, 8, 9]));
        Assert.Equal(0u, await c.RequestAsync(3, 0, 0, 0));
        var (error, data) = await c.ReadAsync(98, 6);
        Assert.Equal(0u, error);
        Assert.Equal([_baseBytes[98], _baseBytes[99], 7, 8, 9, _baseBytes[103]], data);
        await c.DisconnectAsync();
        Assert.True(await c.IsClosedAsync());
    }

    [Fact]
    public async Task A_client_that_sends_garbage_is_dropped_and_others_are_still_served()
    {
        using var cow = OpenCow();
        var log = new TestLog();
        using var server = NbdServer.Start(cow, log.Logger, TestContext.Current.CancellationToken);

        using (var bad = await RawClient.ConnectAsync(server.SocketPath))
        {
            await bad.SendAsync(new byte[16]); // not IHAVEOPT
            Assert.True(await bad.IsClosedAsync());
        }

        using (var unknownFlags = await RawClient.ConnectAsync(server.SocketPath, clientFlags: 0x80))
        {
            Assert.True(await unknownFlags.IsClosedAsync());
        }

        using (var huge = await RawClient.ConnectAsync(server.SocketPath))
        {
            var head = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(head, 0x49484156454F5054);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), 7);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(12), uint.MaxValue); // 4 GiB of option data
            await huge.SendAsync(head);
            Assert.True(await huge.IsClosedAsync());
        }

        using (var badRequest = await RawClient.ConnectAsync(server.SocketPath))
        {
            await badRequest.GoAsync(exportName: true);
            await badRequest.SendAsync(new byte[28]); // request magic 0
            Assert.True(await badRequest.IsClosedAsync());
        }

        // Two clients at once, each on its own connection.
        using var a = await RawClient.ConnectAsync(server.SocketPath);
        using var b = await RawClient.ConnectAsync(server.SocketPath, clientFlags: 1); // no NO_ZEROES: 124 zero bytes follow EXPORT_NAME
        await a.GoAsync();
        await b.GoAsync(exportName: true, noZeroes: false);
        Assert.Equal(0u, await a.RequestAsync(1, 0, 5 * MiB, 4, [1, 2, 3, 4]));
        var (error, data) = await b.ReadAsync(5 * MiB, 4);
        Assert.Equal(0u, error);
        Assert.Equal([1, 2, 3, 4], data);
        Assert.Contains(log.Events, e => e.Message.Contains("dropped: bad option magic", StringComparison.Ordinal));
        Assert.Contains(log.Events, e => e.Message.Contains("dropped: unknown client flags", StringComparison.Ordinal));
        Assert.Contains(log.Events, e => e.Message.Contains("dropped: bad request magic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Random_bytes_from_many_clients_never_stop_the_server()
    {
        using var cow = OpenCow();
        using var server = NbdServer.Start(cow, new TestLog().Logger, TestContext.Current.CancellationToken);
        var rng = new Random(9);
        for (var i = 0; i < 40; i++)
        {
            using var junkClient = await RawClient.ConnectAsync(server.SocketPath);
            if (i % 2 == 0)
            {
                await junkClient.GoAsync();
            }

            var junk = new byte[rng.Next(1, 300)];
            rng.NextBytes(junk);
            await junkClient.SendAsync(junk);
        }

        using var c = await RawClient.ConnectAsync(server.SocketPath);
        await c.GoAsync();
        var (error, data) = await c.ReadAsync(0, 16);
        Assert.Equal(0u, error);
        Assert.Equal(_baseBytes[..16], data);
        Assert.Equal(0, cow.ChangedBlocks);
    }

    [Fact]
    public async Task Dispose_closes_clients_and_removes_the_private_socket_folder()
    {
        using var cow = OpenCow();
        var server = NbdServer.Start(cow, new TestLog().Logger, TestContext.Current.CancellationToken);
        var folder = Path.GetDirectoryName(server.SocketPath)!;
        Assert.True(Path.Exists(server.SocketPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        Assert.True(server.SocketPath.Length < 108);

        using var c = await RawClient.ConnectAsync(server.SocketPath);
        await c.GoAsync();
        server.Dispose();
        Assert.True(await c.IsClosedAsync());
        Assert.False(Directory.Exists(folder));
        server.Dispose();
        await Assert.ThrowsAnyAsync<SocketException>(() => RawClient.ConnectAsync(server.SocketPath));
    }

    [Fact]
    public async Task Cancellation_stops_accepting_and_serving()
    {
        using var cow = OpenCow();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var server = NbdServer.Start(cow, new TestLog().Logger, cts.Token);
        using var c = await RawClient.ConnectAsync(server.SocketPath);
        await c.GoAsync();
        await cts.CancelAsync();
        Assert.True(await c.IsClosedAsync());
    }

    private CowDisk OpenCow() => new(RawDisk.Open(_basePath), _dir, leaveOpen: false);

    private static byte[] GoData(string name)
    {
        var n = System.Text.Encoding.UTF8.GetBytes(name);
        var d = new byte[4 + n.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(d, (uint)n.Length);
        n.CopyTo(d, 4);
        return d;
    }

    /// <summary>A minimal NBD client that can send anything.</summary>
    private sealed class RawClient : IDisposable
    {
        private readonly Socket _socket;
        private ulong _handle;

        private RawClient(Socket socket) => _socket = socket;

        public static async Task<RawClient> ConnectAsync(string path, uint clientFlags = 3)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await s.ConnectAsync(new UnixDomainSocketEndPoint(path), TestContext.Current.CancellationToken);
                var c = new RawClient(s);
                var hello = await c.ReceiveAsync(18);
                Assert.Equal(0x4e42444d41474943UL, BinaryPrimitives.ReadUInt64BigEndian(hello));
                Assert.Equal(0x49484156454F5054UL, BinaryPrimitives.ReadUInt64BigEndian(hello.AsSpan(8)));
                Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(16)));
                var flags = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(flags, clientFlags);
                await c.SendAsync(flags);
                return c;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }

        public void Dispose() => _socket.Dispose();

        public async Task SendAsync(byte[] data) => await _socket.SendAsync(data, SocketFlags.None, TestContext.Current.CancellationToken);

        public async Task<byte[]> ReceiveAsync(int n)
        {
            var b = new byte[n];
            var done = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (done < n)
            {
                var r = await _socket.ReceiveAsync(b.AsMemory(done), SocketFlags.None, timeout.Token);
                if (r == 0)
                {
                    throw new EndOfStreamException($"closed after {done} of {n} bytes");
                }

                done += r;
            }

            return b;
        }

        /// <summary>True when the server closed the connection (EOF or reset) within 10 s.</summary>
        public async Task<bool> IsClosedAsync()
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                var b = new byte[256];
                while (true)
                {
                    if (await _socket.ReceiveAsync(b, SocketFlags.None, timeout.Token) == 0)
                    {
                        return true;
                    }
                }
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public async Task<(uint Type, byte[] Data)> OptionAsync(uint option, byte[] data)
        {
            var head = new byte[16 + data.Length];
            BinaryPrimitives.WriteUInt64BigEndian(head, 0x49484156454F5054);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), option);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(12), (uint)data.Length);
            data.CopyTo(head, 16);
            await SendAsync(head);
            var reply = await ReadOptionReplyAsync();
            Assert.Equal(option, reply.Option);
            return (reply.Type, reply.Data);
        }

        public async Task<(uint Option, uint Type, byte[] Data)> ReadOptionReplyAsync()
        {
            var h = await ReceiveAsync(20);
            Assert.Equal(0x3e889045565a9UL, BinaryPrimitives.ReadUInt64BigEndian(h));
            var length = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16));
            Assert.True(length < 4096, $"option reply of {length} bytes");
            var data = length == 0 ? [] : await ReceiveAsync((int)length);
            return (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12)), data);
        }

        /// <summary>Enters transmission with GO (info replies until ACK) or with EXPORT_NAME.</summary>
        public async Task GoAsync(bool exportName = false, bool noZeroes = true)
        {
            if (!exportName)
            {
                var first = await OptionAsync(7, GoData(""));
                Assert.Equal(3u, first.Type);
                while ((await ReadOptionReplyAsync()).Type != 1)
                {
                }

                return;
            }

            var head = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(head, 0x49484156454F5054);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), 1);
            await SendAsync(head);
            var reply = await ReceiveAsync(noZeroes ? 10 : 134);
            Assert.Equal((ulong)DiskSize, BinaryPrimitives.ReadUInt64BigEndian(reply));
            Assert.All(reply.Skip(10), b => Assert.Equal(0, b));
        }

        /// <summary>Sends one request and returns the error of its simple reply (a successful READ's data is read too).</summary>
        public async Task<uint> RequestAsync(ushort type, ushort flags, ulong offset, uint length, byte[]? payload = null)
        {
            var (error, _) = await RequestWithDataAsync(type, flags, offset, length, payload);
            return error;
        }

        public Task<(uint Error, byte[] Data)> ReadAsync(ulong offset, uint length) => RequestWithDataAsync(0, 0, offset, length, null);

        public async Task DisconnectAsync()
        {
            var r = new byte[28];
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x25609513);
            BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(6), 2);
            await SendAsync(r);
        }

        private async Task<(uint Error, byte[] Data)> RequestWithDataAsync(ushort type, ushort flags, ulong offset, uint length, byte[]? payload)
        {
            var handle = ++_handle;
            var r = new byte[28 + (payload?.Length ?? 0)];
            BinaryPrimitives.WriteUInt32BigEndian(r, 0x25609513);
            BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(4), flags);
            BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(6), type);
            BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(8), handle);
            BinaryPrimitives.WriteUInt64BigEndian(r.AsSpan(16), offset);
            BinaryPrimitives.WriteUInt32BigEndian(r.AsSpan(24), length);
            payload?.CopyTo(r, 28);
            await SendAsync(r);
            var reply = await ReceiveAsync(16);
            Assert.Equal(0x67446698u, BinaryPrimitives.ReadUInt32BigEndian(reply));
            Assert.Equal(handle, BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(8)));
            var error = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(4));
            var data = type == 0 && error == 0 ? await ReceiveAsync((int)length) : [];
            return (error, data);
        }
    }
}
