using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Polly;
using Polly.Retry;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>One file to fetch: its datastore path, and where it goes on this machine.</summary>
public sealed record DownloadItem(DatastorePath Source, string LocalPath);

/// <summary>What a finished download delivered.</summary>
/// <param name="Bytes">Bytes written.</param>
/// <param name="Sha256">SHA-256 of the bytes written, colon-free lower-case hex.</param>
/// <param name="Resumes">How many times the transfer resumed with a Range request after a failure.</param>
/// <param name="ChecksumVerified">The server sent a Content-MD5 header and it matched (vSphere's /folder usually sends none).</param>
public sealed record DownloadResult(DatastorePath Source, string? LocalPath, long Bytes, string Sha256, int Resumes, bool ChecksumVerified);

/// <summary>
/// Fetches datastore files over HTTPS <c>/folder/&lt;path&gt;?dcPath=&lt;dc&gt;&amp;dsName=&lt;ds&gt;</c>
/// with the session cookie of the <see cref="HttpClient"/> it is given. A transfer that breaks
/// (reset, truncated body, stalled read) is resumed from the byte it reached with an HTTP
/// <c>Range</c> request guarded by <c>If-Range</c>, under a Polly retry pipeline; a server that
/// answers 200 instead of 206 (file changed, or no range support) restarts the copy when the
/// destination can seek, and fails otherwise. Bytes go straight to the destination stream, so a
/// consumer (the disk engine) can take them without a staging copy. Several files download in
/// parallel, up to a bound.
/// </summary>
public sealed class DatastoreDownloader
{
    private const int BufferSize = 1 << 20;

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string _datacenterPath;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _retry;
    private int _active;
    private int _peak;

