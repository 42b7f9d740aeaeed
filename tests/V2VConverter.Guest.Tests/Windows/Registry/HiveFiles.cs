using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows.Registry;

/// <summary>
/// Real hives for the registry tests: a copy of ../shared/corpus/windows/minimal-hive (an empty hive), filled with
/// the real tool (<c>hivexregedit --merge</c>) and checked with it (<c>hivexregedit --export</c>) after a commit.
/// </summary>
internal static class HiveFiles
{
    /// <summary>The prefix the .reg texts and the exports use for the hive root.</summary>
    public const string Prefix = @"HKEY_LOCAL_MACHINE\SYSTEM";

    /// <summary>The shared corpus folder of Windows samples; skips the test when ../shared is absent.</summary>
    public static string Corpus()
    {
        var dir = RepoPaths.Shared is { } shared ? Path.Combine(shared, "corpus", "windows") : null;
        if (dir is null || !File.Exists(Path.Combine(dir, "minimal-hive")))
        {
            Assert.Skip("../shared/corpus/windows/minimal-hive is absent; the hive tests need a real empty hive from /work/shared");
        }

        return dir;
    }

    /// <summary>A writable copy of the empty hive in a fresh folder, with the .reg texts merged into it.</summary>
    public static string NewHive(params string[] regTexts)
    {
        var corpus = Corpus();
        Tool.Require("hivexregedit");
        var dir = RepoPaths.NewTempDir("v2v-hive");
        var hive = Path.Combine(dir, "SYSTEM");
        File.Copy(Path.Combine(corpus, "minimal-hive"), hive);
        File.SetAttributes(hive, FileAttributes.Normal);
        for (var i = 0; i < regTexts.Length; i++)
        {
            var reg = Path.Combine(dir, $"merge{i}.reg");
            File.WriteAllText(reg, regTexts[i]);
            Merge(hive, reg);
        }

        return hive;
    }

    public static void Merge(string hive, string regFile) =>
        Tool.Check("hivexregedit", "--merge", "--prefix", Prefix, hive, regFile);

    /// <summary>The lines of <c>hivexregedit --export</c> of the whole hive (the oracle).</summary>
    public static IReadOnlyList<string> Export(string hive) =>
        Tool.Check("hivexregedit", "--export", "--prefix", Prefix, hive, "\\").StdOut
            .Split('\n').Select(l => l.TrimEnd('\r')).ToList();

    /// <summary>The export lines of one key (its header line excluded), up to the next key.</summary>
    public static IReadOnlyList<string> ExportedKey(IReadOnlyList<string> export, string keyPath)
    {
        var header = $@"[{Prefix}\{keyPath}]";
        var start = export.ToList().FindIndex(l => string.Equals(l, header, StringComparison.Ordinal));
        Assert.True(start >= 0, $"{header} is not in the export:\n{string.Join('\n', export)}");
        return export.Skip(start + 1).TakeWhile(l => l.Length > 0 && !l.StartsWith('[')).ToList();
    }

    public static string KeyLine(string keyPath) => $@"[{Prefix}\{keyPath}]";
}
