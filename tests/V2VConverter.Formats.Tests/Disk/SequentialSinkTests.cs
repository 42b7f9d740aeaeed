using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Convert;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Disk;

/// <summary>
/// Issue 12: the qcow2 and raw writers fill a sequential sink (an upload stream) with the same image they write into a
/// file: body bytes at increasing offsets only, holes as gaps, then (qcow2) the header once at offset 0, last.
/// qemu-img judges the image reassembled from what the sink received.
/// </summary>
public sealed class SequentialSinkTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var input in new[] { "raw", "qcow2", "qcow2-c", "qcow2-v2", "qcow2-zero" })
        {
            foreach (var output in new[] { "qcow2", "qcow2-c", "qcow2-4k", "raw" })
            {
                data.Add(input, output);
            }
        }

        return data;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Sequential_sink_gets_the_same_valid_image_as_a_file(string input, string output)
    {
        var source = DiskFixtures.Input(input);
        var options = Options(output);
        var streamed = Path.Combine(_dir, "streamed.img");
        var file = Path.Combine(_dir, "file.img");
        DiskConvertResult result;
        RecordingSequentialSink sink;
        using (var disk = DiskImage.Open(source))
        using (sink = new RecordingSequentialSink(streamed))
        {
            result = DiskConverter.Write(disk, sink, options, null, TestContext.Current.CancellationToken);
            DiskConverter.Convert(disk, file, options, null, TestContext.Current.CancellationToken);
        }

        Assert.Empty(sink.Violations);
        Assert.Equal(sink.Name, result.OutputPath);
        Assert.Equal(new FileInfo(streamed).Length, result.OutputFileSize);
        Assert.Equal(DiskFixtures.RawSize, result.VirtualSize);

        // One code path: the stream carries exactly the bytes of the file output.
        Oracle.AssertSameBytes(file, streamed);
        Oracle.AssertIdentical(source, streamed);

        var calls = sink.Calls;
        var writes = calls.Where(c => c.Kind == SinkCall.Write).ToList();
        Assert.True(writes.Zip(writes.Skip(1)).All(p => p.First.Offset + p.First.Length <= p.Second.Offset), "body writes are in increasing order");
        Assert.Equal(1, calls.Count(c => c.Kind == SinkCall.Flush));
        if (options.Format == DiskOutputFormat.Qcow2)
        {
            Oracle.AssertCheckClean(streamed);
            Assert.Equal(1, sink.HeaderWrites);
            Assert.Equal((SinkCall.Header, 0L, (long)options.ClusterSize), calls[^1]);
            Assert.Equal(SinkCall.Flush, calls[^2].Kind);
            Assert.Equal((SinkCall.SetLength, 0L, result.OutputFileSize), calls[^3]);

            // The header's cluster is a hole in the body stream: the body starts right after it.
            Assert.Equal(options.ClusterSize, writes[0].Offset);
        }
        else
        {
            Assert.Equal(0, sink.HeaderWrites);
            Assert.Equal((SinkCall.SetLength, 0L, DiskFixtures.RawSize), calls[^2]);
            Assert.Equal(SinkCall.Flush, calls[^1].Kind);

            // Zero blocks and holes are gaps in the stream, not bytes sent.
            Assert.True(sink.BodyBytes < DiskFixtures.RawSize / 2, $"raw stream carried {sink.BodyBytes} of {DiskFixtures.RawSize} bytes");
            Assert.True(DiskAssert.AllocatedBytes(streamed) < DiskFixtures.RawSize / 2, "the reassembled raw image is sparse");
            Tool.Check("qemu-img", "convert", "-O", "raw", source, Path.Combine(_dir, "qemu.raw"));
            Oracle.AssertSameBytes(Path.Combine(_dir, "qemu.raw"), streamed);
        }
    }

    [Theory]
    [InlineData(0, "qcow2")]
    [InlineData(0, "raw")]
    [InlineData(1000, "qcow2-c")]
    [InlineData(1000, "raw")]
    [InlineData((3 * 1024 * 1024) + 512, "qcow2")]
    public void Edge_sizes_stream_valid_images(int size, string output)
    {
        var raw = Path.Combine(_dir, "in.raw");
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        File.WriteAllBytes(raw, bytes);
        var streamed = Path.Combine(_dir, "streamed.img");
        RecordingSequentialSink sink;
        using (var disk = DiskImage.Open(raw))
        using (sink = new RecordingSequentialSink(streamed))
        {
            DiskConverter.Write(disk, sink, Options(output), null, TestContext.Current.CancellationToken);
        }

        Assert.Empty(sink.Violations);
        if (output != "raw")
        {
            Oracle.AssertCheckClean(streamed);
            Assert.Equal(1, sink.HeaderWrites);
            Assert.Equal(SinkCall.Header, sink.Calls[^1].Kind);
        }

        Oracle.AssertIdentical(raw, streamed);
    }

    [Theory]
    [InlineData(DiskPreallocation.Full, "preallocation=full")]
    [InlineData(DiskPreallocation.Falloc, "preallocation=falloc")]
    public void Raw_preallocation_needs_a_random_access_sink(DiskPreallocation mode, string named)
    {
        using var disk = DiskImage.Open(DiskFixtures.Raw);
        using var sink = new RecordingSequentialSink(Path.Combine(_dir, "streamed.img"));
        var ex = Assert.Throws<ArgumentException>(() => DiskConverter.Write(disk, sink, new DiskConvertOptions { Preallocation = mode }, null, TestContext.Current.CancellationToken));
        Assert.Contains(named, ex.Message);
        Assert.Contains(sink.Name, ex.Message);
        Assert.Empty(sink.Calls);
    }

    [Theory]
    [InlineData("qcow2", 0)]
    [InlineData("qcow2-c", 3)]
    [InlineData("raw", 2)]
    public void A_broken_upload_fails_the_copy_with_its_own_error_and_no_header(string output, int failingWrite)
    {
        using var disk = DiskImage.Open(DiskFixtures.Qcow2);
        using var sink = new RecordingSequentialSink(Path.Combine(_dir, "streamed.img"), i => i == failingWrite ? new IOException("upload stream broken: pool full") : null);
        var ex = Assert.Throws<IOException>(() => DiskConverter.Write(disk, sink, Options(output), null, TestContext.Current.CancellationToken));
        Assert.Equal("upload stream broken: pool full", ex.Message);
        Assert.Equal(0, sink.HeaderWrites);
        Assert.DoesNotContain(sink.Calls, c => c.Kind == SinkCall.Flush);
        Assert.Empty(sink.Violations);
    }

    [Fact]
    public void Cancelling_mid_copy_writes_no_header()
    {
        using var disk = DiskImage.Open(DiskFixtures.Raw);
        using var sink = new RecordingSequentialSink(Path.Combine(_dir, "streamed.img"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var options = new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ChunkSize = 64 * 1024, Parallelism = 1 };
        Assert.ThrowsAny<OperationCanceledException>(() => DiskConverter.Write(disk, sink, options, p =>
        {
            if (p.Done >= 2 * DiskFixtures.MiB)
            {
                cts.Cancel();
            }
        }, cts.Token));
        Assert.Equal(0, sink.HeaderWrites);
        Assert.Empty(sink.Violations);
    }

    /// <summary>The test sink itself catches what a stream cannot take, so the tests above can trust it.</summary>
    [Fact]
    public void The_recording_sink_rejects_backward_writes_and_early_or_repeated_headers()
    {
        var data = new byte[512];
        using (var sink = new RecordingSequentialSink(Path.Combine(_dir, "a.img")))
        {
            sink.Write(data, 4096);
            Assert.Throws<InvalidOperationException>(() => sink.Write(data, 1024));
            Assert.Throws<InvalidOperationException>(() => sink.SetLength(4096));
            Assert.Throws<InvalidOperationException>(() => sink.WriteHeader(data, 0)); // before the body was flushed
            Assert.Equal(3, sink.Violations.Count);
        }

        using (var sink = new RecordingSequentialSink(Path.Combine(_dir, "b.img")))
        {
            sink.Write(data, 512);
            sink.SetLength(8192);
            sink.Flush();
            Assert.Throws<InvalidOperationException>(() => sink.WriteHeader(data, 256)); // over body bytes
            sink.WriteHeader(data, 0);
            Assert.Throws<InvalidOperationException>(() => sink.WriteHeader(data, 0));
            Assert.Throws<InvalidOperationException>(() => sink.Write(data, 8192));
            Assert.Throws<InvalidOperationException>(() => sink.Flush());
            Assert.Equal(4, sink.Violations.Count);
        }
    }

    private static DiskConvertOptions Options(string output) => output switch
    {
        "qcow2" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 },
        "qcow2-c" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, Compress = true },
        "qcow2-4k" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ClusterSize = 4096 },
        "raw" => new DiskConvertOptions { Format = DiskOutputFormat.Raw },
        _ => throw new ArgumentException(output),
    };
}
