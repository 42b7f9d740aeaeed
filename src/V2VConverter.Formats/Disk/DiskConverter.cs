using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Raw;

namespace V2VConverter.Formats.Disk;

/// <summary>
/// The copy engine. A pipeline of
/// <list type="number">
/// <item>a map stage that walks <see cref="IVirtualDisk.GetExtents"/> one window at a time (never the whole disk up front)
/// and turns data runs into block-aligned chunks, skipping holes;</item>
/// <item>read + transform workers (several chunks in flight on the thread pool): read a chunk, detect all-zero blocks,
/// optionally deflate each cluster;</item>
/// <item>one writer that takes the chunks strictly in guest order and assigns host offsets (so a qcow2 output is not
/// fragmented although reads and compression run in parallel).</item>
/// </list>
/// The queue between them is bounded, so memory stays at about <c>inflight × 2 × chunk size</c> whatever the disk size.
/// The writer puts its bytes into an <see cref="IImageSink"/>: a file (written under a temporary name and renamed only
/// on success) or a sequential upload stream.
/// </summary>
public static class DiskConverter
{
    /// <summary>How much of the allocation map is asked for at once.</summary>
    internal const long MapWindow = 256L * 1024 * 1024;

    private const int MaxInflight = 16;

    /// <summary>
    /// Chunk buffers (read, and compressed with -c) in flight at most, whatever the core count and request size: with the
    /// runtime and the readers' own buffers this keeps a copy well under 200 MiB.
    /// </summary>
    internal const long InflightBudgetBytes = 48L << 20;

    /// <summary>The largest chunk buffer the shared pool keeps: the largest chunk <see cref="Budget"/> allows, rounded up to a power of two.</summary>
    private const int MaxPooledBuffer = 32 << 20;

    /// <summary>How many buffers of one size the shared pool keeps: enough for several copies at once (a batch).</summary>
    private const int MaxPooledPerSize = 64;

    /// <summary>
    /// Chunk buffers shared by every copy in the process. A batch copies disk after disk, several at once; with a pool
    /// per copy, each finished copy's buffers (up to <see cref="InflightBudgetBytes"/>) stayed on the large-object heap
    /// as garbage until the next full collection, so a run's memory grew with the disks it had copied (271 MiB after
    /// 10 VMs, 421 MiB after 50, bench/RESULTS.md). The pool keeps only what was in use at once, and reuses it.
    /// </summary>
    internal static readonly ArrayPool<byte> ChunkBuffers = ArrayPool<byte>.Create(MaxPooledBuffer, MaxPooledPerSize);

    /// <summary>The request size actually used and the chunks in flight, so that their buffers fit <see cref="InflightBudgetBytes"/>.</summary>
    internal static (int ChunkSize, int Inflight) Budget(int requestedChunk, int block, int parallelism, bool compress)
    {
        var buffersPerChunk = compress ? 2 : 1;
        var maxChunk = AlignDown(InflightBudgetBytes / (2L * buffersPerChunk), block);
        var chunk = (int)Math.Min(AlignUp(Math.Max(requestedChunk, block), block), Math.Max(maxChunk, block));
        var byBudget = (int)Math.Max(2, InflightBudgetBytes / ((long)chunk * buffersPerChunk));
        return (chunk, Math.Clamp(Math.Min((parallelism * 2) + 2, byBudget), 2, MaxInflight));
    }

