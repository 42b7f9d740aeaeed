using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using V2VConverter.Formats.Disk;
using V2VConverter.Model.IO;

namespace V2VConverter.Formats.Qcow2;

/// <summary>
/// Read-only qcow2 (v2/v3) image: standard, zero-flagged and zlib-compressed clusters. Backing files, encryption,
/// external data files, extended L2 and zstd are refused with <see cref="NotSupportedException"/>. Thread-safe.
/// </summary>
public sealed class Qcow2Disk : IVirtualDisk
{
    private const int HeaderProbeBytes = 4096;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly long _fileLength;
    private readonly ulong[] _l1;
    private readonly int _clusterBits;
    private readonly long _clusterSize;
    private readonly int _l2Bits;
    private readonly ulong _compressedOffsetMask;
    private readonly int _compressedOffsetBits;
    private readonly ulong _compressedSectorsMask;
    private readonly bool _zeroFlagValid;
    private readonly Lock _cacheLock = new();
    private readonly Dictionary<long, ulong[]> _l2Cache = [];
    private readonly Queue<long> _l2Order = new();
    private readonly int _l2CacheCapacity;

    // The most recently used L2 table: readers in guest order hit it without taking the cache lock.
    private L2Ref? _lastL2;

    private Qcow2Disk(SafeFileHandle handle, string path, long fileLength, Qcow2Header header, ulong[] l1)
    {
        _handle = handle;
        _path = path;
        _fileLength = fileLength;
        Header = header;
        _l1 = l1;
        _clusterBits = header.ClusterBits;
        _clusterSize = header.ClusterSize;
        _l2Bits = _clusterBits - 3;
        _compressedOffsetBits = Qcow2Layout.CompressedOffsetBits(_clusterBits);
        _compressedOffsetMask = (1UL << _compressedOffsetBits) - 1;
        _compressedSectorsMask = (1UL << (_clusterBits - 8)) - 1;
        _zeroFlagValid = header.Version >= 3;
        _l2CacheCapacity = (int)Math.Clamp(16L * 1024 * 1024 / _clusterSize, 4, 256);
        Length = (long)header.Size;
    }

    public Qcow2Header Header { get; }

    public long Length { get; }

    public string Format => "qcow2";

    public long ClusterSize => _clusterSize;

