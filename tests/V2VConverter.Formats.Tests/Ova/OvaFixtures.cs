using System.Globalization;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

/// <summary>Builds archives for the OVA tests with the real tools (tar, python3's tarfile and zipfile, gzip, xz).</summary>
internal static class OvaFixtures
{
    /// <summary>A 141-character relative path: over the 100 bytes of a tar name field.</summary>
    public static readonly string LongName = new string('d', 60) + "/" + new string('f', 75) + ".vmdk";

    /// <summary>Makes a folder with an .ovf, a disk with random bytes, a long-named file and a manifest-less layout.</summary>
    public static string MakeFiles(string dir)
    {
        var src = Path.Combine(dir, "src");
        Directory.CreateDirectory(Path.Combine(src, Path.GetDirectoryName(LongName)!));
        File.WriteAllText(Path.Combine(src, "vm.ovf"), "<Envelope/>\n");
        var rnd = new Random(13);
        var disk = new byte[300_001];
        rnd.NextBytes(disk);
        File.WriteAllBytes(Path.Combine(src, "disk1.vmdk"), disk);
        var other = new byte[70_000];
        rnd.NextBytes(other);
        File.WriteAllBytes(Path.Combine(src, LongName), other);
        File.WriteAllBytes(Path.Combine(src, "empty.txt"), []);
        return src;
    }

    /// <summary>Runs tar -cf with the members in the given (shuffled) order.</summary>
    public static string Tar(string dir, string src, string format, params string[] members)
    {
        Tool.Require("tar");
        var tar = Path.Combine(dir, $"vm-{format}.ova");
        Tool.Check("tar", ["-cf", tar, $"--format={format}", "-C", src, .. members]);
        return tar;
    }

    /// <summary>Runs a python3 script with arguments.</summary>
    public static void Python(string script, params string[] args)
    {
        Tool.Require("python3");
        Tool.Check("python3", ["-c", script, .. args]);
    }

    /// <summary>(name, size) of each member as GNU tar lists it (<c>tar -tvf</c>, the oracle), regular files only.</summary>
    public static List<(string Name, long Size)> TarListing(string archive)
    {
        var r = Tool.Check("tar", "--numeric-owner", "-tvf", archive);
        var list = new List<(string, long)>();
        foreach (var line in r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // -rw-r--r-- 0/0   300001 2026-11-30 19:22 disk1.vmdk
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (line[0] != '-')
            {
                continue;
            }

            var rest = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var name = line[(line.IndexOf(rest[4], StringComparison.Ordinal) + rest[4].Length + 1)..];
            list.Add((name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name, long.Parse(parts[2], CultureInfo.InvariantCulture)));
        }

        return list;
    }

    /// <summary>(name, size) of each file member as python's zipfile lists it (the oracle).</summary>
    public static List<(string Name, long Size)> ZipListing(string archive)
    {
        Tool.Require("python3");
        var r = Tool.Check("python3", "-c", "import sys,zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n  print(i.file_size, i.filename)", archive);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .Where(p => !p[1].EndsWith('/'))
            .Select(p => (p[1], long.Parse(p[0], CultureInfo.InvariantCulture)))
            .ToList();
    }

    public static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
