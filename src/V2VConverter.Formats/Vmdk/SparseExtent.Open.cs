using System.Buffers;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Vmdk;

internal sealed partial class SparseExtent
{
    /// <summary>
    /// Opens a KDMV extent. <paramref name="extentSectors"/> is the size from the descriptor's extent line
    /// (or null to use the header capacity). Takes ownership of <paramref name="file"/> on success.
    /// </summary>
    public static SparseExtent OpenHosted(DiskFile file, string path, long? extentSectors, VmdkOpenOptions options, FormatWarnings warnings, out SparseExtentHeader header)
    {
        var cancellationToken = options.Cancellation;
        var fileLength = file.Length;
        Span<byte> sector = stackalloc byte[SparseHeaderLayout.Size];
        var n = file.Read(sector, 0);
        header = SparseExtentHeader.Parse(sector[..n], path);
        header.Validate(path, fileLength, options.MaxCapacityBytes);
        if (header.UncleanShutdown != 0)
        {
            warnings.Add($"{path}: the extent was not closed cleanly (uncleanShutdown={header.UncleanShutdown})");
        }

        var effective = header;
        var scan = false;
        if (header.GdOffset == SparseExtentHeader.GdAtEnd)
        {
            if (!header.HasMarkers)
            {
                throw new InvalidDataException($"{path}: field \"gdOffset\" is GD_AT_END but the extent has no markers (flags 0x{(uint)header.Flags:X})");
            }

            if (TryReadFooter(file, path, fileLength, options, out var footer))
            {
                effective = footer;
            }
            else
            {
                scan = true;
            }
        }

        var capacitySectors = (long)effective.Capacity;
        if (extentSectors is { } es && es > capacitySectors)
        {
            throw new InvalidDataException($"{path}: field \"extent size\" in the descriptor ({es} sectors) exceeds the header \"capacity\" ({capacitySectors} sectors)");
        }

        var length = (extentSectors ?? capacitySectors) * VmdkLimits.SectorSize;
        var kind = effective.HasMarkers ? "streamOptimized" : $"hosted sparse v{effective.Version}";
        var zeroGrain = effective.HasZeroedGrainGte && effective.Version >= 2;
        if (scan)
        {
            return Rebuilt(file, path, fileLength, effective, length, kind, options, warnings, null, cancellationToken);
        }

        var metadata = new MetadataRanges();
        metadata.Add(0, 1, "header");
        if (effective.DescriptorOffset != 0)
        {
            metadata.Add((long)effective.DescriptorOffset, (long)(effective.DescriptorOffset + effective.DescriptorSize), "embedded descriptor");
        }

        if (header.GdOffset == SparseExtentHeader.GdAtEnd)
        {
            metadata.Add((fileLength / VmdkLimits.SectorSize) - 3, fileLength / VmdkLimits.SectorSize, "footer");
        }

        var gdEntries = effective.GdEntries;
        var gtSectors = (((int)effective.NumGtesPerGt * 4) + VmdkLimits.SectorSize - 1) / VmdkLimits.SectorSize;
        var gd = LoadDirectory(file, path, fileLength, effective, gdEntries, gtSectors, zeroGrain, metadata, warnings);
        var extent = new SparseExtent(file, path, fileLength, length, (long)effective.GrainSize, (int)effective.NumGtesPerGt, zeroGrain, effective.IsCompressed,
            kind, gd, metadata, null);
        if (effective.HasMarkers)
        {
            // A stream is read whole anyway, and its tables are tiny next to its data: check them all now, so a
            // cut stream (qemu's layout has no footer to miss) is detected here and rebuilt from its markers.
            long lastGrain;
            try
            {
                lastGrain = extent.LoadAllTables(cancellationToken);
            }
            catch (InvalidDataException ex) when (ex.Data.Contains(TruncatedKey))
            {
                return Rebuilt(file, path, fileLength, effective, length, kind, options, warnings, $"grain table entries point past the end of the file: {ex.Message}", cancellationToken);
            }

            // A stream ends with an end-of-stream marker (after the footer, in VMware's layout). qemu-img's layout (the
            // tables at the front) may end right after its last grain, with no marker (qemu 7.2 does when the disk's
            // last grain holds data): there, the last grain whole is the end. A cut inside a grain is found here.
            if (!EndsWithEndOfStream(file, path, fileLength) && !(header.GdOffset != SparseExtentHeader.GdAtEnd && GrainIsWhole(file, path, fileLength, lastGrain)))
            {
                return Rebuilt(file, path, fileLength, effective, length, kind, options, warnings, "the end-of-stream marker is missing", cancellationToken);
            }
        }

        return extent;
    }