    /// <summary>Opens a qcow2 image: a regular file or a block device (see <see cref="InputFile"/> for what is refused).</summary>
    public static Qcow2Disk Open(string path)
    {
        var handle = InputFile.Open(path, DiskImage.ExplicitImage);
        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            var probe = new byte[(int)Math.Min(HeaderProbeBytes, fileLength)];
            ReadExactly(handle, probe, 0, path);
            var header = Qcow2Header.Parse(probe);
            header.Validate(path, fileLength);
            if (header.Version >= 3 && header.HeaderLength > probe.Length)
            {
                throw new EndOfStreamException($"{path}: qcow2 header_length {header.HeaderLength} extends past the end of the file");
            }

            var l1 = new ulong[header.L1Size];
            if (l1.Length > 0)
            {
                var raw = new byte[l1.Length * 8];
                ReadExactly(handle, raw, (long)header.L1TableOffset, path);
                for (var i = 0; i < l1.Length; i++)
                {
                    l1[i] = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8));
                }
            }

            return new Qcow2Disk(handle, path, fileLength, header, l1);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Read(long offset, Span<byte> buffer)
    {
        DiskArgs.CheckRead(offset, buffer.Length, Length);

        var pos = offset;
        var done = 0;
        while (done < buffer.Length)
        {
            var cluster = pos >> _clusterBits;
            var inCluster = (int)(pos & (_clusterSize - 1));
            var n = (int)Math.Min(_clusterSize - inCluster, buffer.Length - done);
            var entry = GetL2Entry(cluster);
            if ((entry & Qcow2Layout.CompressedFlag) != 0)
            {
                ReadCompressed(cluster, entry, inCluster, buffer.Slice(done, n));
            }
            else if (IsZeroOrUnallocated(entry))
            {
                buffer.Slice(done, n).Clear();
            }
            else
            {
                // Coalesce clusters that are contiguous on the host into one pread.
                var host = HostOffset(cluster, entry);
                while (done + n < buffer.Length)
                {
                    var next = GetL2Entry(cluster + 1);
                    if ((next & Qcow2Layout.CompressedFlag) != 0 || IsZeroOrUnallocated(next)
                        || HostOffset(cluster + 1, next) != host + (n + inCluster))
                    {
                        break;
                    }

                    cluster++;
                    n += (int)Math.Min(_clusterSize, buffer.Length - done - n);
                }

                ReadHost(host + inCluster, buffer.Slice(done, n));
            }

            done += n;
            pos += n;
        }
    }

    public IEnumerable<DiskExtent> GetExtents(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var end = Math.Min(Length, offset + length);
        var pos = offset;
        var runStart = offset;
        ExtentKind? runKind = null;
        while (pos < end)
        {
            var cluster = pos >> _clusterBits;
            var l1Index = cluster >> _l2Bits;
            ExtentKind kind;
            long next;
            if (_l1[l1Index] == 0 || (_l1[l1Index] & Qcow2Layout.OffsetMask) == 0)
            {
                kind = ExtentKind.Unallocated;
                next = (l1Index + 1) << (_l2Bits + _clusterBits);
            }
            else
            {
                var entry = GetL2Entry(cluster);
                kind = (entry & Qcow2Layout.CompressedFlag) != 0 ? ExtentKind.Data
                    : _zeroFlagValid && (entry & Qcow2Layout.ZeroFlag) != 0 ? ExtentKind.Zero
                    : (entry & Qcow2Layout.OffsetMask) == 0 ? ExtentKind.Unallocated
                    : ExtentKind.Data;
                next = (cluster + 1) << _clusterBits;
            }

            next = Math.Min(next, end);
            if (runKind != kind)
            {
                if (runKind is { } k)
                {
                    yield return new DiskExtent(runStart, pos - runStart, k);
                }

                runKind = kind;
                runStart = pos;
            }

            pos = next;
        }

        if (runKind is { } last)
        {
            yield return new DiskExtent(runStart, end - runStart, last);
        }
    }

    public void Dispose() => _handle.Dispose();

    private bool IsZeroOrUnallocated(ulong entry) =>
        (_zeroFlagValid && (entry & Qcow2Layout.ZeroFlag) != 0) || (entry & Qcow2Layout.OffsetMask) == 0;

    private long HostOffset(long cluster, ulong entry)
    {
        var host = (long)(entry & Qcow2Layout.OffsetMask);
        if ((host & (_clusterSize - 1)) != 0 || host >= _fileLength)
        {
            throw new InvalidDataException($"{_path}: qcow2 L2 entry for guest cluster {cluster} has host offset 0x{host:X}, not cluster aligned or past the end of the file ({_fileLength} bytes)");
        }

        return host;
    }

    private ulong GetL2Entry(long cluster)
    {
        var l1Index = cluster >> _l2Bits;
        if ((ulong)l1Index >= (ulong)_l1.Length)
        {
            return 0;
        }

        var l2Offset = (long)(_l1[l1Index] & Qcow2Layout.OffsetMask);
        if (l2Offset == 0)
        {
            return 0;
        }

        var table = GetL2Table(l1Index, l2Offset);
        return table[cluster & ((1L << _l2Bits) - 1)];
    }

    private ulong[] GetL2Table(long l1Index, long l2Offset)
    {
        if (_lastL2 is { } last && last.Index == l1Index)
        {
            return last.Table;
        }

        var table = LoadL2Table(l1Index, l2Offset);
        _lastL2 = new L2Ref(l1Index, table);
        return table;
    }

    private ulong[] LoadL2Table(long l1Index, long l2Offset)
    {
        lock (_cacheLock)
        {
            if (_l2Cache.TryGetValue(l1Index, out var cached))
            {
                return cached;
            }
        }

        if ((l2Offset & (_clusterSize - 1)) != 0 || l2Offset + _clusterSize > _fileLength)
        {
            throw new InvalidDataException($"{_path}: qcow2 L1 entry {l1Index} has L2 offset 0x{l2Offset:X}, not cluster aligned or past the end of the file ({_fileLength} bytes)");
        }

        var raw = ArrayPool<byte>.Shared.Rent((int)_clusterSize);
        try
        {
            ReadExactly(_handle, raw.AsSpan(0, (int)_clusterSize), l2Offset, _path);
            var table = new ulong[_clusterSize / 8];
            for (var i = 0; i < table.Length; i++)
            {
                table[i] = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8));
            }

            lock (_cacheLock)
            {
                if (_l2Cache.TryAdd(l1Index, table))
                {
                    _l2Order.Enqueue(l1Index);
                    while (_l2Order.Count > _l2CacheCapacity)
                    {
                        _l2Cache.Remove(_l2Order.Dequeue());
                    }
                }
            }

            return table;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private void ReadCompressed(long cluster, ulong entry, int inCluster, Span<byte> dest)
    {
        var descriptor = entry & ~(Qcow2Layout.CompressedFlag | Qcow2Layout.CopiedFlag);
        var hostOffset = (long)(descriptor & _compressedOffsetMask);
        var extraSectors = (long)((descriptor >> _compressedOffsetBits) & _compressedSectorsMask);
        var compressedLength = ((extraSectors + 1) * Qcow2Layout.SectorSize) - (hostOffset % Qcow2Layout.SectorSize);
        if (hostOffset >= _fileLength)
        {
            throw new InvalidDataException($"{_path}: qcow2 compressed descriptor for guest cluster {cluster} has offset 0x{hostOffset:X} past the end of the file ({_fileLength} bytes)");
        }

        compressedLength = Math.Min(compressedLength, _fileLength - hostOffset);
        var input = ArrayPool<byte>.Shared.Rent((int)compressedLength);
        var output = ArrayPool<byte>.Shared.Rent((int)_clusterSize);
        try
        {
            ReadExactly(_handle, input.AsSpan(0, (int)compressedLength), hostOffset, _path);
            var produced = Qcow2Compression.Inflate(input, (int)compressedLength, output.AsSpan(0, (int)_clusterSize));
            if (produced != _clusterSize)
            {
                throw new InvalidDataException($"{_path}: qcow2 compressed cluster for guest cluster {cluster} at 0x{hostOffset:X} inflates to {produced} bytes, expected {_clusterSize}");
            }

            output.AsSpan(inCluster, dest.Length).CopyTo(dest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private void ReadHost(long hostOffset, Span<byte> dest)
    {
        // Data past the end of the file reads as zeros (the image file may end mid-cluster).
        var available = (int)Math.Clamp(_fileLength - hostOffset, 0, dest.Length);
        ReadExactly(_handle, dest[..available], hostOffset, _path);
        dest[available..].Clear();
    }

    private sealed record L2Ref(long Index, ulong[] Table);

    internal static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n == 0)
            {
                throw new EndOfStreamException($"{path}: unexpected end of file reading {buffer.Length} bytes at offset {offset}");
            }

            done += n;
        }
    }
}
