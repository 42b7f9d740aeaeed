using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Ova;

/// <summary>How an <see cref="OvfPackage"/> is opened.</summary>
public sealed record OvfPackageOptions
{
    /// <summary>
    /// Where the one-pass temp copies go when a file cannot be read in place (a compressed OVA, a deflated zip member,
    /// a gzip-compressed disk): the output folder, so the space is where the user expects it. Null: the system's temp folder.
    /// The copies have no name (O_TMPFILE): nothing is left behind, even after a kill.
    /// </summary>
    public string? TempFolder { get; init; }

    /// <summary>Check the manifest's digests (false: <c>--no-verify-manifest</c>, with a warning).</summary>
    public bool VerifyManifest { get; init; } = true;

    public ILogger Log { get; init; } = LogExtensions.None;

    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// An OVF package: an OVA (tar, zip, or a gzip/xz-compressed tar) or an unpacked folder (<c>X.ovf</c> with its files
/// beside it). It gives the descriptor's bytes, and the package's files to the disk engine as an
/// <see cref="IDiskContainer"/>: a file in an uncompressed tar (or a stored zip member, or a folder) is read in place,
/// at its offset, with no copy. Only what cannot be (see <see cref="OvfPackageOptions.TempFolder"/>) gets one pass to
/// a temp file.
/// <para>
/// The manifest (<c>.mf</c>): every digest of a file the conversion reads is taken from the bytes the conversion reads,
/// in the same pass (<see cref="MemberDigest"/>), and checked by <see cref="Verify"/> once the copy is done, before
/// anything is put under its final name. The descriptor, read whole, is checked when the package is opened.
/// </para>
/// </summary>
public sealed class OvfPackage : IDiskContainer, IDisposable
{
    private readonly object _gate = new();
    private readonly OvaArchive? _archive;
    private readonly string? _realRoot;
    private readonly OvfPackageOptions _options;
    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _compression = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unlisted = new(StringComparer.Ordinal);
    private long _extractedBytes;
    private bool _disposed;

    private OvfPackage(string origin, string root, OvaArchive? archive, OvfPackageOptions options)
    {
        Origin = origin;
        Root = root;
        _archive = archive;
        _options = options;
        _realRoot = archive is null ? InputFile.RealPath(root) : null;
    }

    /// <summary>The package as the user named it (X.ova, or X.ovf).</summary>
    public string Origin { get; }

    /// <summary>The OVA's full path, or the folder of the .ovf: every file of the package lies under it.</summary>
    public string Root { get; }

    /// <summary>What the package is: "tar", "zip", "gzip-compressed tar", "xz-compressed tar" or "folder".</summary>
    public string Kind => _archive is null ? "folder" : _archive.Container switch
    {
        ArchiveFormat.Gzip => "gzip-compressed tar",
        ArchiveFormat.Xz => "xz-compressed tar",
        var c => c.ToString().ToLowerInvariant(),
    };

    /// <summary>The descriptor's name in the package ("X.ovf").</summary>
    public string DescriptorName { get; private set; } = "";

    /// <summary>The descriptor as named in messages ("X.ova/X.ovf", or the .ovf's path).</summary>
    public string DescriptorPath => Path.Combine(Root, DescriptorName);

    /// <summary>The descriptor's bytes (at most <see cref="MaxDescriptorBytes"/>).</summary>
    public byte[] Descriptor { get; private set; } = [];

    /// <summary>The manifest, or null when there is none or it is not checked.</summary>
    public OvaManifest? Manifest { get; private set; }

    /// <summary>Bytes written to temp files so far: the unpacked tar of a compressed OVA, and every file that had to be inflated.</summary>
    public long TempBytes => (_archive?.UnpackedBytes ?? 0) + Interlocked.Read(ref _extractedBytes);

    /// <summary>The largest descriptor read (OVF descriptors are a few KiB; vSphere's largest are well under 1 MiB).</summary>
    public const int MaxDescriptorBytes = 16 << 20;

