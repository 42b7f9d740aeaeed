using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Formats.Tests.Vmdk.Helpers;

/// <summary>
/// Builds, byte by byte from the VDF 1.1 layouts, the VMDK files qemu-img cannot write:
/// a VMware-layout streamOptimized (GD at end, GT/GD markers, footer, EOS) and a COWD extent.
/// Grain contents are given as a map from grain index to bytes (shorter arrays are zero-padded).
/// </summary>
internal static class VmdkBuilder
{
    public const int Sector = 512;

    /// <summary>Fills a buffer with a deterministic, poorly-compressible pattern.</summary>
    public static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string StreamDescriptor(long capacitySectors, uint cid = 0x12345678, string access = "RDONLY", bool quoted = false)
    {
        var ct = quoted ? "\"streamOptimized\"" : "streamOptimized";
        return $"# Disk DescriptorFile\nversion=1\nCID={cid:x8}\nparentCID=ffffffff\ncreateType={ct}\n\n# Extent description\n{access} {capacitySectors} SPARSE \"disk.vmdk\"\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"14\"\n";
    }

    /// <summary>
    /// A streamOptimized extent in VMware's layout: header (gdOffset = GD_AT_END), embedded descriptor,
    /// compressed grains in ascending LBA from overHead, a GT marker + GT after each 512-grain range that
    /// has data, a GD marker + GD, then footer marker, footer (header with the real gdOffset) and EOS.
    /// </summary>
    public static byte[] VmwareStream(long capacitySectors, IReadOnlyDictionary<long, byte[]> grains, int grainSectors = 128, string? descriptor = null)
    {
        const int gtes = 512;
        var grainBytes = grainSectors * Sector;
        var ms = new MemoryStream();
        var desc = Encoding.ASCII.GetBytes(descriptor ?? StreamDescriptor(capacitySectors));
        const int descSectors = 20;
        var header = new SparseExtentHeader
        {
            Version = 3,
            Flags = SparseExtentFlags.ValidNewLineDetection | SparseExtentFlags.CompressedGrains | SparseExtentFlags.Markers,
            Capacity = (ulong)capacitySectors,
            GrainSize = (ulong)grainSectors,
            DescriptorOffset = 1,
            DescriptorSize = descSectors,
            NumGtesPerGt = gtes,
            RgdOffset = 0,
            GdOffset = SparseExtentHeader.GdAtEnd,
            OverHead = 128,
            NewLineChars = SparseExtentHeader.IntactNewLineChars,
            CompressAlgorithm = SparseExtentHeader.CompressionDeflate,
        };
        var sector = new byte[Sector];
        header.WriteTo(sector);
        ms.Write(sector);
        ms.Write(desc);
        PadTo(ms, (long)header.OverHead * Sector);

        var totalGrains = (capacitySectors + grainSectors - 1) / grainSectors;
        var gtCount = (int)((totalGrains + gtes - 1) / gtes);
        var gd = new uint[gtCount];
        for (var t = 0; t < gtCount; t++)
        {
            var gt = new uint[gtes];
            var any = false;
            for (var j = 0; j < gtes; j++)
            {
                var g = ((long)t * gtes) + j;
                if (g >= totalGrains || !grains.TryGetValue(g, out var data))
                {
                    continue;
                }

                var lba = g * grainSectors;
                var valid = (int)Math.Min(grainBytes, (capacitySectors - lba) * Sector);
                var plain = new byte[valid];
                data.AsSpan(0, Math.Min(data.Length, valid)).CopyTo(plain);
                var z = Zlib(plain);
                gt[j] = (uint)(ms.Length / Sector);
                var m = new byte[12];
                BinaryPrimitives.WriteUInt64LittleEndian(m, (ulong)lba);
                BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(8), (uint)z.Length);
                ms.Write(m);
                ms.Write(z);
                PadTo(ms, RoundUp(ms.Length));
                any = true;
            }

            if (any)
            {
                WriteMetadataMarker(ms, 4, StreamMarkerType.GrainTable);
                gd[t] = (uint)(ms.Length / Sector);
                WriteU32s(ms, gt);
            }
        }

        var gdSectors = ((gtCount * 4) + Sector - 1) / Sector;
        WriteMetadataMarker(ms, gdSectors, StreamMarkerType.GrainDirectory);
        var gdOffset = ms.Length / Sector;
        WriteU32s(ms, gd);
        PadTo(ms, RoundUp(ms.Length));

