using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Formats.Tests.Vmdk.Helpers;

/// <summary>
/// The VMDK fuzz targets, shared by the fuzz harness (tests/fuzz) and the regression replay test.
/// A target may throw only <see cref="InvalidDataException"/>, <see cref="EndOfStreamException"/> or
/// <see cref="NotSupportedException"/>; anything else is a crash.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>Bytes of data a single run may read, so an input that maps one grain a million times stays fast.</summary>
    public const long MaxReadBytes = 64L << 20;

    public static readonly string[] Names = ["header", "descriptor", "disk"];

    public static bool IsAllowed(Exception ex) => ex is InvalidDataException or EndOfStreamException or NotSupportedException;

    public static void Run(string target, byte[] data, string scratchDir)
    {
        switch (target)
        {
            case "header":
                Header(data);
                break;
            case "descriptor":
                Descriptor(data);
                break;
            case "disk":
                Disk(data, scratchDir);
                break;
            default:
                throw new ArgumentException($"unknown fuzz target {target}", nameof(target));
        }
    }

    /// <summary>Hosted sparse and COWD header parsing and validation (the file length is the input length).</summary>
    public static void Header(byte[] data)
    {
        var kind = VmdkSniffer.DetectBinary(data);
        if (kind == VmdkFileKind.HostedSparse)
        {
            var h = SparseExtentHeader.Parse(data, "fuzz");
            h.Validate("fuzz", data.Length);
            _ = h.GdEntries;
            _ = h.GdSectors;
            var copy = new byte[SparseHeaderLayoutSize];
            h.WriteTo(copy);
            if (SparseExtentHeader.Parse(copy).Capacity != h.Capacity)
            {
                throw new InvalidOperationException("header round trip changed the capacity");
            }
        }
        else if (kind == VmdkFileKind.Cowd)
        {
            var h = CowdHeader.Parse(data, "fuzz");
            h.Validate("fuzz", data.Length);
        }
        else
        {
            _ = StreamMarker.Parse(data);
        }
    }

    private const int SparseHeaderLayoutSize = 512;

    public static void Descriptor(byte[] data)
    {
        var d = VmdkDescriptor.Parse(data, "fuzz");
        _ = d.AdapterType;
        _ = d.HasParent;
        foreach (var e in d.Extents)
        {
            _ = e.AccessText;
        }
    }

    /// <summary>The whole reader, grain directory and grain tables included: open the input as a file, map and read it.</summary>
    public static void Disk(byte[] data, string scratchDir)
    {
        Directory.CreateDirectory(scratchDir);
        var path = Path.Combine(scratchDir, "input.vmdk");
        File.WriteAllBytes(path, data);
        using var disk = VmdkDisk.Open(path);
        var budget = MaxReadBytes;
        var buffer = new byte[1 << 20];
        foreach (var run in disk.GetExtents(0, disk.Length))
        {
            if (run.Offset < 0 || run.Length <= 0 || run.End > disk.Length)
            {
                throw new InvalidOperationException($"bad extent {run}");
            }

            if (run.Kind != ExtentKind.Data)
            {
                continue;
            }

            for (var pos = run.Offset; pos < run.End && budget > 0; pos += buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, run.End - pos);
                disk.Read(pos, buffer.AsSpan(0, n));
                budget -= n;
            }
        }

        // The first and last bytes whatever their kind.
        disk.Read(0, buffer.AsSpan(0, (int)Math.Min(4096, disk.Length)));
        disk.Read(Math.Max(0, disk.Length - 4096), buffer.AsSpan(0, (int)Math.Min(4096, disk.Length)));
    }
}