    /// <summary>
    /// Opens X.ova (any container, found from its magic bytes, not its name) or X.ovf (a folder). Reads the descriptor
    /// and the manifest, and checks the descriptor's digest.
    /// </summary>
    public static OvfPackage Open(string path, OvfPackageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OvfPackageOptions();
        var full = Path.GetFullPath(path);
        if (full.EndsWith(".ovf", StringComparison.OrdinalIgnoreCase))
        {
            var folder = new OvfPackage(path, Path.GetDirectoryName(full) ?? "/", null, options);
            try
            {
                folder.LoadFolder(Path.GetFileName(full));
                return folder;
            }
            catch
            {
                folder.Dispose();
                throw;
            }
        }

        var archive = OvaArchive.Open(full, TempFolderFor(options), options.Log, options.Cancellation);
        var package = new OvfPackage(path, full, archive, options);
        try
        {
            package.LoadArchive(archive);
            return package;
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The OVA a member path lies in (<c>X.ova/disk1.vmdk</c>: the nearest enclosing path that is a file), opened to read
    /// its members in place; null when <paramref name="path"/> is itself a file and no member was named.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither the path nor any enclosing path is a file.</exception>
    public static OvfPackage? OpenEnclosing(string path, bool memberGiven)
    {
        if (File.Exists(path) && !memberGiven)
        {
            return null;
        }

        for (var archive = Path.GetDirectoryName(path); !string.IsNullOrEmpty(archive); archive = Path.GetDirectoryName(archive))
        {
            if (File.Exists(archive))
            {
                return Open(archive);
            }

            if (Directory.Exists(archive))
            {
                break;
            }
        }

        throw new FileNotFoundException($"{path}: no such file", path);
    }

    /// <summary>
    /// The path of a descriptor reference (an ovf:href) in the package. The descriptor's parser has already refused an
    /// absolute href, a URL and a <c>../</c>; this refuses them again, so no caller can leave the package.
    /// </summary>
    public string PathOf(string href)
    {
        var name = ArchiveLimits.NormalizeName(DescriptorPath, "ovf:href", href);
        return Path.Combine(Root, name);
    }

    /// <summary>True when the package holds the file at <paramref name="path"/> (under <see cref="Root"/>).</summary>
    public bool Exists(string path)
    {
        var name = NameOf(path);
        return _archive is not null ? _archive.Listing.Find(name) is not null : File.Exists(Path.Combine(Root, name));
    }

    /// <summary>Declares that the file at <paramref name="path"/> is stored compressed (<c>ovf:compression</c>, only "gzip"): it is read inflated.</summary>
    public void SetCompression(string path, string compression)
    {
        if (!compression.Equals("gzip", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"{DescriptorPath}: <File> {NameOf(path)}: ovf:compression=\"{compression}\" is not supported (only gzip)");
        }

        _compression[NameOf(path)] = "gzip";
    }

    /// <summary>Opens a file of the package for the disk engine: in place when it can be, else once through a temp file.</summary>
    public DiskFile Open(string path)
    {
        var name = NameOf(path);
        var display = Path.Combine(Root, name);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var t = Track(name, display);
            if (t.Inflated is { } temp)
            {
                return DiskFile.Window(temp, 0, RandomAccess.GetLength(temp), display);
            }

            var gzip = _compression.ContainsKey(name);
            var storage = _archive?.Listing.Find(name)?.Storage ?? MemberStorage.Stored;
            if (!gzip && storage == MemberStorage.Stored)
            {
                return OpenInPlace(name, display, t.Digest);
            }

            t.Inflated = Inflate(name, display, gzip, storage, t.Digest);
            return DiskFile.Window(t.Inflated, 0, RandomAccess.GetLength(t.Inflated), display);
        }
    }

    /// <summary>
    /// Checks the digest of a file the conversion has read (only the bytes nobody read are read here). A file the
    /// manifest does not list is a warning, once. No-op without a manifest or with <c>--no-verify-manifest</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">The digests differ.</exception>
    public void Verify(string path, CancellationToken cancellationToken = default)
    {
        var name = NameOf(path);
        MemberDigest? digest;
        lock (_gate)
        {
            digest = Track(name, Path.Combine(Root, name)).Digest;
        }

        var display = Path.Combine(Root, name);
        if (digest is not null)
        {
            digest.Verify(cancellationToken);
            _options.Log.Info($"{display}: {digest.Expected.Algorithm.Name} digest verified in the conversion's own pass ({digest.CatchUpBytes} bytes the conversion skipped read here)");
        }

        _options.Log.Info($"{display}: {TempBytes} bytes through temp files ({(TempBytes == 0 ? "read in place" : "inflated first, as the container or the file is compressed")})");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var t in _tracked.Values)
            {
                t.Dispose();
            }

            _archive?.Dispose();
        }
    }

    private static string TempFolderFor(OvfPackageOptions options)
    {
        var folder = options.TempFolder ?? Path.GetTempPath();
        Directory.CreateDirectory(folder);
        return folder;
    }