    /// <summary>True when the grain whose marker is at <paramref name="sector"/> lies whole in the file (none: true).</summary>
    private static bool GrainIsWhole(DiskFile file, string path, long fileLength, long sector)
    {
        if (sector == 0)
        {
            return true;
        }

        var at = sector * VmdkLimits.SectorSize;
        if (at + MarkerLayout.GrainHeaderSize > fileLength)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[MarkerLayout.GrainHeaderSize];
        ReadExactly(file, head, at, path, "grain marker");
        var marker = StreamMarker.Parse(head);
        return marker.IsGrain && at + MarkerLayout.GrainHeaderSize + marker.Size <= fileLength;
    }

    /// <summary>True when the file is whole sectors and its last sector is an end-of-stream marker (all zeros).</summary>
    private static bool EndsWithEndOfStream(DiskFile file, string path, long fileLength)
    {
        if (fileLength % VmdkLimits.SectorSize != 0 || fileLength < 2 * VmdkLimits.SectorSize)
        {
            return false;
        }

        Span<byte> last = stackalloc byte[VmdkLimits.SectorSize];
        ReadExactly(file, last, fileLength - VmdkLimits.SectorSize, path, "end-of-stream marker");
        return last.IndexOfAnyExcept((byte)0) < 0;
    }

    /// <summary>
    /// A stream whose grain map comes from its markers (no footer, or a grain table pointing past the end). A cut stream
    /// (<paramref name="cutReason"/> set, a grain cut, or no end-of-stream marker) is an <see cref="EndOfStreamException"/>
    /// naming the last good grain, unless <see cref="VmdkOpenOptions.AllowTruncated"/> makes it a warning.
    /// </summary>
    private static SparseExtent Rebuilt(DiskFile file, string path, long fileLength, SparseExtentHeader h, long length, string kind, VmdkOpenOptions options,
        FormatWarnings warnings, string? cutReason, CancellationToken cancellationToken)
    {
        var scan = ScanMarkers(file, path, fileLength, h, length, cancellationToken);
        var cut = cutReason ?? (scan.GrainCut ? "the last grain is cut" : scan.SawEndOfStream ? null : "the end-of-stream marker is missing");
        var last = scan.LastGoodGrain is { } g
            ? $"the last good grain is guest sector {g.Lba} (byte {g.Lba * VmdkLimits.SectorSize}), its marker at file offset {g.FileOffset}"
            : "no grain before the cut is complete";
        if (cut is not null)
        {
            var text = $"{path}: the stream is truncated at {fileLength} bytes ({cut}); {last}";
            if (!options.AllowTruncated)
            {
                throw new EndOfStreamException($"{text}; pass --allow-truncated to convert what is there (the rest reads as zeros)");
            }

            warnings.Add($"{text}; --allow-truncated: read the {scan.Count} grains before the cut, EVERYTHING AFTER IT READS AS ZEROS");
        }
        else
        {
            warnings.Add($"{path}: no footer; rebuilt the grain map from {scan.Count} grain markers");
        }

        return new SparseExtent(file, path, fileLength, length, (long)h.GrainSize, (int)h.NumGtesPerGt, false, h.IsCompressed,
            kind + " (map rebuilt from markers)", null, new MetadataRanges(), scan);
    }

