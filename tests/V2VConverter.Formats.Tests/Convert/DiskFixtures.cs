using System.Text;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>
/// Small deterministic disk images shared by the reader and converter tests: a raw file with random data, text,
/// written (allocated) zeros, byte runs with unaligned ends and holes, plus qemu-img made qcow2 copies of it.
/// Built once per test run in a temp folder.
/// </summary>
public static class DiskFixtures
{
    public const long MiB = 1024 * 1024;

    /// <summary>24 MiB + 3.5 KiB: the last cluster is partial.</summary>
    public const long RawSize = (24 * MiB) + 3584;

    private static readonly Lazy<string> DirLazy = new(Build);

    public static string Dir => DirLazy.Value;

    public static string Raw => Path.Combine(Dir, "mixed.raw");

    /// <summary>qemu-img convert -O qcow2 (v3, 64 KiB clusters).</summary>
    public static string Qcow2 => Path.Combine(Dir, "mixed.qcow2");

    /// <summary>qemu-img convert -c -O qcow2 (zlib compressed clusters).</summary>
    public static string Qcow2Compressed => Path.Combine(Dir, "mixed-c.qcow2");

    /// <summary>qcow2 v2 (compat=0.10) with 4 KiB clusters.</summary>
    public static string Qcow2V2 => Path.Combine(Dir, "mixed-v2.qcow2");

    /// <summary>qcow2 v3 where qemu-io wrote zero-flagged clusters over data (write -z) and discarded a range.</summary>
    public static string Qcow2ZeroFlags => Path.Combine(Dir, "zeroflags.qcow2");

    /// <summary>The guest content of <see cref="Qcow2ZeroFlags"/> as raw.</summary>
    public static string Qcow2ZeroFlagsRaw => Path.Combine(Dir, "zeroflags.raw");

    public static string Input(string name) => name switch
    {
        "raw" => Raw,
        "qcow2" => Qcow2,
        "qcow2-c" => Qcow2Compressed,
        "qcow2-v2" => Qcow2V2,
        "qcow2-zero" => Qcow2ZeroFlags,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Writes the mixed raw image to <paramref name="path"/>.</summary>
    public static void WriteMixedRaw(string path, long size = RawSize, int seed = 7)
    {
        var rng = new Random(seed);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        fs.SetLength(size);

        void Put(long offset, byte[] data)
        {
            fs.Position = offset;
            fs.Write(data);
        }

        byte[] Random(int n)
        {
            var b = new byte[n];
            rng.NextBytes(b);
            return b;
        }

        var text = new StringBuilder();
        for (var i = 0; text.Length < 300_000; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"line {i}: the quick brown fox jumps over the lazy dog; disk images are mostly holes.\n");
        }

        Put(1 * MiB, Random((int)MiB));                          // random, cluster aligned
        Put((5 * MiB) + 123, Encoding.ASCII.GetBytes(text.ToString()));  // text, unaligned both ends
        Put(8 * MiB, new byte[64 * 1024]);                         // written zeros: allocated in the raw file
        Put(9 * MiB, new byte[3 * MiB]);                           // more written zeros
        Put(12 * MiB, Enumerable.Repeat((byte)0x41, 100_000).ToArray()); // a fill pattern, unaligned end
        Put(16 * MiB, Random((int)(3 * MiB)));                     // 3 MiB random
        Put((20 * MiB) + 70_000, Random(5_000));                   // small run inside a cluster
        Put((22 * MiB) - 2048, Random(4096));                      // crosses a 64 KiB cluster boundary
        Put(size - 4096, Random(4096));                            // data in the partial last cluster
    }

    private static string Build()
    {
        Tool.Require("qemu-img");
        Tool.Require("qemu-io");
        var dir = RepoPaths.NewTempDir("v2v-disk-fixtures");
        var raw = Path.Combine(dir, "mixed.raw");
        WriteMixedRaw(raw);
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, Path.Combine(dir, "mixed.qcow2"));
        Tool.Check("qemu-img", "convert", "-f", "raw", "-c", "-O", "qcow2", raw, Path.Combine(dir, "mixed-c.qcow2"));
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10,cluster_size=4096", raw, Path.Combine(dir, "mixed-v2.qcow2"));

        var zq = Path.Combine(dir, "zeroflags.qcow2");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, zq);
        Tool.Check("qemu-io", "-f", "qcow2", "-c", "write -z 1M 512k", "-c", "write -z -u 16M 1M", "-c", "discard 17M 1M", "-c", "write -P 0x5a 30k 8k", zq);
        Tool.Check("qemu-img", "convert", "-f", "qcow2", "-O", "raw", zq, Path.Combine(dir, "zeroflags.raw"));
        return dir;
    }
}
