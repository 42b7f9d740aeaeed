using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// Resume, restart, checksum and error paths of the /folder downloader against a scripted HTTP
/// responder (vcsim covers the real-server paths; it never sends Content-MD5 and always honours Range).
/// </summary>
public sealed class DatastoreDownloaderTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7 + (i >> 8))).ToArray();
    private static readonly DateTimeOffset Modified = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private sealed class Responder(Func<HttpRequestMessage, int, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(respond(request, Requests.Count));
        }
    }

    /// <summary>A body that delivers <c>failAfter</c> bytes and then breaks like a reset connection.</summary>
    private sealed class BreakingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var left = failAfter - (int)Position;
            return left <= 0 ? throw new IOException("connection reset by peer") : base.Read(buffer, offset, Math.Min(count, left));
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var left = failAfter - (int)Position;
            return left <= 0 ? throw new IOException("connection reset by peer") : base.ReadAsync(buffer[..Math.Min(buffer.Length, left)], cancellationToken);
        }
    }

    private static HttpResponseMessage Full(byte[] data, int? failAfter = null, byte[]? md5 = null)
    {
        var content = new StreamContent(failAfter is { } f ? new BreakingStream(data, f) : new MemoryStream(data));
        content.Headers.ContentLength = data.Length;
        content.Headers.LastModified = Modified;
        content.Headers.ContentMD5 = md5;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private static HttpResponseMessage Partial(byte[] data, long from)
    {
        var content = new ByteArrayContent(data, (int)from, data.Length - (int)from);
        content.Headers.ContentRange = new ContentRangeHeaderValue(from, data.Length - 1, data.Length);
        return new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = content };
    }

    private static DatastoreDownloader Downloader(HttpMessageHandler handler) =>
        new(new HttpClient(handler), new Uri("https://esx.test/"), "ha-datacenter", new DownloadOptions { RetryDelay = TimeSpan.FromMilliseconds(1), MaxRetries = 3 });

    private static readonly DatastorePath Path1 = new("ds 1", "vm/disk 1-flat.vmdk");

    [Fact]
    public void Url_escapes_path_and_query()
    {
        var d = Downloader(new Responder((_, _) => Full(Data)));
        Assert.Equal("https://esx.test/folder/vm/disk%201-flat.vmdk?dcPath=ha-datacenter&dsName=ds%201", d.FolderUri(Path1).AbsoluteUri);
    }

    [Fact]
    public async Task Resume_sends_range_with_if_range_and_appends()
    {
        var handler = new Responder((req, n) => n == 1 ? Full(Data, failAfter: 100_000) : Partial(Data, req.Headers.Range!.Ranges.Single().From!.Value));
        using var dest = new MemoryStream();

        var r = await Downloader(handler).DownloadAsync(Path1, dest, null, TestContext.Current.CancellationToken);

        Assert.Equal(Data, dest.ToArray());
        Assert.Equal(1, r.Resumes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Data)), r.Sha256);
        var second = handler.Requests[1];
        Assert.Equal(100_000, second.Headers.Range!.Ranges.Single().From);
        Assert.Equal(Modified, second.Headers.IfRange!.Date);
    }

    [Fact]
    public async Task Server_that_restarts_from_zero_is_rewound_on_a_seekable_destination()
    {
        var handler = new Responder((_, n) => n == 1 ? Full(Data, failAfter: 50_000) : Full(Data));
        using var dest = new MemoryStream();

        var r = await Downloader(handler).DownloadAsync(Path1, dest, null, TestContext.Current.CancellationToken);

        Assert.Equal(Data, dest.ToArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Data)), r.Sha256);
    }

    [Fact]
    public async Task Server_that_restarts_from_zero_fails_on_an_unseekable_destination()
    {
        var handler = new Responder((_, n) => n == 1 ? Full(Data, failAfter: 50_000) : Full(Data));
        using var inner = new MemoryStream();

        var ex = await Assert.ThrowsAsync<IOException>(() => Downloader(handler).DownloadAsync(Path1, new WriteOnly(inner), null, TestContext.Current.CancellationToken));
        Assert.Contains("the server restarted the transfer from byte 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_md5_is_verified_when_the_server_sends_it()
    {
        var good = new Responder((_, _) => Full(Data, md5: MD5.HashData(Data)));
        var ok = await Downloader(good).DownloadAsync(Path1, new MemoryStream(), null, TestContext.Current.CancellationToken);
        Assert.True(ok.ChecksumVerified);

        var bad = new Responder((_, _) => Full(Data, md5: new byte[16]));
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => Downloader(bad).DownloadAsync(Path1, new MemoryStream(), null, TestContext.Current.CancellationToken));
        Assert.Contains("Content-MD5 is 00000000000000000000000000000000 but the data has", ex.Message, StringComparison.Ordinal);
        Assert.Single(bad.Requests); // a checksum mismatch is not retried
    }

    [Fact]
    public async Task Not_found_is_not_retried_and_server_errors_are()
    {
        var missing = new Responder((_, _) => new HttpResponseMessage(HttpStatusCode.NotFound));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Downloader(missing).DownloadAsync(Path1, new MemoryStream(), null, TestContext.Current.CancellationToken));
        Assert.Single(missing.Requests);

        var flaky = new Responder((_, n) => n < 3 ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) : Full(Data));
        using var dest = new MemoryStream();
        await Downloader(flaky).DownloadAsync(Path1, dest, null, TestContext.Current.CancellationToken);
        Assert.Equal(3, flaky.Requests.Count);
        Assert.Equal(Data, dest.ToArray());

        var down = new Responder((_, _) => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => Downloader(down).DownloadAsync(Path1, new MemoryStream(), null, TestContext.Current.CancellationToken));
        Assert.Equal(4, down.Requests.Count); // first try + 3 retries
        Assert.Contains("HTTP 503", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_body_without_error_is_resumed()
    {
        // The server closes cleanly after 1000 bytes of a 300000-byte Content-Length response.
        var handler = new Responder((req, n) =>
        {
            if (n > 1)
            {
                return Partial(Data, req.Headers.Range!.Ranges.Single().From!.Value);
            }

            var content = new ByteArrayContent(Data, 0, 1000);
            content.Headers.ContentLength = Data.Length;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        });
        using var dest = new MemoryStream();
        var r = await Downloader(handler).DownloadAsync(Path1, dest, null, TestContext.Current.CancellationToken);
        Assert.Equal(Data, dest.ToArray());
        Assert.Equal(1, r.Resumes);
    }

    [Fact]
    public async Task A_download_to_a_file_never_follows_a_link_planted_in_the_staging_folder()
    {
        var dir = Directory.CreateTempSubdirectory("v2v-stage").FullName;
        var outside = Directory.CreateTempSubdirectory("v2v-outside").FullName;
        try
        {
            var victim = System.IO.Path.Combine(outside, "victim");
            File.WriteAllText(victim, "precious");
            var local = System.IO.Path.Combine(dir, "disk-flat.vmdk");
            File.CreateSymbolicLink(local + ".part", victim); // the old, predictable temporary name
            File.CreateSymbolicLink(System.IO.Path.Combine(dir, $".disk-flat.vmdk.v2v-tmp-{Environment.ProcessId}"), victim);

            var r = await Downloader(new Responder((_, _) => Full(Data))).DownloadToFileAsync(Path1, local, null, TestContext.Current.CancellationToken);
            Assert.Equal(local, r.LocalPath);
            Assert.Equal(Data, File.ReadAllBytes(local));
            Assert.Null(new FileInfo(local).LinkTarget);
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.Empty(Directory.GetFiles(dir, "*v2v-tmp-*-*"));

            // A link at the final name is not replaced, and nothing goes through it.
            var absent = System.IO.Path.Combine(outside, "absent");
            var local2 = System.IO.Path.Combine(dir, "second.vmdk");
            File.CreateSymbolicLink(local2, absent);
            await Assert.ThrowsAsync<IOException>(() => Downloader(new Responder((_, _) => Full(Data))).DownloadToFileAsync(Path1, local2, null, TestContext.Current.CancellationToken));
            Assert.False(File.Exists(absent));
            Assert.Equal("precious", File.ReadAllText(victim));
        }
        finally
        {
            Directory.Delete(dir, true);
            Directory.Delete(outside, true);
        }
    }

    private sealed class WriteOnly(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
