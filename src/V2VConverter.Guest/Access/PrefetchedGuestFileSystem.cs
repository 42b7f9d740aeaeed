using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Access;

/// <summary>
/// Answers the many small "does this exist / what matches this glob" questions of inspection and
/// the fixups from one listing of the directories they ask about, read with a single guest
/// <c>find</c>: under TCG every appliance call costs about 0.1 s, and a conversion asks about 70 such
/// questions. Reads, writes and commands go to the guest. Writes, removals and mkdir keep the
/// listing true; a guest command (which may change anything) drops it, and the next question reads
/// it again. Anything the listing cannot answer exactly (outside the listed roots, below a
/// symlink, a symlink itself, brace patterns) goes to the guest.
/// </summary>
public sealed partial class PrefetchedGuestFileSystem(IGuestFileSystem inner, Action<string>? log = null) : IGuestFileSystem
{
    /// <summary>Listed roots and how deep (find -maxdepth).</summary>
    public static readonly IReadOnlyList<(string Root, int Depth)> Roots =
    [
        ("/etc", 32), ("/boot", 8), ("/var/lib/dpkg", 2), ("/lib/modules", 2), ("/usr/lib/modules", 2),
        ("/lib/systemd", 1), ("/usr/lib/systemd", 1), ("/sbin", 1), ("/usr/sbin", 1), ("/bin", 1), ("/usr/bin", 1),
    ];

    /// <summary>Bound on the listing (entries), so a strange guest cannot make it huge.</summary>
    public const int MaxEntries = 200_000;

    private const string EndMark = "@@v2v-listing-end";

    private Dictionary<string, char>? _entries;
    private bool _disabled;

    /// <summary>Times the listing was read (for tests and the log).</summary>
    public int Listings { get; private set; }

    public bool Exists(string path) => Answer(path, (k) => true, () => inner.Exists(path), followsLinks: true);

    public bool IsFile(string path) => Answer(path, k => k == 'f', () => inner.IsFile(path), followsLinks: false);

    public bool IsDirectory(string path) => Answer(path, k => k == 'd', () => inner.IsDirectory(path), followsLinks: false);

    public bool IsSymlink(string path) => Answer(path, k => k == 'l', () => inner.IsSymlink(path), followsLinks: false, symlinkOk: true);

    public IReadOnlyList<string> Glob(string pattern)
    {
        var entries = Listing();
        var norm = Normalize(pattern);
        if (entries is null || pattern.EndsWith('/') || norm.Contains('{', StringComparison.Ordinal) || norm.Contains('\\', StringComparison.Ordinal) || CoveringRoot(LiteralPrefixDirectory(norm)) is not { } root)
        {
            return inner.Glob(pattern);
        }

        var parts = norm.Split('/');
        if (parts.Length - 1 > Depth(root.Root) + root.Depth || parts.Any(c => c.StartsWith('.') && c.IndexOfAny(['*', '?', '[']) >= 0))
        {
            return inner.Glob(pattern); // deeper than listed, or ".*" (glob(3) also yields . and ..)
        }

        var regexes = parts.Select(ComponentRegex).ToArray();
        var matches = new List<string>();
        foreach (var (path, kind) in entries)
        {
            var pp = path.Split('/');
            if (pp.Length > parts.Length || !path.StartsWith(root.Root, StringComparison.Ordinal))
            {
                continue;
            }

            var prefixMatches = true;
            for (var i = 1; i < pp.Length && prefixMatches; i++)
            {
                prefixMatches = regexes[i].IsMatch(pp[i]);
            }

            if (!prefixMatches)
            {
                continue;
            }

            if (kind == 'l')
            {
                return inner.Glob(pattern); // glob(3) would follow it
            }

            if (pp.Length == parts.Length)
            {
                matches.Add(kind == 'd' ? path + "/" : path);
            }
        }

        return matches.Order(StringComparer.Ordinal).ToList();
    }

    public string ReadText(string path) => inner.ReadText(path);

    public void WriteText(string path, string text)
    {
        inner.WriteText(path, text);
        Record(path, 'f');
    }

    public IReadOnlyList<string> Find(string directory) => inner.Find(directory);

    public void Remove(string path)
    {
        inner.Remove(path);
        if (_entries is not null && Normalize(path) is var p && _entries.TryGetValue(p, out var k) && k != 'd')
        {
            _entries.Remove(p);
        }
    }

    public void MakeDirectories(string path)
    {
        inner.MakeDirectories(path);
        var p = Normalize(path);
        for (var at = p.Length; at > 0; at = p.LastIndexOf('/', at - 1))
        {
            Record(p[..at], 'd');
        }
    }

    public void Chmod(int mode, string path) => inner.Chmod(mode, path);

    public string Command(params string[] argv)
    {
        _entries = null;
        return inner.Command(argv);
    }

    public string Shell(string script)
    {
        _entries = null;
        return inner.Shell(script);
    }