        WriteMetadataMarker(ms, 1, StreamMarkerType.Footer);
        (header with { GdOffset = (ulong)gdOffset }).WriteTo(sector);
        ms.Write(sector);
        ms.Write(new byte[Sector]); // EOS
        return ms.ToArray();
    }

    /// <summary>A COWD (vmfsSparse) extent: header, GD at sector 4, 4096-entry GTs on demand, raw grains.</summary>
    public static byte[] Cowd(uint capacitySectors, IReadOnlyDictionary<long, byte[]> grains, uint grainSectors = 1, uint version = 1)
    {
        const int gtes = 4096;
        var grainBytes = (int)grainSectors * Sector;
        var totalGrains = (capacitySectors + grainSectors - 1) / grainSectors;
        var gdEntries = (int)((totalGrains + gtes - 1) / gtes);
        var gdSectors = ((gdEntries * 4) + Sector - 1) / Sector;
        var used = grains.Keys.Where(g => g < totalGrains).Select(g => (int)(g / gtes)).Distinct().Order().ToList();
        var gd = new uint[gdEntries];
        var next = 4u + (uint)gdSectors;
        foreach (var t in used)
        {
            gd[t] = next;
            next += gtes * 4 / Sector;
        }

        var tables = used.ToDictionary(t => t, _ => new uint[gtes]);
        var grainOrder = grains.Keys.Where(g => g < totalGrains).Order().ToList();
        var body = new MemoryStream();
        foreach (var g in grainOrder)
        {
            tables[(int)(g / gtes)][g % gtes] = next + (uint)(body.Length / Sector);
            var buf = new byte[grainBytes];
            grains[g].AsSpan(0, Math.Min(grains[g].Length, grainBytes)).CopyTo(buf);
            body.Write(buf);
        }

        var header = new CowdHeader
        {
            Version = version,
            Flags = 3,
            Capacity = capacitySectors,
            GrainSize = grainSectors,
            GdOffset = 4,
            NumGdEntries = (uint)gdEntries,
            FreeSector = next + (uint)(body.Length / Sector),
        };
        var ms = new MemoryStream();
        var h = new byte[CowdHeaderLayoutSize];
        header.WriteTo(h);
        ms.Write(h);
        WriteU32s(ms, gd);
        PadTo(ms, RoundUp(ms.Length));
        foreach (var t in used)
        {
            WriteU32s(ms, tables[t]);
        }

        body.Position = 0;
        body.CopyTo(ms);
        return ms.ToArray();
    }

    private const int CowdHeaderLayoutSize = 2048;

    /// <summary>The guest bytes a grain map describes.</summary>
    public static byte[] Expected(long capacityBytes, IReadOnlyDictionary<long, byte[]> grains, int grainBytes, byte[]? under = null)
    {
        var result = under is null ? new byte[capacityBytes] : (byte[])under.Clone();
        foreach (var (g, data) in grains)
        {
            var off = g * grainBytes;
            if (off >= capacityBytes)
            {
                continue;
            }

            var n = (int)Math.Min(grainBytes, capacityBytes - off);
            result.AsSpan((int)off, n).Clear();
            data.AsSpan(0, Math.Min(n, data.Length)).CopyTo(result.AsSpan((int)off));
        }

        return result;
    }

    public static byte[] Zlib(byte[] plain)
    {
        var o = new MemoryStream();
        using (var z = new ZLibStream(o, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(plain);
        }

        return o.ToArray();
    }

    private static void WriteMetadataMarker(MemoryStream ms, long numSectors, StreamMarkerType type)
    {
        var s = new byte[Sector];
        new StreamMarker { Value = (ulong)numSectors, Size = 0, Type = type }.WriteTo(s);
        ms.Write(s);
    }

    private static void WriteU32s(MemoryStream ms, uint[] values)
    {
        var b = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), values[i]);
        }

        ms.Write(b);
        PadTo(ms, RoundUp(ms.Length));
    }

    private static long RoundUp(long n) => (n + Sector - 1) / Sector * Sector;

    private static void PadTo(MemoryStream ms, long length)
    {
        if (ms.Length < length)
        {
            ms.Write(new byte[length - ms.Length]);
        }
    }
}
