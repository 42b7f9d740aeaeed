using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Sources.VSphere;

/// <summary>One piece of a remote disk in guest order: a byte range of a datastore file, or zeros (<see cref="File"/> null).</summary>
public readonly record struct RemoteExtent(DatastorePath? File, long OffsetBytes, long LengthBytes);

/// <summary>
/// What a disk's descriptor on the datastore says about how it can be read: as one forward-only
/// stream of flat extents (<see cref="NotStreamableReason"/> null), or only after its files are
/// fetched (sparse extents, a snapshot chain, a binary hosted-sparse file).
/// </summary>
public sealed record RemoteDiskLayout(DatastorePath Descriptor, IReadOnlyList<RemoteExtent> Extents, string? NotStreamableReason)
{
    public bool Streamable => NotStreamableReason is null;

    public long Length => Extents.Sum(e => e.LengthBytes);
}

/// <summary>
/// The disks of a vSphere VM for the conversion pipeline. A disk whose descriptor has only flat
/// extents (ESXi's <c>vmfs</c> descriptor + <c>-flat.vmdk</c>, <c>monolithicFlat</c>, split flat, <c>ZERO</c>)
/// and no parent streams from <c>/folder</c> straight into the disk writer: no staging copy. Any
/// other layout (a snapshot chain, vmfsSparse/seSparse, hosted sparse, streamOptimized) has its
/// files fetched first into a staging folder under the output directory, which is removed on
/// dispose. Both paths resume with HTTP Range; several disks may be copied at once.
/// </summary>
public sealed class VSphereDiskOpener : IDiskOpener
{
    /// <summary>A text descriptor is small; a file larger than this is a binary (sparse) VMDK.</summary>
    public const long MaxDescriptorBytes = VmdkLimits.MaxDescriptorBytes;

    /// <summary>Bytes the pipe between a download and the copy engine holds before the download waits.</summary>
    private const long PipePauseBytes = 32L * 1024 * 1024;

    private readonly DatastoreDownloader _datastore;
    private readonly VSphereVm _vm;
    private readonly string _stagingDirectory;
    private readonly ILogger _log;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _streamed = new(StringComparer.Ordinal);
    private int _staged;

    public VSphereDiskOpener(DatastoreDownloader datastore, VSphereVm vm, string stagingParent, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(datastore);
        ArgumentNullException.ThrowIfNull(vm);
        _datastore = datastore;
        _vm = vm;
        _log = log ?? LogExtensions.None;

        // The PID lets a later run remove what a killed one left; the random part keeps the name from being planted in advance.
        var random = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
        _stagingDirectory = Path.Combine(stagingParent, $"{StagingPrefix}{SafeName(vm.Name)}-{Environment.ProcessId}-{random}");
        foreach (var stale in RemoveStaleStaging(stagingParent))
        {
            _log.Info($"download: removed {stale}, left by a run that no longer exists");
        }
    }

    public int MaxParallelDisks => Math.Max(1, _datastore.Options.MaxParallel);

    /// <summary>Disks that were streamed (no staging copy), by datastore path, for reports and tests.</summary>
    public IReadOnlyCollection<string> Streamed => _streamed.Keys.ToArray();

    public void Check(VirtualDisk disk, VmdkOpenOptions options)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if (disk.IsRawDevice)
        {
            throw new NotSupportedException($"disk {disk.Key}: {disk.FileName} is a raw device mapping; its data is on a LUN, not on the datastore");
        }

