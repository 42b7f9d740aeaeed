using System.Text.Json;

namespace V2VConverter.Cli.Tests;

/// <summary>A folder's entries apart from the run logs (NAME.TIMESTAMP.log.json), which are kept on purpose, even on failure.</summary>
public static class RunLogFiles
{
    public static string[] OutputsIn(string dir) =>
        Directory.Exists(dir) ? Directory.GetFileSystemEntries(dir).Where(f => !f.EndsWith(".log.json", StringComparison.Ordinal)).ToArray() : [];

    /// <summary>The single run log in <paramref name="dir"/>, parsed: one compact-JSON event per line.</summary>
    public static IReadOnlyList<JsonElement> SingleLogIn(string dir)
    {
        var file = Assert.Single(Directory.GetFiles(dir, "*.log.json"));
        return File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}
