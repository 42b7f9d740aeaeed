using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using V2VConverter.Formats.Tests.Vmdk.Helpers;

namespace V2VConverter.Fuzz;

/// <summary>
/// VMDK fuzz harness. Two modes:
/// <list type="bullet">
/// <item><c>--seconds N</c>: an in-process, time-bounded random mutation loop over the seed corpus
/// (tests/fuzz/seeds plus seeds built in memory). Every input that throws something other than
/// InvalidDataException/EndOfStreamException/NotSupportedException, or runs longer than the hang
/// bound, is written to tests/V2VConverter.Formats.Tests/Vmdk/Regressions/&lt;ExceptionType&gt;-&lt;hash&gt;.bin.</item>
/// <item><c>--afl TARGET</c>: one SharpFuzz out-of-process loop for afl-fuzz (see tests/fuzz/README.md).</item>
/// </list>
/// </summary>
public static class Program
{
    private static readonly long[] Interesting =
    [
        0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 127, 128, 129, 511, 512, 513, 1024, 2048, 4096, 0x7FFF, 0xFFFF, 0x10000,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1L << 32, 1L << 40, long.MaxValue, -1, -2,
    ];

    private static readonly string[] Tokens =
    [
        "RW ", "RDONLY ", "NOACCESS ", " FLAT ", " SPARSE ", " ZERO ", " VMFS ", " VMFSSPARSE ", " SESPARSE ", "\"", "\n", "\r\n", "=", " = ",
        "createType=", "createType=\"custom\"\n", "parentFileNameHint=", "parentCID=", "CID=", "../", "/", "\0", "#", "encoding=\"windows-1252\"\n",
        "encoding=\"shift_jis\"\n", "99999999999999999999", "4294967295", "ddb.adapterType = ", "input.vmdk", "version=3\n", "ffffffff",
    ];

    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"fuzz: {ex.Message}");
            Console.Error.WriteLine("usage: V2VConverter.Fuzz --seconds N [--seed S] [--hang-seconds H] [--regressions DIR]");
            Console.Error.WriteLine("       V2VConverter.Fuzz --afl header|descriptor|disk");
            Console.Error.WriteLine("       V2VConverter.Fuzz --make-seeds DIR");
            Console.Error.WriteLine("       V2VConverter.Fuzz --replay FILE...");
            return 2;
        }
    }

    private static int Run(string[] args)
    {
        string? Opt(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var root = FindRoot();
        if (Opt("--afl") is { } aflTarget)
        {
            return Afl(aflTarget);
        }

        if (Opt("--make-seeds") is { } seedDir)
        {
            Directory.CreateDirectory(seedDir);
            foreach (var (name, data) in Seeds(root))
            {
                File.WriteAllBytes(Path.Combine(seedDir, name), data);
            }

            Console.WriteLine($"fuzz: wrote {Seeds(root).Count} seeds to {seedDir}");
            return 0;
        }

        if (Array.IndexOf(args, "--replay") is var r && r >= 0)
        {
            var bad = 0;
            foreach (var file in args.Skip(r + 1))
            {
                var failure = RunAll(File.ReadAllBytes(file), Scratch());
                Console.WriteLine($"{file}: {failure?.GetType().Name ?? "ok"} {failure?.Message}");
                bad += failure is null ? 0 : 1;
            }

            return bad == 0 ? 0 : 1;
        }

        var seconds = int.Parse(Opt("--seconds") ?? throw new ArgumentException("missing --seconds, --afl, --make-seeds or --replay"), System.Globalization.CultureInfo.InvariantCulture);
        var seed = int.Parse(Opt("--seed") ?? Environment.TickCount.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
        var hang = int.Parse(Opt("--hang-seconds") ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        var regressions = Opt("--regressions") ?? Path.Combine(root, "tests", "V2VConverter.Formats.Tests", "Vmdk", "Regressions");
        return Loop(Seeds(root), TimeSpan.FromSeconds(seconds), seed, TimeSpan.FromSeconds(hang), regressions);
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "V2VConverter.sln")))
            {
                return d.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private static string Scratch()
    {
        var shm = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        return Path.Combine(shm, $"v2v-fuzz-{Environment.ProcessId}");
    }

    /// <summary>The committed corpus (tests/fuzz/seeds, made by qemu-img) plus seeds built here from the VDF layouts.</summary>
    private static List<(string Name, byte[] Data)> Seeds(string root)
    {
        var seeds = new List<(string, byte[])>();
        var dir = Path.Combine(root, "tests", "fuzz", "seeds");
        if (Directory.Exists(dir))
        {
            seeds.AddRange(Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        }

        var grains = new Dictionary<long, byte[]> { [0] = Encoding.ASCII.GetBytes("grain zero"), [9] = [1, 2, 3, 4], [15] = VmdkBuilder.Random(300, 1) };
        var stream = VmdkBuilder.VmwareStream(2048, grains);
        seeds.Add(("built-vmware-stream.vmdk", stream));
        seeds.Add(("built-vmware-stream-nofooter.vmdk", stream.AsSpan(0, stream.Length - 1536).ToArray()));
        seeds.Add(("built-cowd.vmdk", VmdkBuilder.Cowd(8192, new Dictionary<long, byte[]> { [0] = [9], [4096] = [8], [8000] = [7] })));
        seeds.Add(("built-descriptor.vmdk", Encoding.ASCII.GetBytes(
            "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"custom\"\n\n# Extent description\nRW 64 FLAT \"input.vmdk\" 0\nRW 100 ZERO\nRDONLY 8 VMFS \"input.vmdk\"\n\n#DDB\nddb.adapterType = \"lsilogic\"\nddb.uuid = \"60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 87 3b f9\"\n")));
        seeds.Add(("built-child.vmdk", Encoding.ASCII.GetBytes(
            "version=1\nCID=00000002\nparentCID=00000001\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"input.vmdk\"\nRW 64 VMFSSPARSE \"input.vmdk\"\n")));
        return seeds;
    }

    /// <summary>Runs every target; returns the first disallowed exception, or null.</summary>
    private static Exception? RunAll(byte[] data, string scratch)
    {
        foreach (var target in FuzzTargets.Names)
        {
            try
            {
                FuzzTargets.Run(target, data, scratch);
            }
            catch (Exception ex) when (FuzzTargets.IsAllowed(ex))
            {
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        return null;
    }

    private static int Loop(List<(string Name, byte[] Data)> seeds, TimeSpan duration, int seed, TimeSpan hang, string regressions)
    {
        var rng = new Random(seed);
        var scratch = Scratch();
        var started = Stopwatch.StartNew();
        long execs = 0;
        var crashes = new HashSet<string>(StringComparer.Ordinal);
        byte[] current = [];
        var execStart = Stopwatch.GetTimestamp();
        var running = true;

        // Watchdog: an input that runs longer than the hang bound is saved as Hang-<hash>.bin and the run stops.
        var watchdog = new Thread(() =>
        {
            while (Volatile.Read(ref running))
            {
                Thread.Sleep(250);
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref execStart)) > hang)
                {
                    var path = Save(regressions, "Hang", Volatile.Read(ref current));
                    Console.Error.WriteLine($"fuzz: HANG over {hang.TotalSeconds} s, input saved to {path}");
                    Environment.Exit(3);
                }
            }
        }) { IsBackground = true };
        watchdog.Start();

        Console.WriteLine($"fuzz: {seeds.Count} seeds, seed {seed}, {duration.TotalSeconds} s");
        while (started.Elapsed < duration)
        {
            var (_, baseData) = seeds[rng.Next(seeds.Count)];
            var input = Mutate(baseData, rng);
            Volatile.Write(ref current, input);
            Volatile.Write(ref execStart, Stopwatch.GetTimestamp());
            var failure = RunAll(input, scratch);
            execs++;
            if (failure is not null)
            {
                var key = failure.GetType().Name + "|" + failure.StackTrace?.Split('\n').FirstOrDefault()?.Trim();
                if (crashes.Add(key))
                {
                    var path = Save(regressions, failure.GetType().Name, input);
                    Console.Error.WriteLine($"fuzz: CRASH {failure.GetType().Name}: {failure.Message}\n{failure.StackTrace}\n  input saved to {path}");
                }
            }
        }

        Volatile.Write(ref running, false);
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
        }

        Console.WriteLine($"fuzz: {execs} executions in {started.Elapsed.TotalSeconds:0.0} s ({execs / Math.Max(1, started.Elapsed.TotalSeconds):0}/s), {crashes.Count} distinct crashes");
        return crashes.Count == 0 ? 0 : 1;
    }

    private static string Save(string dir, string kind, byte[] input)
    {
        Directory.CreateDirectory(dir);
        var hash = Convert.ToHexStringLower(SHA256.HashData(input))[..16];
        var path = Path.Combine(dir, $"{kind}-{hash}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = new List<byte>(seed);
        var count = 1 + rng.Next(rng.Next(2) == 0 ? 3 : 12);
        for (var k = 0; k < count; k++)
        {
            // Half the structured mutations land in the first 4 KiB: header, descriptor, GD.
            int Offset(int width) => data.Count <= width ? 0 : rng.Next(2) == 0 ? rng.Next(Math.Min(4096, data.Count - width)) : rng.Next(data.Count - width);
            switch (rng.Next(9))
            {
                case 0 when data.Count > 0:
                    var bit = Offset(1);
                    data[bit] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[Offset(1)] = (byte)Interesting[rng.Next(Interesting.Length)];
                    break;
                case 2 when data.Count >= 4:
                    var o4 = Offset(4) & ~3;
                    var v4 = (uint)Interesting[rng.Next(Interesting.Length)];
                    for (var i = 0; i < 4; i++)
                    {
                        data[o4 + i] = (byte)(v4 >> (8 * i));
                    }

                    break;
                case 3 when data.Count >= 8:
                    var o8 = Offset(8) & ~3;
                    var v8 = (ulong)Interesting[rng.Next(Interesting.Length)];
                    for (var i = 0; i < 8 && o8 + i < data.Count; i++)
                    {
                        data[o8 + i] = (byte)(v8 >> (8 * i));
                    }

                    break;
                case 4 when data.Count > 1:
                    var keep = rng.Next(1, data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    break;
                case 5 when data.Count > 16:
                    var len = rng.Next(1, Math.Min(2048, data.Count / 2));
                    var from = rng.Next(data.Count - len);
                    var to = rng.Next(data.Count - len);
                    var chunk = data.GetRange(from, len);
                    for (var i = 0; i < len; i++)
                    {
                        data[to + i] = chunk[i];
                    }

                    break;
                case 6:
                    var token = Encoding.ASCII.GetBytes(Tokens[rng.Next(Tokens.Length)]);
                    data.InsertRange(data.Count == 0 ? 0 : rng.Next(Math.Min(data.Count, 4096)), token);
                    break;
                case 7 when data.Count > 0:
                    var at = Offset(1);
                    data.RemoveRange(at, Math.Min(rng.Next(1, 64), data.Count - at));
                    break;
                default:
                    var extra = new byte[rng.Next(1, 600)];
                    rng.NextBytes(extra);
                    data.AddRange(extra);
                    break;
            }
        }

        return [.. data];
    }

    /// <summary>SharpFuzz out-of-process loop for afl-fuzz: one target per process.</summary>
    private static int Afl(string target)
    {
        if (!FuzzTargets.Names.Contains(target))
        {
            throw new ArgumentException($"unknown target {target}; use one of {string.Join(", ", FuzzTargets.Names)}");
        }

        var scratch = Scratch();
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            try
            {
                FuzzTargets.Run(target, ms.ToArray(), scratch);
            }
            catch (Exception ex) when (FuzzTargets.IsAllowed(ex))
            {
            }
        });
        return 0;
    }
}
