using System.Diagnostics;
using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Tests.Convert;

public static class DiskAssert
{
    /// <summary>Reads both disks in 1 MiB steps (odd sizes and offsets included) and asserts equal bytes.</summary>
    public static void SameContent(IVirtualDisk expected, IVirtualDisk actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var a = new byte[1 << 20];
        var b = new byte[1 << 20];
        for (long pos = 0; pos < expected.Length; pos += a.Length)
        {
            var n = (int)Math.Min(a.Length, expected.Length - pos);
            expected.Read(pos, a.AsSpan(0, n));
            actual.Read(pos, b.AsSpan(0, n));
            var same = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
            Assert.True(same == n, $"content differs at guest offset {pos + same}");
        }
    }

    /// <summary>Allocated bytes of a file (st_blocks × 512) via du, so sparseness can be asserted.</summary>
    public static long AllocatedBytes(string path)
    {
        var psi = new ProcessStartInfo("du", ["--block-size=1", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return long.Parse(output.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