        _ = VSphereModel.DatastorePathOf(_vm, disk);
    }

    /// <summary>A datastore file has no digest to check (a streamed flat extent's length is checked as it is read).</summary>
    public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
    {
    }

    public string Describe(VirtualDisk disk)
    {
        var path = VSphereModel.DatastorePathOf(_vm, disk);
        return $"{path} on {_datastore.FolderUri(path).Authority}";
    }

    public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken) =>
        Task.Run(() => OpenAsync(disk, options, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    public async Task<IVirtualDisk> OpenAsync(VirtualDisk disk, VmdkOpenOptions options, CancellationToken ct)
    {
        Check(disk, options);
        var path = VSphereModel.DatastorePathOf(_vm, disk);
        var info = _vm.Info.Disks.FirstOrDefault(d => d.FileName == path.ToString());
        var layout = await ReadLayoutAsync(_datastore, path, info, ct).ConfigureAwait(false);
        if (layout.Streamable)
        {
            _log.Info($"download: {path}: {layout.Extents.Count} flat extent(s), {layout.Length} bytes, streamed into the disk writer (no staging copy)");
            _streamed[path.ToString()] = true;
            return OpenStream(layout, ct);
        }

        _log.Info($"download: {path}: {layout.NotStreamableReason}; fetching its files into {_stagingDirectory} first");
        var local = await StageAsync(path, ct).ConfigureAwait(false);
        return VmdkDisk.Open(local, options);
    }

    /// <summary>Reads the disk's descriptor (bounded) and decides how the disk can be read.</summary>
    public static async Task<RemoteDiskLayout> ReadLayoutAsync(DatastoreDownloader datastore, DatastorePath descriptor, VSphereDiskInfo? info, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(datastore);
        var listed = info?.Files.FirstOrDefault(f => f.Name == descriptor.ToString());
        if (listed is { Size: > MaxDescriptorBytes })
        {
            return new RemoteDiskLayout(descriptor, [], $"a binary VMDK of {listed.Size} bytes (hosted sparse or streamOptimized)");
        }

        var d = await ReadDescriptorAsync(datastore, descriptor, ct).ConfigureAwait(false);
        if (d is null)
        {
            return new RemoteDiskLayout(descriptor, [], $"a binary sparse VMDK (or a file over {MaxDescriptorBytes} bytes)");
        }

        return Layout(descriptor, d);
    }

    /// <summary>The text descriptor at <paramref name="path"/>; null when the file is a binary VMDK (KDMV, COWD) or too large to be a descriptor.</summary>
    private static async Task<VmdkDescriptor?> ReadDescriptorAsync(DatastoreDownloader datastore, DatastorePath path, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            bytes = await datastore.ReadAllBytesAsync(path, MaxDescriptorBytes, ct).ConfigureAwait(false);
        }
        catch (DatastoreFileTooLargeException)
        {
            return null;
        }

        return VmdkSniffer.DetectBinary(bytes) is VmdkFileKind.HostedSparse or VmdkFileKind.Cowd
            ? null
            : VmdkDescriptor.Parse(bytes, path.ToString());
    }

    /// <summary>The streamable layout of a parsed descriptor, or the reason it is not streamable.</summary>
    public static RemoteDiskLayout Layout(DatastorePath descriptor, VmdkDescriptor d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.HasParent)
        {
            return new RemoteDiskLayout(descriptor, [], $"a snapshot (parent {d.ParentFileNameHint ?? "?"}) read over its chain");
        }

        if (d.Extents.Count == 0)
        {
            throw new InvalidDataException($"{descriptor}: the descriptor lists no extents");
        }

        var extents = new List<RemoteExtent>();
        foreach (var e in d.Extents)
        {
            var bytes = checked(e.SizeSectors * 512);
            switch (e.Type)
            {
                case "ZERO":
                    extents.Add(new RemoteExtent(null, 0, bytes));
                    break;
                case "FLAT" or "VMFS" when e.Access != VmdkAccess.NoAccess && e.FileName is { Length: > 0 } name && !name.StartsWith('/'):
                    var dir = descriptor.Directory;
                    var file = new DatastorePath(descriptor.Datastore, dir.Length == 0 ? name : dir + "/" + name);
                    extents.Add(new RemoteExtent(file, checked(e.OffsetSectors * 512), bytes));
                    break;
                default:
                    return new RemoteDiskLayout(descriptor, [], $"a {e.Type} extent (line {e.LineNumber})");
            }
        }

        return new RemoteDiskLayout(descriptor, extents, null);
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_stagingDirectory))
            {
                Directory.Delete(_stagingDirectory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private StreamedDisk OpenStream(RemoteDiskLayout layout, CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipePauseBytes, resumeWriterThreshold: PipePauseBytes / 2, useSynchronizationContext: false));
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(() => ProduceAsync(layout, pipe.Writer, cts.Token), CancellationToken.None);
        var disk = new ForwardOnlyDisk(pipe.Reader.AsStream(), layout.Length, layout.Descriptor.ToString(), () => producer);
        return new StreamedDisk(disk, producer, cts);
    }

    private async Task ProduceAsync(RemoteDiskLayout layout, PipeWriter writer, CancellationToken ct)
    {
        Exception? failure = null;
        try
        {
            var output = writer.AsStream(leaveOpen: true);
            foreach (var e in layout.Extents)
            {
                if (e.File is not { } file)
                {
                    await WriteZerosAsync(output, e.LengthBytes, ct).ConfigureAwait(false);
                    continue;
                }

                var slice = new ExtentSliceStream(output, e.OffsetBytes, e.LengthBytes);
                var r = await _datastore.DownloadAsync(file, slice, null, ct).ConfigureAwait(false);
                if (slice.Passed != e.LengthBytes)
                {
                    throw new InvalidDataException($"{file}: the file has {r.Bytes} bytes, but {layout.Descriptor} needs {e.OffsetBytes + e.LengthBytes} (extent of {e.LengthBytes} bytes at offset {e.OffsetBytes})");
                }

                _log.Detail($"download: {file}: {r.Bytes} bytes streamed, {r.Resumes} resume(s){(r.ChecksumVerified ? ", Content-MD5 verified" : "")}");
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        await writer.CompleteAsync(failure).ConfigureAwait(false);
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static async Task WriteZerosAsync(Stream output, long length, CancellationToken ct)
    {
        var zeros = new byte[1024 * 1024];
        for (long done = 0; done < length;)
        {
            var n = (int)Math.Min(zeros.Length, length - done);
            await output.WriteAsync(zeros.AsMemory(0, n), ct).ConfigureAwait(false);
            done += n;
        }
    }

    private async Task<string> StageAsync(DatastorePath descriptor, CancellationToken ct)
    {
        // What the descriptors reference is exactly what the VMDK reader will open (layoutEx may list more, or stale names).
        var files = new List<DatastorePath> { descriptor };
        files.AddRange(await ReferencedFilesAsync(descriptor, ct).ConfigureAwait(false));
        var dir = Path.Combine(_stagingDirectory, "disk" + Interlocked.Increment(ref _staged).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        if (new DirectoryInfo(_stagingDirectory).LinkTarget is not null)
        {
            throw new IOException($"{_stagingDirectory}: the staging folder is a symbolic link (planted?); refused");
        }
        var items = files.Distinct().Select(p => new DownloadItem(p, Path.Combine(dir, p.FileName))).ToArray();
        var clash = items.GroupBy(i => i.LocalPath, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new NotSupportedException($"VM {_vm.Name}: two files of disk {descriptor} are both named {Path.GetFileName(clash.Key)} (in different folders or datastores)");
        }

        await _datastore.DownloadAllAsync(items, null, ct).ConfigureAwait(false);
        return Path.Combine(dir, descriptor.FileName);
    }

    /// <summary>The extent files and parents a text descriptor names, followed down the chain (bounded).</summary>
    private async Task<IReadOnlyList<DatastorePath>> ReferencedFilesAsync(DatastorePath descriptor, CancellationToken ct)
    {
        var found = new List<DatastorePath>();
        var current = descriptor;
        for (var depth = 0; depth < VmdkLimits.DefaultMaxChainDepth; depth++)
        {
            if (await ReadDescriptorAsync(_datastore, current, ct).ConfigureAwait(false) is not { } d)
            {
                return found; // a binary sparse file: it is its own extent
            }

            var dir = current.Directory;
            DatastorePath Near(string name) => new(current.Datastore, dir.Length == 0 ? name : dir + "/" + name);
            found.AddRange(d.Extents.Where(e => e.FileName is { Length: > 0 } && !e.FileName.StartsWith('/')).Select(e => Near(e.FileName!)));
            if (d.ParentFileNameHint is not { Length: > 0 } parent || parent.StartsWith('/'))
            {
                return found;
            }

            current = Near(parent);
            found.Add(current);
        }

        throw new InvalidDataException($"{descriptor}: snapshot chain deeper than {VmdkLimits.DefaultMaxChainDepth}");
    }

    private const string StagingPrefix = ".v2v-download-";

    /// <summary>
    /// Removes the staging folders (<c>.v2v-download-NAME-PID-RANDOM</c>) in <paramref name="parent"/> whose run is gone
    /// (its PID dead); this run's and any live run's are kept. A link with such a name is removed itself, never followed.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleStaging(string parent)
    {
        var removed = new List<string>();
        List<string> candidates;
        try
        {
            candidates = Directory.Exists(parent) ? Directory.EnumerateFileSystemEntries(parent, StagingPrefix + "*").ToList() : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (var path in candidates)
        {
            var m = System.Text.RegularExpressions.Regex.Match(Path.GetFileName(path), @"-(\d{1,9})(-[0-9a-f]{12})?$");
            if (!m.Success || !int.TryParse(m.Groups[1].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId || !Formats.Disk.NativeFile.IsProcessDead(pid))
            {
                continue;
            }

            try
            {
                var info = new DirectoryInfo(path);
                if (info.LinkTarget is not null || !info.Exists)
                {
                    File.Delete(path);
                }
                else
                {
                    info.Delete(recursive: true);
                }

                removed.Add(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return removed;
    }

    private static string SafeName(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>A streamed disk: disposing it stops its download.</summary>
    private sealed class StreamedDisk(ForwardOnlyDisk inner, Task producer, CancellationTokenSource cts) : IVirtualDisk
    {
        public long Length => inner.Length;

        public string Format => inner.Format;

        public void Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public IEnumerable<DiskExtent> GetExtents(long offset, long length) => inner.GetExtents(offset, length);

        public void Dispose()
        {
            cts.Cancel();
            inner.Dispose();
            try
            {
                producer.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
                // the copy has already failed or finished; its error was reported there
            }

            cts.Dispose();
        }
    }
}

/// <summary>
/// A write-only view that keeps bytes [skip, skip+take) of what is written to it and passes them
/// on; everything before and after is dropped (an extent's window of a datastore file).
/// </summary>
internal sealed class ExtentSliceStream(Stream inner, long skip, long take) : Stream
{
    private long _seen;

    /// <summary>Bytes passed on so far.</summary>
    public long Passed { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var start = _seen;
        _seen += buffer.Length;
        var from = Math.Max(start, skip);
        var to = Math.Min(_seen, skip + take);
        if (to > from)
        {
            await inner.WriteAsync(buffer.Slice((int)(from - start), (int)(to - from)), cancellationToken).ConfigureAwait(false);
            Passed += to - from;
        }
    }
}
