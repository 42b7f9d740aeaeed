using V2VConverter.Formats.Disk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk.Helpers;

/// <summary>Makes VMDK fixtures with qemu-img/qemu-io at test time, and compares our reads with qemu's raw output.</summary>
internal static class QemuFixtures
{
    public const long MiB = 1 << 20;

    public static void Qemu(params string[] args) => Tool.Check("qemu-img", args);

    public static void QemuIo(string file, params string[] commands)
    {
        var args = new List<string> { "-f", "vmdk" };
        foreach (var c in commands)
        {
            args.Add("-c");
            args.Add(c);
        }

        args.Add(file);
        var r = Tool.Run("qemu-io", args);
        if (r.ExitCode != 0 || r.All.Contains("failed", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"qemu-io {string.Join(' ', args)}: {r.All}");
        }
    }

    /// <summary>
    /// A raw source image with random data (poorly compressible), a text pattern, a range crossing
    /// the 32 MiB grain-table boundary, an unaligned run, and data in the last grain.
    /// </summary>
    public static string MakeRawSource(string dir, long size, int seed = 1)
    {
        var path = Path.Combine(dir, $"src-{seed}.raw");
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.SetLength(size);
        void Put(long offset, byte[] data)
        {
            if (offset + data.Length > size)
            {
                return;
            }

            fs.Position = offset;
            fs.Write(data);
        }

        Put(0, VmdkBuilder.Random(1 << 20, seed));
        Put((5 * MiB) + 512, System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("V2VConverter pattern ", 6000))));
        Put((32 * MiB) - (96 * 1024), VmdkBuilder.Random(200 * 1024, seed + 1));
        Put(size - (48 * 1024) - 7, VmdkBuilder.Random(48 * 1024, seed + 2));
        return path;
    }

    /// <summary>qemu-img convert -O raw of the VMDK; returns the raw path.</summary>
    public static string QemuRaw(string vmdk, string dir)
    {
        Tool.Require("qemu-img");
        var raw = Path.Combine(dir, Path.GetFileNameWithoutExtension(vmdk) + $"-{Guid.NewGuid():N}.qemu.raw");
        Qemu("convert", "-f", "vmdk", "-O", "raw", vmdk, raw);
        return raw;
    }

    /// <summary>Asserts that the disk reads exactly the bytes of the raw file, whole file, in 1 MiB chunks.</summary>
    public static void AssertSameBytes(IVirtualDisk disk, string raw)
    {
        using var fs = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Assert.Equal(fs.Length, disk.Length);
        var a = new byte[4 * MiB];
        var b = new byte[4 * MiB];
        long pos = 0;
        while (pos < fs.Length)
        {
            var n = (int)Math.Min(a.Length, fs.Length - pos);
            fs.ReadExactly(a, 0, n);
            disk.Read(pos, b.AsSpan(0, n));
            if (!a.AsSpan(0, n).SequenceEqual(b.AsSpan(0, n)))
            {
                var i = a.AsSpan(0, n).CommonPrefixLength(b.AsSpan(0, n));
                Assert.Fail($"byte {pos + i} differs: qemu 0x{a[i]:x2}, ours 0x{b[i]:x2}");
            }

            pos += n;
        }
    }

    /// <summary>Asserts that the disk reads exactly <paramref name="expected"/>, in one read and in odd-sized random reads.</summary>
    public static void AssertSameBytes(IVirtualDisk disk, byte[] expected, int randomReads = 200, int seed = 7)
    {
        Assert.Equal(expected.LongLength, disk.Length);
        var all = new byte[expected.Length];
        disk.Read(0, all);
        if (!all.AsSpan().SequenceEqual(expected))
        {
            var i = all.AsSpan().CommonPrefixLength(expected);
            Assert.Fail($"byte {i} differs: expected 0x{expected[i]:x2}, read 0x{all[i]:x2}");
        }

        var rng = new Random(seed);
        for (var k = 0; k < randomReads; k++)
        {
            var off = rng.NextInt64(expected.Length);
            var len = (int)Math.Min(rng.Next(1, 300_000), expected.Length - off);
            var buf = new byte[len];
            disk.Read(off, buf);
            Assert.True(buf.AsSpan().SequenceEqual(expected.AsSpan((int)off, len)), $"random read {off}+{len} differs");
        }
    }

    /// <summary>Checks the allocation map covers the disk exactly, in order, coalesced, and that Zero/Unallocated runs read as zeros.</summary>
    public static void AssertMapConsistent(IVirtualDisk disk, byte[]? content = null)
    {
        var runs = disk.GetExtents(0, disk.Length).ToList();
        long pos = 0;
        for (var i = 0; i < runs.Count; i++)
        {
            Assert.Equal(pos, runs[i].Offset);
            Assert.True(runs[i].Length > 0);
            if (i > 0)
            {
                Assert.NotEqual(runs[i - 1].Kind, runs[i].Kind);
            }

            if (content is not null && runs[i].Kind != ExtentKind.Data)
            {
                Assert.True(content.AsSpan((int)runs[i].Offset, (int)runs[i].Length).IndexOfAnyExcept((byte)0) < 0, $"{runs[i]} is not zero");
            }

            pos = runs[i].End;
        }

        Assert.Equal(disk.Length, pos);
    }
}