    public static DiskConvertResult Convert(IVirtualDisk source, string outputPath, DiskConvertOptions options, Action<DiskProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ConvertAsync(source, outputPath, options, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Copies <paramref name="source"/> into a new image at <paramref name="outputPath"/>. <paramref name="progress"/> is
    /// called from the writer with guest bytes done / total. On any failure or cancellation no file is left under
    /// <paramref name="outputPath"/> and the temporary file is removed. An existing file at <paramref name="outputPath"/>
    /// is never replaced.
    /// </summary>
    public static async Task<DiskConvertResult> ConvertAsync(IVirtualDisk source, string outputPath, DiskConvertOptions options, Action<DiskProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var finalPath = Path.GetFullPath(outputPath);
        try
        {
            using var output = AtomicOutputFile.Create(finalPath, PreallocationFor(source, options));
            var result = await WriteAsync(source, output, options, progress, cancellationToken).ConfigureAwait(false);
            output.Commit(options.Fsync);
            return result;
        }
        catch (Exception ex) when (AtomicOutputFile.IsNoSpace(ex) && !ex.Message.StartsWith(finalPath, StringComparison.Ordinal))
        {
            throw AtomicOutputFile.NoSpace(finalPath, ex);
        }
    }

    /// <summary>What <see cref="AtomicOutputFile.Create"/> should reserve for <paramref name="source"/> (raw with falloc: the whole disk).</summary>
    public static long PreallocationFor(IVirtualDisk source, DiskConvertOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        return options.Format == DiskOutputFormat.Raw && options.Preallocation == DiskPreallocation.Falloc ? source.Length : 0;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="output"/> (created with <see cref="PreallocationFor"/>) and
    /// closes it WITHOUT committing: the image stays under its temporary name until the caller commits it, so an
    /// output that writes several files can make them all visible at the end.
    /// </summary>
    public static async Task<DiskConvertResult> WriteAsync(IVirtualDisk source, AtomicOutputFile output, DiskConvertOptions options, Action<DiskProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        var finalPath = output.FinalPath;
        try
        {
            var result = await WriteAsync(source, new FileImageSink(output.Handle, finalPath, options.Fsync), options, progress, cancellationToken).ConfigureAwait(false);
            output.Close(options.Fsync);
            return result;
        }
        catch (Exception ex) when (AtomicOutputFile.IsNoSpace(ex) && !ex.Message.StartsWith(finalPath, StringComparison.Ordinal))
        {
            throw AtomicOutputFile.NoSpace(finalPath, ex);
        }
    }

    /// <summary>Synchronous <see cref="WriteAsync(IVirtualDisk, IImageSink, DiskConvertOptions, Action{DiskProgress}?, CancellationToken)"/>.</summary>
    public static DiskConvertResult Write(IVirtualDisk source, IImageSink sink, DiskConvertOptions options, Action<DiskProgress>? progress = null, CancellationToken cancellationToken = default) =>
        WriteAsync(source, sink, options, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="sink"/>: a file, or a sequential stream that gets every body
    /// byte at increasing offsets, then (qcow2) the header once at offset 0 (see <see cref="IImageSink"/>). The sink is
    /// neither completed nor cleaned up: on success the caller commits it, on any failure or cancellation the caller
    /// drops it (the header was then never written). <see cref="DiskConvertResult.OutputFileSize"/> is the image's length.
    /// </summary>
    public static async Task<DiskConvertResult> WriteAsync(IVirtualDisk source, IImageSink sink, DiskConvertOptions options, Action<DiskProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var watch = Stopwatch.StartNew();
        var total = source.Length;
        long dataRead = 0;
        long imageLength = 0;

        IDiskTarget target = options.Format switch
        {
            DiskOutputFormat.Qcow2 => new Qcow2Writer(sink, (ulong)total, options.ClusterSize, options.Compress),
            _ => new RawWriter(sink, total, options.Preallocation),
        };

        var block = target.BlockSize;
        var (chunkSize, inflight) = Budget(options.ChunkSize, block, options.Parallelism, target.WantsCompression);

        var pool = ChunkBuffers;
        var queue = Channel.CreateBounded<Task<DiskChunk>>(new BoundedChannelOptions(inflight)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var level = options.CompressionLevel;

        Task<DiskChunk> Process(DiskChunk chunk) => Task.Run(
            () =>
            {
                try
                {
                    token.ThrowIfCancellationRequested();
                    Transform(source, chunk, target.WantsCompression, level);
                    Interlocked.Add(ref dataRead, chunk.Length);
                    return chunk;
                }
                catch
                {
                    chunk.Release();
                    throw;
                }
            },
            CancellationToken.None);

        async Task ProduceAsync()
        {
            try
            {
                long emittedEnd = 0;
                long runStart = -1, runEnd = -1;

                async Task EmitAsync(long start, long end, bool flushAll)
                {
                    // Split [start, end) into chunks; keep a short tail pending unless flushing.
                    while (end - start >= chunkSize || (flushAll && end > start))
                    {
                        var len = (int)Math.Min(chunkSize, end - start);
                        var chunk = new DiskChunk
                        {
                            Offset = start,
                            Length = len,
                            BlockSize = block,
                            ProgressEnd = start + len,
                            Pool = pool,
                        };
                        await queue.Writer.WriteAsync(Process(chunk), token).ConfigureAwait(false);
                        start += len;
                    }

                    runStart = start;
                }

                for (long w = 0; w < total; w += MapWindow)
                {
                    token.ThrowIfCancellationRequested();
                    var wEnd = Math.Min(total, w + MapWindow);
                    foreach (var ext in source.GetExtents(w, wEnd - w))
                    {
                        if (ext.Kind != ExtentKind.Data || ext.Length <= 0)
                        {
                            continue;
                        }

                        var start = Math.Max(AlignDown(ext.Offset, block), emittedEnd);
                        var end = Math.Min(AlignUp(ext.End, block), total);
                        if (end <= start)
                        {
                            continue;
                        }

                        if (runStart >= 0 && start == runEnd)
                        {
                            runEnd = end;
                        }
                        else
                        {
                            if (runStart >= 0)
                            {
                                await EmitAsync(runStart, runEnd, flushAll: true).ConfigureAwait(false);
                            }

                            runStart = start;
                            runEnd = end;
                        }

                        emittedEnd = end;
                        await EmitAsync(runStart, runEnd, flushAll: false).ConfigureAwait(false);
                    }

                    // Flush a pending run that ends before this window's end (it cannot grow any more).
                    if (runStart >= 0 && runEnd < wEnd)
                    {
                        await EmitAsync(runStart, runEnd, flushAll: true).ConfigureAwait(false);
                        runStart = -1;
                    }

                    if (runStart < 0 || runStart >= runEnd)
                    {
                        runStart = -1;
                        await queue.Writer.WriteAsync(Task.FromResult(new DiskChunk { Offset = wEnd, BlockSize = block, ProgressEnd = wEnd }), token).ConfigureAwait(false);
                    }
                }

                if (runStart >= 0 && runEnd > runStart)
                {
                    await EmitAsync(runStart, runEnd, flushAll: true).ConfigureAwait(false);
                }

                queue.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                queue.Writer.TryComplete(ex);
                throw;
            }
        }

        // The single writer runs on its own thread with blocking waits: its pwrites must not tie up a thread-pool
        // thread the readers and compressors need.
        void Consume()
        {
            long lastReported = -1;
            var reader = queue.Reader;
            while (true)
            {
                if (!reader.TryRead(out var pending))
                {
                    if (!reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }

                    continue;
                }

                var chunk = pending.GetAwaiter().GetResult();
                try
                {
                    if (chunk.Data is not null)
                    {
                        target.Write(chunk);
                    }
                }
                finally
                {
                    chunk.Release();
                }

                if (progress is not null && chunk.ProgressEnd > lastReported)
                {
                    lastReported = chunk.ProgressEnd;
                    progress(new DiskProgress(Math.Min(lastReported, total), total));
                }
            }

            token.ThrowIfCancellationRequested();
            imageLength = target.Finish();
        }

        EnsureThreads(inflight + 2);
        var producer = Task.Run(ProduceAsync, CancellationToken.None);
        var consumer = Task.Factory.StartNew(Consume, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var first = await Task.WhenAny(producer, consumer).ConfigureAwait(false);
            if (first.IsFaulted || first.IsCanceled)
            {
                await cts.CancelAsync().ConfigureAwait(false);
            }

            await Task.WhenAll(producer, consumer).ConfigureAwait(false);
        }
        catch
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await DrainAsync(producer, consumer, queue.Reader).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("disk conversion cancelled", cancellationToken);
            }

            // Prefer the root cause over the cancellation it triggered in the other stage.
            var root = new[] { producer, consumer }
                .Where(t => t.IsFaulted)
                .Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (root is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(root);
            }

            throw;
        }

        progress?.Invoke(new DiskProgress(total, total));
        return new DiskConvertResult(sink.Name, total, dataRead, imageLength, watch.Elapsed);
    }

    /// <summary>Reads a chunk from the source and classifies each block: zero, plain, or compressed.</summary>
    internal static void Transform(IVirtualDisk source, DiskChunk chunk, bool compress, int level)
    {
        var padded = chunk.PaddedLength;
        var data = chunk.Pool.Rent(padded);
        chunk.Data = data;
        source.Read(chunk.Offset, data.AsSpan(0, chunk.Length));
        data.AsSpan(chunk.Length, padded - chunk.Length).Clear();
        var block = chunk.BlockSize;
        var count = chunk.BlockCount;
        var states = ArrayPool<int>.Shared.Rent(count);
        chunk.BlockState = states;
        int[]? offsets = null;
        byte[]? compressed = null;
        var cursor = 0;
        if (compress)
        {
            offsets = ArrayPool<int>.Shared.Rent(count);
            compressed = chunk.Pool.Rent(padded);
            chunk.CompressedOffset = offsets;
            chunk.Compressed = compressed;
        }

        for (var i = 0; i < count; i++)
        {
            var span = data.AsSpan(i * block, block);
            if (span.IndexOfAnyExcept((byte)0) < 0)
            {
                states[i] = DiskChunk.Zero;
                continue;
            }

            if (compressed is null)
            {
                states[i] = DiskChunk.Plain;
                continue;
            }

            var n = Qcow2Compression.LooksIncompressible(data, i * block, block)
                ? -1
                : Qcow2Compression.Deflate(data, i * block, block, compressed, cursor, level);
            if (n < 0)
            {
                states[i] = DiskChunk.Plain;
                continue;
            }

            states[i] = n;
            offsets![i] = cursor;
            cursor += n;
        }
    }

    /// <summary>
    /// Readers block in pread and compressors keep a core busy; with the default minimum of one thread per core the
    /// pool would add threads only slowly (hill climbing). Raise the minimum so every in-flight chunk gets a thread.
    /// </summary>
    private static void EnsureThreads(int workers)
    {
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        if (minWorkers < workers)
        {
            ThreadPool.SetMinThreads(workers, minIo);
        }
    }

    private static async Task DrainAsync(Task producer, Task consumer, ChannelReader<Task<DiskChunk>> reader)
    {
        try
        {
            await Task.WhenAll(producer, consumer).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already being reported by the caller.
        }

        while (reader.TryRead(out var pending))
        {
            try
            {
                (await pending.ConfigureAwait(false)).Release();
            }
            catch (Exception)
            {
                // The chunk released its buffers itself.
            }
        }
    }

    private static long AlignDown(long v, long a) => v / a * a;

    private static long AlignUp(long v, long a) => (v + a - 1) / a * a;
}
