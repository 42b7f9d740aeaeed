using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Tests.Fixups;

/// <summary>An in-memory guest tree with scripted commands, for testing fixups without an appliance.</summary>
internal sealed class FakeGuest : IGuestFileSystem
{
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Binary files (initramfs images); a path here is also a file.</summary>
    public Dictionary<string, byte[]> Binary { get; } = new(StringComparer.Ordinal);

    public List<string> Commands { get; } = [];

    /// <summary>Answers for commands, by prefix of the joined command line.</summary>
    public Dictionary<string, Func<string>> Responses { get; } = new(StringComparer.Ordinal);

    public bool Exists(string path) => IsFile(path) || IsDirectory(path);

    /// <summary>Symbolic links made by fixups: link path -> target.</summary>
    public Dictionary<string, string> Links { get; } = new(StringComparer.Ordinal);

    public bool IsFile(string path) => Files.ContainsKey(path) || Binary.ContainsKey(path);

    public bool IsDirectory(string path) => Files.Keys.Concat(Binary.Keys).Any(k => k.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal));

    public bool IsSymlink(string path) => Links.ContainsKey(path);

    public string ReadText(string path) => Files.TryGetValue(path, out var t) ? t : throw new GuestfsException($"read_file {path}: No such file or directory");

    public void WriteText(string path, string text) => Files[path] = text;

    public Stream OpenRead(string path) =>
        Binary.TryGetValue(path, out var b) ? new MemoryStream(b) : new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ReadText(path)));

    public IReadOnlyList<string> Glob(string pattern)
    {
        var rx = new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]").Replace(@"\[", "[").Replace(@"]", "]") + "$");
        var dirs = Files.Keys.SelectMany(Parents).Distinct();
        return Files.Keys.Concat(dirs).Distinct().Where(p => rx.IsMatch(p)).Order(StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<string> Find(string directory) =>
        Files.Keys.Concat(Binary.Keys).Where(k => k.StartsWith(directory + "/", StringComparison.Ordinal)).Select(k => k[directory.Length..]).ToList();

    public void Remove(string path) => Files.Remove(path);

    public void MakeDirectories(string path)
    {
    }

    public void Chmod(int mode, string path)
    {
    }

    public void Copy(string source, string destination)
    {
        if (Binary.TryGetValue(source, out var b))
        {
            Binary[destination] = b.ToArray();
            Files.Remove(destination);
        }
        else
        {
            Files[destination] = ReadText(source);
            Binary.Remove(destination);
        }
    }

    public void Symlink(string target, string linkName) => Links[linkName] = target;

    public string Command(params string[] argv) => Run(string.Join(' ', argv));

    public string Shell(string script) => Run(script);

    private string Run(string line)
    {
        Commands.Add(line);
        foreach (var (prefix, f) in Responses)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return f();
            }
        }

        return "";
    }

    private static IEnumerable<string> Parents(string p)
    {
        for (var i = p.LastIndexOf('/'); i > 0; i = p.LastIndexOf('/', i - 1))
        {
            yield return p[..i];
        }
    }
}
