using System.Text;
using V2VConverter.Guest.Windows.FirstBoot;
using V2VConverter.TestSupport;
using GuestFile = V2VConverter.Guest.Windows.FirstBoot.GuestFile;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>Renders a whole plan as one reviewable text document (files decoded, CRLF shown as LF) and compares it with a golden file.</summary>
internal static class FirstBootRender
{
    public static string GoldenDir => Path.Combine(RepoPaths.Root, "tests", "V2VConverter.Guest.Tests", "Windows", "FirstBoot", "golden");

    public static string Render(FirstBootPlan plan)
    {
        var sb = new StringBuilder();
        sb.Append("log: ").Append(plan.LogPath).Append('\n');
        sb.Append("steps:\n");
        for (var i = 0; i < plan.Steps.Count; i++)
        {
            sb.Append("  ").Append(i + 1).Append(". ").Append(plan.Steps[i]).Append('\n');
        }

        sb.Append("registry:\n");
        foreach (var w in plan.Registry)
        {
            sb.Append("  ").Append(w.Hive).Append('\\').Append(w.Key).Append(" \"").Append(w.Name).Append("\" = ").Append(w.Value.Render()).Append('\n');
        }

        foreach (var f in plan.Files)
        {
            var (encoding, text) = Decode(f);
            sb.Append("=== ").Append(f.GuestPath).Append(" (").Append(encoding).Append(", ").Append(f.Content.Length).Append(" bytes) ===\n");
            sb.Append(text.Replace("\r\n", "\n", StringComparison.Ordinal));
        }

        return sb.ToString();
    }

    public static (string Encoding, string Text) Decode(GuestFile f) =>
        f.Content is [0xFF, 0xFE, ..]
            ? ("utf-16le+bom", Encoding.Unicode.GetString(f.Content, 2, f.Content.Length - 2))
            : ("ascii", Encoding.ASCII.GetString(f.Content));

    public static void AssertGolden(string actual, string name)
    {
        var path = Path.Combine(GoldenDir, name + ".txt");
        if (Environment.GetEnvironmentVariable("V2V_UPDATE_GOLDEN") == "1" || !File.Exists(path))
        {
            Directory.CreateDirectory(GoldenDir);
            File.WriteAllText(path, actual);
            Assert.Fail($"golden file {path} was missing or V2V_UPDATE_GOLDEN=1: written; review it and run again");
        }

        var expected = File.ReadAllText(path);
        Assert.True(expected == actual, $"{path} differs from the plan (V2V_UPDATE_GOLDEN=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}");
    }

    public static string Text(FirstBootPlan plan, string fileName) =>
        Decode(plan.Files.Single(f => f.GuestPath.EndsWith("/" + fileName, StringComparison.Ordinal))).Text;
}
