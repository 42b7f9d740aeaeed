using V2VConverter.Formats.Disk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>
/// A disk that arrives as a forward-only stream (a streamed datastore download) goes through the
/// parallel copy engine unchanged: out-of-order chunk reads are served from a bounded read-ahead,
/// and an error the producer reports at the very end fails the copy before the rename.
/// </summary>
public sealed class ForwardOnlyDiskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        var rng = new Random(7);
        for (var i = 0; i < length; i += 65536)
        {
            if ((i / 65536) % 3 != 0)
            {
                rng.NextBytes(data.AsSpan(i, Math.Min(65536, length - i)));
            }
        }

        return data;
    }

    /// <summary>Hands out a few bytes per read, and never seeks.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _pos;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 100_003), data.Length - _pos);
            data.AsSpan(_pos, n).CopyTo(buffer.AsSpan(offset, n));
            _pos += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Reads_in_any_order_get_the_right_bytes_once()
    {
        var data = Pattern(10 * 1024 * 1024);
        using var disk = new ForwardOnlyDisk(new TrickleStream(data), data.Length, "test");
        var chunk = 1024 * 1024;
        foreach (var i in new[] { 2, 0, 1, 5, 3, 4, 9, 6, 8, 7 })
        {
            var buf = new byte[chunk];
            disk.Read((long)i * chunk, buf);
            Assert.True(buf.AsSpan().SequenceEqual(data.AsSpan(i * chunk, chunk)), $"chunk {i}");
        }

        Assert.True(disk.PeakBufferedBytes <= 3L * chunk, $"peak {disk.PeakBufferedBytes}");
        var again = new byte[16];
        var ex = Assert.Throws<InvalidOperationException>(() => disk.Read(0, again));
        Assert.Contains("already read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_parallel_copy_engine_writes_the_stream_exactly()
    {
        var data = Pattern(24 * 1024 * 1024 + 4096);
        var dir = RepoPaths.NewTempDir();
        var src = Path.Combine(dir, "src.raw");
        File.WriteAllBytes(src, data);
        foreach (var (format, name) in new[] { (DiskOutputFormat.Qcow2, "out.qcow2"), (DiskOutputFormat.Raw, "out.raw") })
        {
            var output = Path.Combine(dir, name);
            using (var disk = new ForwardOnlyDisk(new TrickleStream(data), data.Length, "test"))
            {
                DiskConverter.Convert(disk, output, new DiskConvertOptions { Format = format, ChunkSize = 1024 * 1024, Parallelism = 4 }, null, Ct);
            }

            Tool.Check("qemu-img", "compare", "-q", "-f", "raw", "-F", format == DiskOutputFormat.Qcow2 ? "qcow2" : "raw", src, output);
        }
    }

    [Fact]
    public void A_producer_error_found_at_the_end_fails_the_copy_and_leaves_no_output()
    {
        var data = Pattern(4 * 1024 * 1024);
        var output = Path.Combine(RepoPaths.NewTempDir(), "out.qcow2");
        using var disk = new ForwardOnlyDisk(new MemoryStream(data), data.Length, "test", () => Task.FromException(new InvalidDataException("datastore file x: Content-MD5 mismatch")));
        var ex = Assert.Throws<InvalidDataException>(() => DiskConverter.Convert(disk, output, new DiskConvertOptions(), null, Ct));
        Assert.Contains("Content-MD5", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!));
    }

    [Fact]
    public void A_short_stream_is_an_end_of_stream_error_naming_the_byte()
    {
        var data = Pattern(1024 * 1024);
        using var disk = new ForwardOnlyDisk(new MemoryStream(data), 2 * 1024 * 1024, "[ds] vm/disk-flat.vmdk");
        var ex = Assert.Throws<EndOfStreamException>(() => disk.Read(1024 * 1024, new byte[1024]));
        Assert.Equal("[ds] vm/disk-flat.vmdk: the stream ended at byte 1048576, before the disk's 2097152 bytes", ex.Message);
    }

    [Fact]
    public void A_stream_far_longer_than_the_disk_is_refused_at_the_end()
    {
        var data = new byte[(int)ForwardOnlyDisk.MaxTrailingBytes + (2 * 1024 * 1024)];
        using var disk = new ForwardOnlyDisk(new MemoryStream(data), 1024 * 1024, "s");
        var ex = Assert.Throws<InvalidDataException>(() => disk.Read(0, new byte[1024 * 1024]));
        Assert.Contains("past the disk's 1048576 bytes", ex.Message, StringComparison.Ordinal);
    }
}