    /// <param name="http">A client carrying the vSphere session cookie and the TLS policy.</param>
    /// <param name="baseUri"><c>https://host:port/</c>.</param>
    /// <param name="datacenterPath">The <c>dcPath</c> value: <c>ha-datacenter</c> on ESXi, the datacenter's inventory path on vCenter.</param>
    public DatastoreDownloader(HttpClient http, Uri baseUri, string datacenterPath, DownloadOptions? options = null, ILogger? log = null)
    {
        _http = http;
        _base = baseUri;
        _datacenterPath = datacenterPath;
        _log = log ?? LogExtensions.None;
        Options = options ?? new DownloadOptions();
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Options.MaxRetries,
                Delay = Options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                OnRetry = a =>
                {
                    _log.Detail($"download: attempt {a.AttemptNumber + 1} failed ({a.Outcome.Exception?.Message}); retrying in {a.RetryDelay.TotalMilliseconds:0} ms");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public DownloadOptions Options { get; }

    public string DatacenterPath => _datacenterPath;

    /// <summary>The largest number of downloads that ran at once (tests check the bound).</summary>
    public int PeakParallelDownloads => Volatile.Read(ref _peak);

    /// <summary>The URL of a datastore file.</summary>
    public Uri FolderUri(DatastorePath path)
    {
        var escaped = string.Join('/', path.Path.Split('/').Select(Uri.EscapeDataString));
        return new Uri(_base, $"folder/{escaped}?dcPath={Uri.EscapeDataString(_datacenterPath)}&dsName={Uri.EscapeDataString(path.Datastore)}");
    }

    /// <summary>Reads a whole small file (a .vmx) into memory, refusing one over <paramref name="maxBytes"/>.</summary>
    public async Task<byte[]> ReadAllBytesAsync(DatastorePath path, long maxBytes, CancellationToken ct)
    {
        using var ms = new LimitedMemoryStream(maxBytes, path);
        await DownloadAsync(path, ms, null, ct).ConfigureAwait(false);
        return ms.ToArray();
    }

    /// <summary>Downloads to a local file (written under a temporary name, renamed on success).</summary>
    public async Task<DownloadResult> DownloadToFileAsync(DatastorePath path, string localPath, IProgress<long>? progress, CancellationToken ct)
    {
        var tmp = localPath + ".part";
        try
        {
            DownloadResult r;
            await using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous))
            {
                r = await DownloadAsync(path, fs, progress, ct).ConfigureAwait(false);
            }

            File.Move(tmp, localPath, overwrite: true);
            return r with { LocalPath = localPath };
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Downloads several files, at most <see cref="DownloadOptions.MaxParallel"/> at a time.</summary>
    public async Task<IReadOnlyList<DownloadResult>> DownloadAllAsync(IReadOnlyList<DownloadItem> items, IProgress<long>? progress, CancellationToken ct)
    {
        var results = new DownloadResult[items.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallel, CancellationToken = ct },
            async (i, token) => results[i] = await DownloadToFileAsync(items[i].Source, items[i].LocalPath, progress, token).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Streams one datastore file into <paramref name="destination"/>, which is written strictly
    /// in order from its current position. Resumes after transient failures.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(DatastorePath path, Stream destination, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("the destination stream must be writable", nameof(destination));
        }

        var now = Interlocked.Increment(ref _active);
        InterlockedMax(ref _peak, now);
        try
        {
            var state = new TransferState(destination.CanSeek ? destination.Position : 0);
            await _retry.ExecuteAsync(async token => await AttemptAsync(path, destination, state, progress, token).ConfigureAwait(false), ct).ConfigureAwait(false);
            var hash = Convert.ToHexStringLower(state.Hash.GetHashAndReset());
            _log.Detail($"download: {path} done, {state.Offset} bytes, {state.Resumes} resume(s), sha256 {hash}");
            return new DownloadResult(path, null, state.Offset, hash, state.Resumes, state.ChecksumVerified);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task AttemptAsync(DatastorePath path, Stream destination, TransferState s, IProgress<long>? progress, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, FolderUri(path));
        if (s.Offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(s.Offset, null);
            if (s.ETag is not null)
            {
                request.Headers.IfRange = new RangeConditionHeaderValue(s.ETag);
            }
            else if (s.LastModified is { } lm)
            {
                request.Headers.IfRange = new RangeConditionHeaderValue(lm);
            }

            s.Resumes++;
            _log.Detail($"download: {path} resuming at byte {s.Offset}");
        }

        using var response = await SendAsync(request, path, ct).ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                throw new FileNotFoundException($"datastore file {path} not found on {_base.Authority} (datacenter {_datacenterPath}): HTTP 404");
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new UnauthorizedAccessException($"{_base.Authority} refused datastore file {path}: HTTP {(int)response.StatusCode} (session expired or no permission)");
            case HttpStatusCode.RequestedRangeNotSatisfiable when s.Offset > 0 && s.Total == s.Offset:
                return; // everything had arrived before the connection broke
            case HttpStatusCode.PartialContent:
                var range = response.Content.Headers.ContentRange;
                if (range?.From != s.Offset)
                {
                    throw new InvalidDataException(Secrets.Mask($"datastore file {path}: asked for bytes from {s.Offset}, the server sent Content-Range \"{range}\""));
                }

                if (range.Length is { } total)
                {
                    s.Total = total;
                }

                break;
            case HttpStatusCode.OK:
                if (s.Offset > 0)
                {
                    // The server ignored the range or the file changed (If-Range failed): start over.
                    if (!destination.CanSeek)
                    {
                        throw new IOException($"datastore file {path}: the server restarted the transfer from byte 0 (file changed or no range support) and the destination cannot rewind");
                    }

                    _log.Detail($"download: {path} server sent the whole file again; restarting");
                    destination.Position = s.Start;
                    destination.SetLength(s.Start);
                    s.Reset();
                }

                s.Total = response.Content.Headers.ContentLength;
                s.ETag = response.Headers.ETag;
                s.LastModified = response.Content.Headers.LastModified;
                s.ContentMd5 = response.Content.Headers.ContentMD5;
                break;
            default:
                if ((int)response.StatusCode >= 500)
                {
                    throw new HttpRequestException(Secrets.Mask($"datastore file {path} on {_base.Authority}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"), null, response.StatusCode);
                }

                throw new IOException(Secrets.Mask($"datastore file {path} on {_base.Authority}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"));
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int n;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    idle.CancelAfter(Options.IdleTimeout);
                    try
                    {
                        n = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                    {
                        throw new VSphereTimeoutException($"datastore file {path} on {_base.Authority}: no data for {VSphereTimeoutException.Seconds(Options.IdleTimeout)} at byte {s.Offset} (see --timeout)", ex);
                    }
                }

                if (n == 0)
                {
                    break;
                }

                await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                s.Hash.AppendData(buffer, 0, n);
                s.Md5?.AppendData(buffer, 0, n);
                s.Offset += n;
                progress?.Report(n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (s.Total is { } expected && s.Offset != expected)
        {
            throw new EndOfStreamException($"datastore file {path}: the connection ended at byte {s.Offset} of {expected}");
        }

        if (s.ContentMd5 is { } md5 && s.Md5 is not null)
        {
            var actual = s.Md5.GetHashAndReset();
            if (!actual.AsSpan().SequenceEqual(md5))
            {
                throw new InvalidDataException($"datastore file {path}: Content-MD5 is {Convert.ToHexStringLower(md5)} but the data has {Convert.ToHexStringLower(actual)}");
            }

            s.ChecksumVerified = true;
        }
    }

    /// <summary>Sends the GET; a server that takes it and never answers is a timeout (retried: a GET is idempotent), not a hang.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, DatastorePath path, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(Options.IdleTimeout);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && VSphereTimeoutException.Find(ex) is { } timeout)
        {
            throw new VSphereTimeoutException(timeout.Message, ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new VSphereTimeoutException($"datastore file {path} on {_base.Authority}: no response within {VSphereTimeoutException.Seconds(Options.IdleTimeout)} (see --timeout)", ex);
        }
    }

    private static bool IsTransient(Exception ex) => ex switch
    {
        FileNotFoundException or UnauthorizedAccessException or InvalidDataException or DatastoreFileTooLargeException => false,
        HttpRequestException { StatusCode: { } code } => (int)code >= 500,
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private sealed class TransferState(long start)
    {
        public long Start { get; } = start;

        public long Offset { get; set; }

        public long? Total { get; set; }

        public EntityTagHeaderValue? ETag { get; set; }

        public DateTimeOffset? LastModified { get; set; }

        public byte[]? ContentMd5
        {
            get => _md5Expected;
            set
            {
                _md5Expected = value;
                Md5?.Dispose();
                Md5 = value is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            }
        }

        public IncrementalHash? Md5 { get; private set; }

        public IncrementalHash Hash { get; private set; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public int Resumes { get; set; }

        public bool ChecksumVerified { get; set; }

        private byte[]? _md5Expected;

        public void Reset()
        {
            Offset = 0;
            Hash.Dispose();
            Hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            ContentMd5 = null;
        }
    }

    private sealed class LimitedMemoryStream(long limit, DatastorePath path) : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            base.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Check(count);
            base.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }

        private void Check(int n)
        {
            if (Length + n > limit)
            {
                throw new DatastoreFileTooLargeException($"datastore file {path}: larger than the {limit} bytes accepted for it");
            }
        }
    }
}

/// <summary>A datastore file read into memory was over its bound (<see cref="DatastoreDownloader.ReadAllBytesAsync"/>).</summary>
public sealed class DatastoreFileTooLargeException(string message) : IOException(message);

/// <summary>Knobs of <see cref="DatastoreDownloader"/>.</summary>
public sealed record DownloadOptions
{
    /// <summary>Files downloaded at once.</summary>
    public int MaxParallel { get; init; } = 4;

    /// <summary>Retries after the first attempt (each resumes where the last stopped).</summary>
    public int MaxRetries { get; init; } = 6;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A request without response headers, or a read that yields nothing, for this long counts as a dropped connection.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(120);
}
