using System.Globalization;

namespace V2VConverter.TestSupport;

/// <summary>A file read from a guest: its size and its first bytes (at most <see cref="GuestSnapshot.MaxHeadBytes"/>).</summary>
public sealed record GuestFile(string Path, long Size, byte[] Head);

/// <summary>
/// What a test reads from a disk image, taken in ONE read-only libguestfs launch (guestfish in remote mode, so
/// the commands can depend on the inspection's answer): the inspected OS, <c>hivexregedit --export</c> text of
/// hives, folder listings and file heads. Guest paths are matched case-insensitively, as Windows does.
/// A hive, folder or file that is absent maps to null. Needs guestfish and hivexregedit.
/// </summary>
public sealed class GuestSnapshot
{
    /// <summary>The most bytes of a file a snapshot keeps.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    private GuestSnapshot(string root, IReadOnlyDictionary<string, string> inspection)
    {
        InspectedRoot = root;
        Inspection = inspection;
    }

    /// <summary>The root device <c>inspect-os</c> found ("/dev/sda3"), or "" when it found none.</summary>
    public string InspectedRoot { get; }

    /// <summary>inspect-get-* answers for the root: type, distro, product-name, arch, major-version, minor-version, windows-systemroot, windows-current-control-set.</summary>
    public IReadOnlyDictionary<string, string> Inspection { get; }

    /// <summary>Export text per requested hive guest path (null when the hive is absent).</summary>
    public IReadOnlyDictionary<string, string?> Hives => _hives;

    /// <summary>The names in each requested folder (null when the folder is absent).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>?> Dirs => _dirs;

    /// <summary>Each requested file (null when it is absent).</summary>
    public IReadOnlyDictionary<string, GuestFile?> Files => _files;

    private readonly Dictionary<string, string?> _hives = [];
    private readonly Dictionary<string, IReadOnlyList<string>?> _dirs = [];
    private readonly Dictionary<string, GuestFile?> _files = [];

    private static readonly string[] InspectFields =
        ["type", "distro", "product-name", "arch", "major-version", "minor-version", "windows-systemroot", "windows-current-control-set"];

    internal static GuestSnapshot Take(string diskPath, string format, IReadOnlyList<(string GuestPath, string Prefix)> hives,
        IReadOnlyList<string> dirs, IReadOnlyList<string> files) => TakeMany([diskPath], format, hives, dirs, files)[0];

    /// <summary>
    /// One snapshot per disk image, all in ONE appliance launch: every image is attached, each OS root found is matched
    /// to its image by device letter (the n-th image is /dev/sd(a+n)), and the same hives, folders and files are read from each.
    /// An image with no OS gets an empty snapshot (its root "").
    /// </summary>
    public static IReadOnlyList<GuestSnapshot> TakeMany(IReadOnlyList<string> diskPaths, string format, IReadOnlyList<(string GuestPath, string Prefix)> hives,
        IReadOnlyList<string> dirs, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(diskPaths);
        ArgumentException.ThrowIfNullOrEmpty(format);
        if (diskPaths.Count is 0 or > 20)
        {
            throw new ArgumentException($"between 1 and 20 disk images, not {diskPaths.Count}", nameof(diskPaths));
        }

        foreach (var diskPath in diskPaths)
        {
            if (!File.Exists(diskPath))
            {
                throw new ArgumentException($"disk image {diskPath} does not exist", nameof(diskPaths));
            }
        }

        Tool.Require("guestfish");
        if (hives.Count > 0)
        {
            Tool.Require("hivexregedit");
        }

        var temp = RepoPaths.NewTempDir("v2v-snapshot");
        using var fish = Guestfish.Listen(diskPaths, format);
        try
        {
            fish.Run("run");
            var roots = Lines(fish.Run("inspect-os"));
            var result = new List<GuestSnapshot>();
            for (var i = 0; i < diskPaths.Count; i++)
            {
                var prefix = $"/dev/sd{(char)('a' + i)}";
                var root = roots.FirstOrDefault(r => r.StartsWith(prefix, StringComparison.Ordinal) && (r.Length == prefix.Length || char.IsAsciiDigit(r[prefix.Length]))) ?? "";
                fish.Attempt("umount-all");
                result.Add(Read(fish, temp, diskPaths[i], root, hives, dirs, files));
            }

            return result;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static GuestSnapshot Read(Guestfish fish, string temp, string diskPath, string root, IReadOnlyList<(string GuestPath, string Prefix)> hives, IReadOnlyList<string> dirs, IReadOnlyList<string> files)
    {
        var inspection = new Dictionary<string, string>();
        if (root.Length > 0)
        {
            foreach (var field in InspectFields)
            {
                if (fish.Query("inspect-get-" + field, root) is { } r)
                {
                    inspection[field] = r;
                }
            }

            // "/: /dev/sda3" lines; mount the shortest mount points first.
            var mounts = Lines(fish.Run("inspect-get-mountpoints", root))
                .Select(l => l.Split(": ", 2))
                .Where(p => p.Length == 2)
                .OrderBy(p => p[0].Length);
            foreach (var m in mounts)
            {
                fish.Attempt("mount-ro", m[1], m[0]);
            }
        }

        var snap = new GuestSnapshot(root, inspection);
        var n = Directory.GetFiles(temp).Length;
        foreach (var (guestPath, prefix) in hives)
        {
            var local = Path.Combine(temp, $"hive{n++}");
            var real = Existing(fish, guestPath, "is-file");
            if (real is null)
            {
                snap._hives[guestPath] = null;
                continue;
            }

            fish.Run("download", real, local);

            var export = Tool.Run("hivexregedit", ["--export", "--prefix", prefix, local, "\\"]);
            if (export.ExitCode != 0)
            {
                throw new InvalidOperationException($"hivexregedit --export of {guestPath} from {diskPath} failed: {export.All}");
            }

            snap._hives[guestPath] = export.StdOut;
        }

        foreach (var dir in dirs)
        {
            var real = Existing(fish, dir, "is-dir");
            var listing = real is null ? null : fish.Run("ls", real);
            snap._dirs[dir] = listing is null ? null : Lines(listing);
        }

        foreach (var file in files)
        {
            var real = Existing(fish, file, "is-file");
            var size = real is null ? null : fish.Run("filesize", real);
            if (real is null || size is null)
            {
                snap._files[file] = null;
                continue;
            }

            var local = Path.Combine(temp, $"file{n++}");
            var length = long.Parse(size.Trim(), CultureInfo.InvariantCulture);
            var take = Math.Min(length, MaxHeadBytes).ToString(CultureInfo.InvariantCulture);
            fish.Run("download-offset", real, local, "0", take);
            snap._files[file] = new GuestFile(real, length, File.ReadAllBytes(local));
        }

        return snap;
    }

    /// <summary>The path as the guest spells it when it exists and is a file (is-file) or a folder (is-dir); null otherwise, without ending the server.</summary>
    private static string? Existing(Guestfish fish, string path, string test)
    {
        var real = fish.Query("case-sensitive-path", path);
        return real is not null && fish.Query(test, real) == "true" ? real : null;
    }

    private static List<string> Lines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
