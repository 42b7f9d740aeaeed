using static V2VConverter.Pipeline.Outputs.Libvirt.Api.LibvirtErrors;

namespace V2VConverter.Pipeline.Outputs.Libvirt.Api;

/// <summary>
/// One running upload into a volume: a blocking libvirt stream. Data is sent from the caller's buffers (pinned, never
/// copied whole); <see cref="Finish"/> commits, <see cref="Abort"/> (or <see cref="Dispose"/> before Finish) abandons it
/// (the bytes already written stay in the volume: delete the volume to undo). Used by one thread at a time.
/// Errors (the pool is full, the connection dropped) surface in <see cref="Send"/> or <see cref="Finish"/>.
/// </summary>
public sealed class VolumeUpload : IDisposable
{
    /// <summary>Zeros sent per call when a hole must be written as data (non-sparse upload).</summary>
    private const int ZeroChunk = 1 << 20;

    /// <summary>
    /// Bytes handed to one virStreamSend. libvirt's remote driver frames a stream in messages of about 256 KiB and
    /// handles a larger buffer a message at a time at a cost per call that grows with the buffer: 800 MiB sent as
    /// 1 MiB buffers took 1.55 s here, as 256 KiB buffers 0.85 s (64 KiB: 1.88 s), and whole 8 MiB runs ~4 s.
    /// </summary>
    internal const int MaxSendBytes = 256 * 1024;

    private static readonly byte[] Zeros = new byte[ZeroChunk];

    private readonly StreamHandle _stream;
    private readonly string _described;
    private bool _done;

    internal VolumeUpload(StreamHandle stream, string described, bool sparse)
    {
        _stream = stream;
        _described = described;
        IsSparse = sparse;
    }

    /// <summary>Holes travel as hole records (the upload was started sparse).</summary>
    public bool IsSparse { get; }

    /// <summary>Bytes sent so far (data and holes).</summary>
    public long Position { get; private set; }

    /// <summary>Sends all of <paramref name="data"/> (<c>virStreamSend</c>, repeated until everything is sent).</summary>
    public unsafe void Send(ReadOnlySpan<byte> data)
    {
        ThrowIfDone();
        fixed (byte* p = data)
        {
            var sent = 0;
            while (sent < data.Length)
            {
                var rc = LibvirtNative.StreamSend(_stream, p + sent, (nuint)Math.Min(data.Length - sent, MaxSendBytes));
                if (rc == -2)
                {
                    // EAGAIN: only a non-blocking stream says this; ours blocks, but do not spin if it ever does.
                    Thread.Sleep(1);
                    continue;
                }

                if (rc <= 0)
                {
                    throw rc < 0 ? Last($"sending data at byte {Position + sent} of the upload into {_described}")
                        : new LibvirtException($"libvirt: sending data at byte {Position + sent} of the upload into {_described}: the stream accepted nothing");
                }

                sent += rc;
            }
        }

        Position += data.Length;
    }

    /// <summary>
    /// Skips <paramref name="length"/> bytes of zeros: a hole record on a sparse upload (<c>virStreamSendHole</c>),
    /// zeros in bounded chunks otherwise.
    /// </summary>
    public void SendHole(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ThrowIfDone();
        if (length == 0)
        {
            return;
        }

        if (IsSparse)
        {
            Check(LibvirtNative.StreamSendHole(_stream, length, 0), $"sending a hole of {length} bytes at byte {Position} of the upload into {_described}");
            Position += length;
            return;
        }

        while (length > 0)
        {
            var n = (int)Math.Min(length, ZeroChunk);
            Send(Zeros.AsSpan(0, n));
            length -= n;
        }
    }

    /// <summary>Ends the upload successfully (<c>virStreamFinish</c>): the daemon has written everything when it returns.</summary>
    public void Finish()
    {
        ThrowIfDone();
        _done = true;
        Check(LibvirtNative.StreamFinish(_stream), $"finishing the upload into {_described} after {Position} bytes");
    }

    /// <summary>Abandons the upload (<c>virStreamAbort</c>). Safe to call after a failure; a no-op once finished or aborted.</summary>
    public void Abort()
    {
        if (_done || _stream.IsClosed)
        {
            return;
        }

        _done = true;
        if (LibvirtNative.StreamAbort(_stream) < 0)
        {
            // The stream may already be broken (that is usually why we abort): nothing more to do than drop the error.
            LibvirtNative.ResetLastError();
        }
    }

    /// <summary>Aborts when neither <see cref="Finish"/> nor <see cref="Abort"/> ran, then frees the stream.</summary>
    public void Dispose()
    {
        Abort();
        _stream.Dispose();
    }

    private void ThrowIfDone()
    {
        ObjectDisposedException.ThrowIf(_stream.IsClosed, this);
        if (_done)
        {
            throw new InvalidOperationException($"the upload into {_described} is already finished or aborted");
        }
    }
}
