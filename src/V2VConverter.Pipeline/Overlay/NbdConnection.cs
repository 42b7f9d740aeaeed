using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Pipeline.Overlay;

/// <summary>One client: the handshake, then its requests in order until DISC, EOF or a framing error.</summary>
internal sealed class NbdConnection(CowDisk disk, Socket socket, ILogger log, int id)
{
    private readonly byte[] _header = new byte[NbdWire.RequestLength];

    public int Requests { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        if (await HandshakeAsync(ct).ConfigureAwait(false))
        {
            await TransmitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>True to go on to transmission; false when the client aborted.</summary>
    private async Task<bool> HandshakeAsync(CancellationToken ct)
    {
        var hello = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(hello, NbdWire.InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(hello.AsSpan(8), NbdWire.OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(16), NbdWire.FlagFixedNewstyle | NbdWire.FlagNoZeroes);
        await SendAsync(hello, ct).ConfigureAwait(false);

        var flagBytes = new byte[4];
        await ReceiveAsync(flagBytes, ct).ConfigureAwait(false);
        var clientFlags = BinaryPrimitives.ReadUInt32BigEndian(flagBytes);
        if ((clientFlags & ~NbdWire.ClientFlagsKnown) != 0)
        {
            throw new InvalidDataException($"unknown client flags 0x{clientFlags:x}");
        }

        var noZeroes = (clientFlags & NbdWire.FlagNoZeroes) != 0;
        var head = new byte[NbdWire.OptionHeaderLength];
        while (true)
        {
            await ReceiveAsync(head, ct).ConfigureAwait(false);
            var magic = BinaryPrimitives.ReadUInt64BigEndian(head);
            var option = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8));
            var length = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(12));
            if (magic != NbdWire.OptionMagic)
            {
                throw new InvalidDataException($"bad option magic 0x{magic:x16}");
            }

            if (length > NbdWire.MaxOptionLength)
            {
                throw new InvalidDataException($"option {option} has {length} bytes of data (at most {NbdWire.MaxOptionLength})");
            }

            var data = new byte[length];
            await ReceiveAsync(data, ct).ConfigureAwait(false);
            log.Detail($"nbd: connection {id}: option {option} ({length} bytes)");
            switch (option)
            {
                case NbdWire.OptExportName:
                    if (data.Length != 0)
                    {
                        // EXPORT_NAME cannot be refused with an error reply: the session ends.
                        throw new InvalidDataException($"unknown export '{Encoding.UTF8.GetString(data)}'");
                    }

                    var reply = new byte[noZeroes ? 10 : 134];
                    BinaryPrimitives.WriteUInt64BigEndian(reply, (ulong)disk.Length);
                    BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), NbdWire.TransmissionFlags);
                    await SendAsync(reply, ct).ConfigureAwait(false);
                    return true;

                case NbdWire.OptAbort:
                    await OptionReplyAsync(option, NbdWire.RepAck, [], ct).ConfigureAwait(false);
                    return false;

                case NbdWire.OptList:
                    if (data.Length != 0)
                    {
                        await OptionReplyAsync(option, NbdWire.RepErrInvalid, [], ct).ConfigureAwait(false);
                        break;
                    }

                    // One export, the default one: its name is empty.
                    await OptionReplyAsync(option, NbdWire.RepServer, new byte[4], ct).ConfigureAwait(false);
                    await OptionReplyAsync(option, NbdWire.RepAck, [], ct).ConfigureAwait(false);
                    break;

                case NbdWire.OptInfo or NbdWire.OptGo:
                    var status = ParseInfoRequest(data);
                    if (status != NbdWire.RepAck)
                    {
                        await OptionReplyAsync(option, status, [], ct).ConfigureAwait(false);
                        break;
                    }

                    var export = new byte[12];
                    BinaryPrimitives.WriteUInt16BigEndian(export, NbdWire.InfoExport);
                    BinaryPrimitives.WriteUInt64BigEndian(export.AsSpan(2), (ulong)disk.Length);
                    BinaryPrimitives.WriteUInt16BigEndian(export.AsSpan(10), NbdWire.TransmissionFlags);
                    await OptionReplyAsync(option, NbdWire.RepInfo, export, ct).ConfigureAwait(false);

                    var sizes = new byte[14];
                    BinaryPrimitives.WriteUInt16BigEndian(sizes, NbdWire.InfoBlockSize);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(2), 1);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(6), 4096);
                    BinaryPrimitives.WriteUInt32BigEndian(sizes.AsSpan(10), NbdServer.MaxPayload);
                    await OptionReplyAsync(option, NbdWire.RepInfo, sizes, ct).ConfigureAwait(false);
                    await OptionReplyAsync(option, NbdWire.RepAck, [], ct).ConfigureAwait(false);
                    if (option == NbdWire.OptGo)
                    {
                        return true;
                    }

                    break;

                default:
                    await OptionReplyAsync(option, NbdWire.RepErrUnsup, [], ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>INFO/GO data: name length (4), name, request count (2), requests (2 each). Only the default export exists.</summary>
    private static uint ParseInfoRequest(ReadOnlySpan<byte> data)
    {
        if (data.Length < 6)
        {
            return NbdWire.RepErrInvalid;
        }

        var nameLength = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (nameLength > (uint)(data.Length - 6))
        {
            return NbdWire.RepErrInvalid;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(data[(4 + (int)nameLength)..]);
        if (data.Length != 4 + (int)nameLength + 2 + (2 * count))
        {
            return NbdWire.RepErrInvalid;
        }

        return nameLength == 0 ? NbdWire.RepAck : NbdWire.RepErrUnknown;
    }

    private async Task TransmitAsync(CancellationToken ct)
    {
        while (true)
        {
            await ReceiveAsync(_header, ct).ConfigureAwait(false);
            var magic = BinaryPrimitives.ReadUInt32BigEndian(_header);
            if (magic != NbdWire.RequestMagic)
            {
                throw new InvalidDataException($"bad request magic 0x{magic:x8}");
            }

            var flags = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(4));
            var type = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(6));
            var handle = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(8));
            var offset = BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(16));
            var length = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(24));
            Requests++;
            if (type == NbdWire.CmdDisc)
            {
                return;
            }

            byte[]? payload = null;
            try
            {
                uint error;
                if (type == NbdWire.CmdWrite)
                {
                    if (length > NbdServer.MaxPayload)
                    {
                        // Read the payload away so the stream stays in step, then refuse.
                        await DiscardAsync(length, ct).ConfigureAwait(false);
                        error = NbdWire.EINVAL;
                    }
                    else
                    {
                        payload = ArrayPool<byte>.Shared.Rent((int)length);
                        await ReceiveAsync(payload.AsMemory(0, (int)length), ct).ConfigureAwait(false);
                        error = Execute(type, flags, offset, length, payload);
                    }
                }
                else if (type == NbdWire.CmdRead)
                {
                    error = length > NbdServer.MaxPayload ? NbdWire.EINVAL : CheckRange(offset, length, NbdWire.EINVAL);
                    if (error == 0 && flags != 0)
                    {
                        error = NbdWire.EINVAL;
                    }

                    if (error == 0)
                    {
                        payload = ArrayPool<byte>.Shared.Rent(NbdWire.SimpleReplyLength + (int)length);
                        error = Guard(() => disk.Read((long)offset, payload.AsSpan(NbdWire.SimpleReplyLength, (int)length)));
                    }

                    if (error == 0)
                    {
                        WriteReplyHeader(payload, 0, handle);
                        await SendAsync(payload.AsMemory(0, NbdWire.SimpleReplyLength + (int)length), ct).ConfigureAwait(false);
                        continue;
                    }
                }
                else
                {
                    error = Execute(type, flags, offset, length, null);
                }

                if (error != 0)
                {
                    log.Detail($"nbd: connection {id}: command {type} at {offset}+{length} refused with errno {error}");
                }

                var reply = new byte[NbdWire.SimpleReplyLength];
                WriteReplyHeader(reply, error, handle);
                await SendAsync(reply, ct).ConfigureAwait(false);
            }
            finally
            {
                if (payload is not null)
                {
                    ArrayPool<byte>.Shared.Return(payload);
                }
            }
        }
    }

    /// <summary>WRITE (with its payload), FLUSH, TRIM, WRITE_ZEROES and unknown commands: an errno, 0 for success.</summary>
    private uint Execute(ushort type, ushort flags, ulong offset, uint length, byte[]? payload)
    {
        // FUA applies to the commands that write (it costs nothing here: writes are not buffered); NO_HOLE to
        // WRITE_ZEROES (the zeros still read back as zeros; the overlay keeps no storage for them); nothing to FLUSH.
        var allowed = type switch
        {
            NbdWire.CmdWriteZeroes => NbdWire.CmdFlagFua | NbdWire.CmdFlagNoHole,
            NbdWire.CmdWrite or NbdWire.CmdTrim => NbdWire.CmdFlagFua,
            _ => 0,
        };
        if ((flags & ~allowed) != 0)
        {
            return NbdWire.EINVAL;
        }

        switch (type)
        {
            case NbdWire.CmdWrite:
                return CheckRange(offset, length, NbdWire.ENOSPC) is var w and not 0
                    ? w
                    : Guard(() => disk.Write((long)offset, payload.AsSpan(0, (int)length)));
            case NbdWire.CmdFlush:
                return Guard(disk.Flush);
            case NbdWire.CmdTrim:
                return CheckRange(offset, length, NbdWire.EINVAL) is var t and not 0
                    ? t
                    : Guard(() => disk.Trim((long)offset, length));
            case NbdWire.CmdWriteZeroes:
                return CheckRange(offset, length, NbdWire.ENOSPC) is var z and not 0
                    ? z
                    : Guard(() => disk.WriteZeroes((long)offset, length));
            default:
                return NbdWire.EINVAL;
        }
    }

    /// <summary>A zero length, or a range past the export's end, is refused with <paramref name="pastEnd"/> (EINVAL for a zero length).</summary>
    private uint CheckRange(ulong offset, uint length, uint pastEnd)
    {
        if (length == 0)
        {
            return NbdWire.EINVAL;
        }

        var size = (ulong)disk.Length;
        return offset > size || length > size - offset ? pastEnd : 0;
    }

    /// <summary>Runs a disk operation; a failure becomes an errno for the client (and a line in the log), never a crash.</summary>
    private uint Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (ArgumentException ex)
        {
            log.Detail($"nbd: connection {id}: {ex.Message}");
            return NbdWire.EINVAL;
        }
        catch (IOException ex) when (ex.HResult == NativeFile.ENOSPC)
        {
            log.Detail($"nbd: connection {id}: {ex.Message}");
            return NbdWire.ENOSPC;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            log.Detail($"nbd: connection {id}: {ex.Message}");
            return NbdWire.EIO;
        }
    }

    private static void WriteReplyHeader(Span<byte> buffer, uint error, ulong handle)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer, NbdWire.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[8..], handle);
    }

    private async Task OptionReplyAsync(uint option, uint type, byte[] data, CancellationToken ct)
    {
        var buffer = new byte[NbdWire.OptionReplyHeaderLength + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(buffer, NbdWire.ReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(16), (uint)data.Length);
        data.CopyTo(buffer, NbdWire.OptionReplyHeaderLength);
        await SendAsync(buffer, ct).ConfigureAwait(false);
    }

    private async Task DiscardAsync(uint length, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var left = (long)length;
            while (left > 0)
            {
                var n = (int)Math.Min(left, buffer.Length);
                await ReceiveAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ReceiveAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[done..], SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException(done == 0 && buffer.Length == NbdWire.RequestLength ? "the client closed the connection" : $"the client closed the connection inside a message ({done} of {buffer.Length} bytes)");
            }

            done += n;
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            var n = await socket.SendAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }
}
