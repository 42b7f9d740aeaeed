using System.Diagnostics;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Ova;

/// <summary>
/// An OVA opened for reading: the container is detected from its magic bytes (tar, zip, gzip, xz; never only from
/// the extension), its members are listed, and each stored member can be read in place through a
/// <see cref="MemberStream"/> at its offset in the archive file.
/// <para>
/// In place or not: a member of an uncompressed tar, or a STORED zip member, is read in place with no copy.
/// A DEFLATED zip member needs one pass through an inflater to a temp file (<see cref="ExtractToTemp"/>).
/// A compressed OVA (<c>.ova.gz</c>, <c>.ova.xz</c>) cannot be read in place at all: a compressed stream has no
/// random access, so it is unpacked once, in one streaming pass, to a temp tar in the folder the caller gives
/// (gzip through <see cref="GZipStream"/>, xz through the <c>xz</c> program of xz-utils; without it a
/// NotSupportedException gives the unpack command). Every temp file is removed when the archive is disposed.
/// </para>
/// </summary>
public sealed class OvaArchive : IDisposable
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];

    private static ReadOnlySpan<byte> XzMagic => [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];

    private static ReadOnlySpan<byte> ZipLocalMagic => "PK\x03\x04"u8;

    private static ReadOnlySpan<byte> ZipEmptyMagic => "PK\x05\x06"u8;

    private readonly SafeFileHandle _handle;
    private readonly List<string> _tempFiles = [];
    private bool _disposed;

    private OvaArchive(string path, ArchiveFormat container, SafeFileHandle handle, ArchiveListing listing, string? unpackedTar)
    {
        Path = path;
        Container = container;
        _handle = handle;
        Listing = listing;
        UnpackedTar = unpackedTar;
        if (unpackedTar is not null)
        {
            _tempFiles.Add(unpackedTar);
        }
    }

    /// <summary>The OVA as the caller named it.</summary>
    public string Path { get; }

    /// <summary>The outer container: Tar, Zip, Gzip or Xz (the last two hold a tar).</summary>
    public ArchiveFormat Container { get; }

    /// <summary>The members (for a compressed OVA, those of the unpacked tar).</summary>
    public ArchiveListing Listing { get; }

    /// <summary>The temp tar a compressed OVA was unpacked to, or null when the OVA is read in place.</summary>
    public string? UnpackedTar { get; }

    /// <summary>The temp files made so far (removed on dispose).</summary>
    public IReadOnlyList<string> TempFiles => _tempFiles;

    /// <summary>The container named by the first bytes of a file (at least 512 for a v7 tar; 262 for ustar).</summary>
    public static ArchiveFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(XzMagic))
        {
            return ArchiveFormat.Xz;
        }

        if (head.StartsWith(GzipMagic))
        {
            return ArchiveFormat.Gzip;
        }

        if (head.StartsWith(ZipLocalMagic) || head.StartsWith(ZipEmptyMagic))
        {
            return ArchiveFormat.Zip;
        }

        if (head.Length >= TarLayout.BlockSize && TarHeader.HasValidChecksum(head))
        {
            return ArchiveFormat.Tar;
        }

        return ArchiveFormat.Unknown;
    }

    /// <summary>Detects the container of the file at <paramref name="path"/>.</summary>
    public static ArchiveFormat Detect(string path)
    {
        using var handle = InputFile.Open(path, new InputFileOptions { What = "OVA" });
        return Detect(handle);
    }

    private static ArchiveFormat Detect(SafeFileHandle handle)
    {
        var head = new byte[TarLayout.BlockSize];
        var n = RandomAccess.Read(handle, head, 0);
        return Detect(head.AsSpan(0, n));
    }

    /// <summary>
    /// Opens an OVA. <paramref name="tempFolder"/> is where a compressed OVA is unpacked (required for .ova.gz and
    /// .ova.xz, unused otherwise). Links, devices and other skipped entries are logged as warnings.
    /// </summary>
    public static OvaArchive Open(string path, string? tempFolder = null, ILogger? log = null, CancellationToken cancellationToken = default)
    {
        log ??= LogExtensions.None;
        var handle = InputFile.Open(path, new InputFileOptions { What = "OVA" });
        string? unpacked = null;
        try
        {
            var container = Detect(handle);
            var listed = handle;
            switch (container)
            {
                case ArchiveFormat.Gzip:
                case ArchiveFormat.Xz:
                    unpacked = Unpack(path, container, tempFolder, log, cancellationToken);
                    handle.Dispose();
                    handle = InputFile.Open(unpacked, new InputFileOptions { What = "unpacked OVA" });

                    // Unlinked at once, kept open: nothing is left behind, not even after a kill.
                    TryDelete(unpacked);
                    if (Detect(handle) != ArchiveFormat.Tar)
                    {
                        throw new InvalidDataException($"{path}: the {container} stream does not hold a tar archive (field \"tar header\" of the unpacked data is not valid)");
                    }

                    break;
                case ArchiveFormat.Tar:
                case ArchiveFormat.Zip:
                    break;
                default:
                    throw new InvalidDataException($"{path}: field \"magic\" is not that of an OVA container (neither a tar, a zip, a gzip nor an xz file)");
            }

            var listing = container == ArchiveFormat.Zip
                ? ZipCentralDirectory.List(handle, path, cancellationToken)
                : TarArchive.List(handle, path, cancellationToken);
            foreach (var s in listing.Skipped)
            {
                if (s.Reason == "a directory")
                {
                    log.Detail($"{path}: {s.Name} skipped: {s.Reason}");
                }
                else
                {
                    log.Warn($"member \"{s.Name}\" skipped: it is {s.Reason}", path);
                }
            }

            return new OvaArchive(path, container, handle, listing, unpacked) { UnpackedBytes = unpacked is null ? 0 : RandomAccess.GetLength(handle) };
        }
        catch
        {
            handle.Dispose();
            if (unpacked is not null)
            {
                TryDelete(unpacked);
            }

            throw;
        }
    }

    /// <summary>A seekable read-only view of a stored member, read in place (no copy). Deflated members: <see cref="ExtractToTemp"/>.</summary>
    public MemberStream OpenMember(ArchiveMember member)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!member.IsReadableInPlace)
        {
            throw new ArgumentException($"{Path}: member \"{member.Name}\" is {member.Storage}: it cannot be read in place, extract it with ExtractToTemp first", nameof(member));
        }

        return new MemberStream(_handle, member.DataOffset, member.Size);
    }

    /// <summary>
    /// A stored member as a <see cref="DiskFile"/> window of the archive, read in place (no copy); the archive keeps
    /// the handle, so the window must not outlive it.
    /// </summary>
    public DiskFile Window(ArchiveMember member, string name, IReadObserver? observer = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!member.IsReadableInPlace)
        {
            throw new ArgumentException($"{Path}: member \"{member.Name}\" is {member.Storage}: it cannot be read in place", nameof(member));
        }

        return DiskFile.Window(_handle, member.DataOffset, member.Size, name, observer);
    }

    /// <summary>The bytes of a member as stored in the archive (deflated for a DEFLATED zip member), read in place.</summary>
    public Stream OpenStored(ArchiveMember member)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new MemberStream(_handle, member.DataOffset, member.StoredLength);
    }

    /// <summary>Bytes of the temp tar a compressed OVA was unpacked to (0 when read in place).</summary>
    public long UnpackedBytes { get; private set; }

    /// <summary>
    /// Inflates a DEFLATED member, in one pass, to a temp file in <paramref name="tempFolder"/> and returns its path
    /// (removed on dispose). The inflated size must be the size the directory declares.
    /// </summary>
    public string ExtractToTemp(ArchiveMember member, string tempFolder, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(tempFolder);
        var target = System.IO.Path.Combine(tempFolder, $".v2v-ova-{Guid.NewGuid():N}-{System.IO.Path.GetFileName(member.Name)}");
        _tempFiles.Add(target);
        using var raw = new MemberStream(_handle, member.DataOffset, member.StoredLength);
        using Stream source = member.Storage == MemberStorage.Deflated ? new DeflateStream(raw, CompressionMode.Decompress) : raw;
        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var copied = CopyBounded(source, output, member.Size, cancellationToken);
        if (copied != member.Size)
        {
            throw new InvalidDataException($"{Path}: member \"{member.Name}\": field \"uncompressed size\" says {member.Size} bytes but the data inflates to {(copied > member.Size ? "more" : copied.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }

        return target;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _handle.Dispose();
        foreach (var f in _tempFiles)
        {
            TryDelete(f);
        }
    }

    private static string Unpack(string path, ArchiveFormat container, string? tempFolder, ILogger log, CancellationToken cancellationToken)
    {
        var unpackCommand = container == ArchiveFormat.Gzip ? $"gzip -dk '{path}'" : $"xz -dk '{path}'";
        if (string.IsNullOrEmpty(tempFolder))
        {
            throw new ArgumentException($"{path}: a {container}-compressed OVA cannot be read in place; a temp folder is needed to unpack it (or unpack it first: {unpackCommand})", nameof(tempFolder));
        }

        var target = System.IO.Path.Combine(tempFolder, $".v2v-ova-{Guid.NewGuid():N}.tar");
        log.Info($"{path}: {container}-compressed OVA: unpacking once to {target} (compressed data has no random access)");
        try
        {
            if (container == ArchiveFormat.Gzip)
            {
                using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                using var gz = new GZipStream(input, CompressionMode.Decompress);
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                CopyBounded(gz, output, long.MaxValue, cancellationToken);
            }
            else
            {
                UnpackXz(path, target, unpackCommand, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            TryDelete(target);
            throw new InvalidDataException($"{path}: the {container} stream is damaged: {e.Message}", e);
        }
        catch
        {
            TryDelete(target);
            throw;
        }

        return target;
    }

    private static void UnpackXz(string path, string target, string unpackCommand, CancellationToken cancellationToken)
    {
        var xz = V2VConverter.Model.IO.HostProgram.Find("xz") ?? throw new NotSupportedException($"{path}: reading an xz-compressed OVA needs the xz program (package xz-utils), which is not installed; unpack it first: {unpackCommand}");
        var psi = new ProcessStartInfo(xz) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-dc");
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi) ?? throw new IOException($"{path}: could not start {xz}");
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                CopyBounded(p.StandardOutput.BaseStream, output, long.MaxValue, cancellationToken);
            }

            p.WaitForExit();
        }
        catch
        {
            if (!p.HasExited)
            {
                p.Kill();
            }

            throw;
        }

        if (p.ExitCode != 0)
        {
            var err = stderr.IsCompletedSuccessfully ? stderr.Result.Trim() : "";
            throw new InvalidDataException($"{path}: xz -dc exited {p.ExitCode}: {err}");
        }
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes (plus one, to notice more); returns the count.</summary>
    private static long CopyBounded(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long total = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = source.Read(buffer, 0, buffer.Length);
                if (n == 0)
                {
                    return total;
                }

                if (n > limit - total)
                {
                    destination.Write(buffer, 0, (int)(limit - total));
                    return limit + 1;
                }

                destination.Write(buffer, 0, n);
                total += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