    /// <summary>Opens a COWD (vmfsSparse) extent. Takes ownership of <paramref name="file"/> on success.</summary>
    public static SparseExtent OpenCowd(DiskFile file, string path, long? extentSectors, VmdkOpenOptions options, FormatWarnings warnings, out CowdHeader header)
    {
        var fileLength = file.Length;
        var buf = new byte[CowdHeaderLayout.Size];
        var n = file.Read(buf, 0);
        header = CowdHeader.Parse(buf.AsSpan(0, n), path);
        header.Validate(path, fileLength, options.MaxCapacityBytes);
        if (header.UncleanShutdown != 0)
        {
            warnings.Add($"{path}: the COWD extent was not closed cleanly");
        }

        if (extentSectors is { } es && es > header.Capacity)
        {
            throw new InvalidDataException($"{path}: field \"extent size\" in the descriptor ({es} sectors) exceeds the COWD \"capacity\" ({header.Capacity} sectors)");
        }

        var length = (extentSectors ?? header.Capacity) * VmdkLimits.SectorSize;
        var metadata = new MetadataRanges();
        metadata.Add(0, CowdHeaderLayout.Size / VmdkLimits.SectorSize, "header");
        var gtSectors = VmdkLimits.CowdGtesPerGt * 4 / VmdkLimits.SectorSize;
        var gdSectors = header.GdSectors;
        metadata.Add(header.GdOffset, header.GdOffset + gdSectors, "grain directory");
        var gd = ReadU32Table(file, path, (long)header.GdOffset * VmdkLimits.SectorSize, (int)header.RequiredGdEntries, "grain directory");
        var fileSectors = fileLength / VmdkLimits.SectorSize;
        for (var i = 0; i < gd.Length; i++)
        {
            var e = gd[i];
            if (e == 0)
            {
                continue;
            }

            if (e + (long)gtSectors > fileSectors)
            {
                throw new InvalidDataException($"{path}: grain directory entry {i} has the bad value {e}: the grain table lies beyond the end of file ({fileSectors} sectors)");
            }

            metadata.AddTable(e, gtSectors);
        }

        metadata.Seal(path);
        return new SparseExtent(file, path, fileLength, length, header.GrainSize, VmdkLimits.CowdGtesPerGt, false, false, $"vmfsSparse (COWD v{header.Version})", gd, metadata, null);
    }

