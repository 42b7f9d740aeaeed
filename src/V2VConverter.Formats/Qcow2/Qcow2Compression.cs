using System.IO.Compression;

namespace V2VConverter.Formats.Qcow2;

/// <summary>qcow2 "zlib" compression type: raw DEFLATE per cluster, no zlib header (QTHR).</summary>
internal static class Qcow2Compression
{
    /// <summary>zlib level 6 (Z_DEFAULT_COMPRESSION), what qemu uses.</summary>
    public const int DefaultLevel = 6;

    /// <summary>
    /// Deflates <paramref name="input"/> into <paramref name="output"/>; returns the compressed length, or -1 when the
    /// result would not be smaller than <paramref name="input"/> (the caller then stores the cluster plainly).
    /// <paramref name="output"/> must be at least <c>input.Length - 1</c> bytes.
    /// </summary>
    public static int Deflate(byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset, int level = DefaultLevel)
    {
        var sink = new BoundedSink(output, outputOffset, inputLength - 1);
        using (var deflate = new DeflateStream(sink, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
        {
            deflate.Write(input, inputOffset, inputLength);
        }

        return sink.Overflowed ? -1 : sink.Written;
    }

    /// <summary>Bytes of a cluster deflated as a probe by <see cref="LooksIncompressible"/>.</summary>
    private const int ProbeLength = 4096;

    /// <summary>Shannon entropy (bits per byte) above which a cluster's byte histogram looks random.</summary>
    private const double RandomEntropyBits = 7.95;

    /// <summary>
    /// Early abort for incompressible clusters (random, encrypted or already compressed data): true when the byte
    /// histogram of the whole cluster is nearly uniform AND a fast deflate of its first 4 KiB does not shrink it.
    /// Deflating such a cluster costs as much as a compressible one and qemu would store it plainly anyway, so the
    /// output is the same except for rare clusters that are random at the byte level but repeat themselves
    /// (e.g. one random 4 KiB block repeated 16 times), which are then stored plainly.
    /// </summary>
    public static bool LooksIncompressible(byte[] data, int offset, int length)
    {
        if (length < ProbeLength * 2)
        {
            return false;
        }

        Span<int> counts = stackalloc int[256];
        foreach (var b in data.AsSpan(offset, length))
        {
            counts[b]++;
        }

        double entropy = 0;
        foreach (var c in counts)
        {
            if (c != 0)
            {
                var p = (double)c / length;
                entropy -= p * Math.Log2(p);
            }
        }

        if (entropy < RandomEntropyBits)
        {
            return false;
        }

        var sink = new BoundedSink(new byte[ProbeLength], 0, ProbeLength - (ProbeLength / 64));
        using (var deflate = new DeflateStream(sink, new ZLibCompressionOptions { CompressionLevel = 1 }, leaveOpen: true))
        {
            deflate.Write(data, offset, ProbeLength);
        }

        return sink.Overflowed;
    }

    /// <summary>Inflates raw DEFLATE data until <paramref name="output"/> is full or the stream ends; returns the bytes produced.</summary>
    public static int Inflate(byte[] input, int inputLength, Span<byte> output)
    {
        using var source = new MemoryStream(input, 0, inputLength, writable: false);
        using var inflate = new DeflateStream(source, CompressionMode.Decompress);
        var produced = 0;
        try
        {
            while (produced < output.Length)
            {
                var n = inflate.Read(output[produced..]);
                if (n == 0)
                {
                    break;
                }

                produced += n;
            }
        }
        catch (InvalidDataException)
        {
            // Corrupt stream: report what was produced; the caller names the cluster.
        }

        return produced;
    }

    /// <summary>A write-only stream into a fixed array region that records an overflow instead of throwing.</summary>
    private sealed class BoundedSink(byte[] buffer, int offset, int capacity) : Stream
    {
        public int Written { get; private set; }

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] data, int dataOffset, int count) => Write(data.AsSpan(dataOffset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            if (Overflowed || Written + data.Length > capacity)
            {
                Overflowed = true;
                return;
            }

            data.CopyTo(buffer.AsSpan(offset + Written));
            Written += data.Length;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