    private string NameOf(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.TrimEndingDirectorySeparator(Root) + "/";
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a file of the package {Origin}; refused");
        }

        return ArchiveLimits.NormalizeName(Origin, "file name", full[root.Length..]);
    }

    private void LoadArchive(OvaArchive archive)
    {
        var descriptors = archive.Listing.Members.Where(m => m.Name.EndsWith(".ovf", StringComparison.OrdinalIgnoreCase)).ToList();
        if (descriptors.Count == 0)
        {
            throw new InvalidDataException($"{Origin}: the {Kind} holds no .ovf descriptor (members: {string.Join(", ", archive.Listing.Members.Take(8).Select(m => m.Name))})");
        }

        if (descriptors.Count > 1)
        {
            _options.Log.Warn($"{descriptors.Count} .ovf descriptors; reading {descriptors[0].Name}", Origin);
        }

        var ovf = descriptors[0];
        DescriptorName = ovf.Name;
        if (ovf.Size > MaxDescriptorBytes)
        {
            throw new InvalidDataException($"{DescriptorPath}: the descriptor has the bad size {ovf.Size} bytes (bound {MaxDescriptorBytes})");
        }

        // Read whole, in memory (a deflated zip member inflated on the way), bounded by the size checked above.
        using (Stream s = ovf.IsReadableInPlace ? archive.OpenMember(ovf) : new DeflateStream(archive.OpenStored(ovf), CompressionMode.Decompress))
        {
            Descriptor = new byte[ovf.Size];
            s.ReadExactly(Descriptor);
            if (s.ReadByte() >= 0)
            {
                throw new InvalidDataException($"{DescriptorPath}: field \"uncompressed size\" says {ovf.Size} bytes but the data inflates to more");
            }
        }

        LoadManifest(() => OvaManifest.Load(archive, _options.Log));
    }

    private void LoadFolder(string ovfName)
    {
        DescriptorName = ovfName;
        Descriptor = InputFile.ReadAllBytes(DescriptorPath, MaxDescriptorBytes, new InputFileOptions { What = "OVF descriptor" });
        LoadManifest(() =>
        {
            foreach (var cert in Directory.EnumerateFiles(Root, Path.GetFileNameWithoutExtension(ovfName) + ".cert"))
            {
                _options.Log.Warn($"{cert}: {OvaManifest.SignatureNotVerified}");
            }

            var mf = Path.ChangeExtension(DescriptorPath, ".mf");
            if (!File.Exists(mf))
            {
                _options.Log.Warn($"no manifest ({Path.GetFileName(mf)}): the files' checksums cannot be verified", Origin);
                return null;
            }

            return OvaManifest.Parse(InputFile.ReadAllText(mf, OvaManifest.MaxBytes, new InputFileOptions { What = "manifest", ConfineTo = _realRoot }), mf, _options.Log);
        });
    }

    private void LoadManifest(Func<OvaManifest?> load)
    {
        if (!_options.VerifyManifest)
        {
            _options.Log.Warn("--no-verify-manifest: the manifest's digests are not checked", Origin);
            return;
        }

        Manifest = load();
        if (Manifest?.For(DescriptorName) is { } entry)
        {
            CheckWhole(entry, Descriptor);
        }
    }

    private void CheckWhole(ManifestEntry entry, byte[] bytes)
    {
        var actual = Convert.ToHexStringLower(entry.Algorithm.Name switch
        {
            "SHA1" => System.Security.Cryptography.SHA1.HashData(bytes),
            "SHA512" => System.Security.Cryptography.SHA512.HashData(bytes),
            _ => System.Security.Cryptography.SHA256.HashData(bytes),
        });
        if (!string.Equals(actual, entry.Digest, StringComparison.OrdinalIgnoreCase))
        {
            throw MemberDigest.Mismatch(DescriptorPath, entry, actual);
        }
    }

    /// <summary>The digest state of a file, made on first use (with its own unobserved reader for the catch-up).</summary>
    private Tracked Track(string name, string display)
    {
        if (_tracked.TryGetValue(name, out var t))
        {
            return t;
        }

        MemberDigest? digest = null;
        DiskFile? reader = null;
        if (Manifest?.For(name) is { } entry)
        {
            // The digest covers the file as the package holds it. A deflated zip member's content exists only as it is
            // inflated, in one pass that the digest sees whole: it has no reader to catch up with.
            var deflated = _archive?.Listing.Find(name) is { IsReadableInPlace: false };
            reader = deflated ? null : OpenInPlace(name, display, null);
            digest = new MemberDigest(entry, reader, display);
        }
        else if (Manifest is not null && _unlisted.Add(name))
        {
            _options.Log.Warn($"{display}: the manifest {Manifest.Source} has no digest for this file; it is not verified");
        }

        t = new Tracked(reader, digest);
        _tracked[name] = t;
        return t;
    }

    /// <summary>The file's bytes in place: a window of the archive, or the host file confined to the folder.</summary>
    private DiskFile OpenInPlace(string name, string display, IReadObserver? observer)
    {
        if (_archive is null)
        {
            try
            {
                return DiskFile.Open(Path.Combine(Root, name), new InputFileOptions { ConfineTo = _realRoot }, out _, observer);
            }
            catch (InputOutsideFolderException ex)
            {
                throw new InvalidDataException($"{display}: resolves to {ex.RealPath}, outside the package folder {ex.Folder}; refused", ex);
            }
        }

        var member = _archive.Listing.Find(name) ?? throw new FileNotFoundException($"{Origin}: the {Kind} has no member \"{name}\"", display);
        return _archive.Window(member, display, observer);
    }

    /// <summary>
    /// One pass to an unnamed temp file: a gzip-compressed file (its digest is of the compressed bytes, taken as they
    /// are read), or a deflated zip member (its digest is of the inflated bytes, taken as they are written).
    /// </summary>
    private SafeFileHandle Inflate(string name, string display, bool gzip, MemberStorage storage, MemberDigest? digest)
    {
        var folder = TempFolderFor(_options);
        _options.Log.Info($"{display}: stored {(gzip ? "gzip-compressed" : storage.ToString().ToLowerInvariant())}; inflating it once to a temp file in {folder} (compressed data has no random access)");
        var temp = NativeFile.CreateUnlinkedTemp(folder);
        try
        {
            Stream source;
            if (_archive is not null && storage != MemberStorage.Stored)
            {
                source = new DeflateStream(_archive.OpenStored(_archive.Listing.Find(name)!.Value), CompressionMode.Decompress);
            }
            else
            {
                source = new DiskFileStream(OpenInPlace(name, display, gzip ? digest : null));
            }

            long length;
            using (source)
            using (var inflated = gzip ? new GZipStream(source, CompressionMode.Decompress) : source)
            {
                length = CopyTo(inflated, temp, display, gzip ? null : digest);
            }

            if (!gzip && _archive!.Listing.Find(name) is { } m && m.Size != length)
            {
                throw new InvalidDataException($"{display}: field \"uncompressed size\" says {m.Size} bytes but the data inflates to {length}");
            }

            return temp;
        }
        catch (InvalidDataException e)
        {
            temp.Dispose();
            throw new InvalidDataException($"{display}: the {(gzip ? "gzip" : "deflate")} stream is damaged: {e.Message}", e);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    private long CopyTo(Stream source, SafeFileHandle temp, string display, MemberDigest? observe)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long at = 0;
            int n;
            while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                _options.Cancellation.ThrowIfCancellationRequested();
                if (at + n > DiskLimits.MaxVirtualSizeBytes * 2)
                {
                    throw new InvalidDataException($"{display}: inflates to more than {DiskLimits.MaxVirtualSizeBytes * 2} bytes (bound)");
                }

                RandomAccess.Write(temp, buffer.AsSpan(0, n), at);
                observe?.Observed(at, buffer.AsSpan(0, n));
                at += n;
                Interlocked.Add(ref _extractedBytes, n);
            }

            return at;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed class Tracked(DiskFile? reader, MemberDigest? digest) : IDisposable
    {
        public MemberDigest? Digest => digest;

        public SafeFileHandle? Inflated { get; set; }

        public void Dispose()
        {
            digest?.Dispose();
            reader?.Dispose();
            Inflated?.Dispose();
        }
    }

    /// <summary>A forward-only stream over a <see cref="DiskFile"/> (its observer sees the bytes in order); owns the file.</summary>
    private sealed class DiskFileStream(DiskFile file) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException("a forward-only stream has no length");

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException("a forward-only stream cannot seek");
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = file.Read(buffer, _position);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a forward-only stream cannot seek");

        public override void SetLength(long value) => throw new NotSupportedException("a read-only stream");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a read-only stream");

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