    /// <summary>Reads <c>count</c> little-endian u32 values at a byte offset (count already bounded by the file length).</summary>
    private static uint[] ReadU32Table(DiskFile file, string path, long offset, int count, string what)
    {
        var bytes = count * 4;
        var raw = ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 1));
        try
        {
            ReadExactly(file, raw.AsSpan(0, bytes), offset, path, what);
            var result = new uint[count];
            DecodeU32s(raw.AsSpan(0, bytes), result);

            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// Loads the primary GD (and the redundant one when present), picks per entry the primary unless it is
    /// zero or out of range while the redundant entry is valid, then records every GT as metadata and
    /// checks that no two tables overlap.
    /// </summary>
    private static uint[] LoadDirectory(DiskFile file, string path, long fileLength, SparseExtentHeader h, long gdEntries, int gtSectors, bool zeroGrain,
        MetadataRanges metadata, FormatWarnings warnings)
    {
        var fileSectors = fileLength / VmdkLimits.SectorSize;
        var gdSectors = h.GdSectors;

        // Validate already checked that the GD fits in the file, so gdEntries*4 <= fileLength.
        var primary = ReadU32Table(file, path, (long)h.GdOffset * VmdkLimits.SectorSize, (int)gdEntries, "grain directory");
        metadata.Add((long)h.GdOffset, (long)h.GdOffset + gdSectors, "grain directory");
        uint[]? redundant = null;
        if (h.HasRedundantGd && h.RgdOffset != 0 && h.RgdOffset != h.GdOffset)
        {
            if (h.RgdOffset <= (ulong)fileSectors && (ulong)gdSectors <= (ulong)fileSectors - h.RgdOffset) // never rgdOffset + size: it wraps
            {
                redundant = ReadU32Table(file, path, (long)h.RgdOffset * VmdkLimits.SectorSize, (int)gdEntries, "redundant grain directory");
                metadata.Add((long)h.RgdOffset, (long)h.RgdOffset + gdSectors, "redundant grain directory");
            }
            else
            {
                warnings.Add($"{path}: the redundant grain directory (rgdOffset {h.RgdOffset}) lies beyond the end of file; ignored");
            }
        }

        bool Special(uint e) => e == 0 || (e == 1 && zeroGrain);
        bool InFile(uint e) => e + (long)gtSectors <= fileSectors;
        var fallbacks = 0;
        for (var i = 0; i < primary.Length; i++)
        {
            var p = primary[i];
            var pValid = Special(p) || InFile(p);
            if ((!pValid || p == 0) && redundant is not null && !Special(redundant[i]) && InFile(redundant[i]))
            {
                primary[i] = redundant[i];
                fallbacks++;
                continue;
            }

            if (!pValid)
            {
                throw new InvalidDataException($"{path}: grain directory entry {i} has the bad value {p}: the grain table lies beyond the end of file ({fileSectors} sectors)");
            }
        }

        if (fallbacks > 0)
        {
            warnings.Add($"{path}: {fallbacks} grain directory entries were taken from the redundant grain directory");
        }

        for (var i = 0; i < primary.Length; i++)
        {
            if (!Special(primary[i]))
            {
                metadata.AddTable(primary[i], gtSectors);
            }
        }

        // Each primary entry's redundant twin is metadata too, so a grain cannot point into it.
        if (redundant is not null)
        {
            for (var i = 0; i < redundant.Length; i++)
            {
                var r = redundant[i];
                if (!Special(r) && InFile(r) && r != primary[i])
                {
                    metadata.AddTable(r, gtSectors);
                }
            }
        }

        metadata.Seal(path);
        return primary;
    }

    /// <summary>Reads and checks the footer marker, footer and EOS marker at the end of a VMware stream.</summary>
    private static bool TryReadFooter(DiskFile file, string path, long fileLength, VmdkOpenOptions options, out SparseExtentHeader footer)
    {
        footer = default;
        if (fileLength < MarkerLayout.TailSize + SparseHeaderLayout.Size || fileLength % VmdkLimits.SectorSize != 0)
        {
            return false;
        }

        Span<byte> tail = stackalloc byte[MarkerLayout.TailSize];
        ReadExactly(file, tail, fileLength - MarkerLayout.TailSize, path, "stream footer");
        var footerMarker = StreamMarker.Parse(tail[..VmdkLimits.SectorSize]);
        var eos = StreamMarker.Parse(tail[(2 * VmdkLimits.SectorSize)..]);
        var body = tail.Slice(VmdkLimits.SectorSize, VmdkLimits.SectorSize);
        if (footerMarker.IsGrain || footerMarker.Type != StreamMarkerType.Footer || VmdkSniffer.DetectBinary(body) != VmdkFileKind.HostedSparse
            || eos.IsGrain || eos.Value != 0 || eos.Type != StreamMarkerType.EndOfStream)
        {
            return false;
        }

        footer = SparseExtentHeader.Parse(body, path + " (footer)");
        footer.Validate(path + " (footer)", fileLength, options.MaxCapacityBytes);
        if (footer.GdOffset == SparseExtentHeader.GdAtEnd)
        {
            throw new InvalidDataException($"{path} (footer): field \"gdOffset\" is GD_AT_END in the footer itself");
        }

        return true;
    }
}