    /// <summary>The find script: one "TYPE PATH" line per entry of each listed root that is a real directory.</summary>
    internal static string Script() =>
        string.Concat(Roots.Select(r => string.Create(CultureInfo.InvariantCulture, $"if [ -d {r.Root} ] && [ ! -L {r.Root} ]; then find {r.Root} -maxdepth {r.Depth} -printf '%y %p\\n' 2>/dev/null; fi; ")))
        + $"echo {EndMark}";

    /// <summary>Parses the listing; null when it is not complete (no end mark, or a find without -printf).</summary>
    internal static Dictionary<string, char>? Parse(string output)
    {
        var entries = new Dictionary<string, char>(StringComparer.Ordinal);
        var complete = false;
        foreach (var line in output.Split('\n'))
        {
            if (line == EndMark)
            {
                complete = true;
                break;
            }

            if (line.Length < 3 || line[1] != ' ' || line[2] != '/')
            {
                return null;
            }

            entries[Normalize(line[2..])] = line[0];
            if (entries.Count > MaxEntries)
            {
                return null;
            }
        }

        return complete ? entries : null;
    }

    private Dictionary<string, char>? Listing()
    {
        if (_disabled)
        {
            return null;
        }

        if (_entries is null)
        {
            try
            {
                _entries = Parse(inner.Shell(Script()));
            }
            catch (GuestfsException e)
            {
                log?.Invoke($"guest files: listing failed ({e.Message}); asking the guest for each path");
                _entries = null;
            }

            Listings++;
            if (_entries is null)
            {
                _disabled = true;
                log?.Invoke("guest files: the guest's find cannot list (no GNU find -printf?); asking the guest for each path");
            }
        }

        return _entries;
    }

    private bool Answer(string path, Func<char, bool> test, Func<bool> ask, bool followsLinks, bool symlinkOk = false)
    {
        var entries = Listing();
        var p = Normalize(path);
        if (entries is null || CoveringRoot(p) is not { } root || Depth(p) > Depth(root.Root) + root.Depth)
        {
            return ask();
        }

        if (entries.TryGetValue(p, out var kind))
        {
            if (kind == 'l')
            {
                return symlinkOk && !path.EndsWith('/') ? test(kind) : (followsLinks || path.EndsWith('/') ? ask() : false);
            }

            // "file/" names nothing (ENOTDIR), as the guest's own calls would say.
            return (kind == 'd' || !path.EndsWith('/')) && test(kind);
        }

        return false;
    }

    /// <summary>The listed root holding <paramref name="p"/> with no symlink between them; null when none does.</summary>
    private (string Root, int Depth)? CoveringRoot(string p)
    {
        var entries = _entries;
        if (entries is null)
        {
            return null;
        }

        foreach (var r in Roots)
        {
            if ((p == r.Root || p.StartsWith(r.Root + "/", StringComparison.Ordinal)) && entries.TryGetValue(r.Root, out var k) && k == 'd')
            {
                for (var at = p.LastIndexOf('/'); at > r.Root.Length; at = p.LastIndexOf('/', at - 1))
                {
                    if (entries.TryGetValue(p[..at], out var a) && a != 'd')
                    {
                        return null;
                    }
                }

                return r;
            }
        }

        return null;
    }

    private void Record(string path, char kind)
    {
        var p = Normalize(path);
        if (_entries is not null && CoveringRoot(p) is { } root && Depth(p) <= Depth(root.Root) + root.Depth)
        {
            _entries[p] = kind;
        }
    }

    private static int Depth(string p) => p.Count(c => c == '/');

    private static string Normalize(string p)
    {
        var s = MultiSlash().Replace(p, "/");
        return s.Length > 1 ? s.TrimEnd('/') : s;
    }

    /// <summary>The directory part of a pattern before its first wildcard component.</summary>
    private static string LiteralPrefixDirectory(string pattern)
    {
        var parts = pattern.Split('/');
        var n = 1;
        while (n < parts.Length - 1 && parts[n].IndexOfAny(['*', '?', '[']) < 0)
        {
            n++;
        }

        return n == 1 ? "/" : string.Join('/', parts.Take(n));
    }

    /// <summary>One glob component as a regex: * ? [..] [!..]; a leading dot must be matched literally, as glob(3) does.</summary>
    private static Regex ComponentRegex(string component)
    {
        var sb = new StringBuilder("^");
        if (component.Length > 0 && component[0] != '.')
        {
            sb.Append("(?!\\.)");
        }

        for (var i = 0; i < component.Length; i++)
        {
            var c = component[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    var close = component.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        sb.Append("\\[");
                        break;
                    }

                    var body = component[(i + 1)..close];
                    sb.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]).Replace("\\-", "-", StringComparison.Ordinal) : Regex.Escape(body).Replace("\\-", "-", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    [GeneratedRegex("/{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex MultiSlash();
}
