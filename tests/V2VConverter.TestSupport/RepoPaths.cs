namespace V2VConverter.TestSupport;

/// <summary>Finds the repository root, ../shared, and a scratch folder for tests.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "V2VConverter.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (V2VConverter.sln) not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootLazy.Value;

    /// <summary>../shared beside the repository, or null when it is absent (tests then skip with a message).</summary>
    public static string? Shared
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("V2V_SHARED_DIR");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
            {
                return env;
            }

            var p = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(p) ? p : null;
        }
    }

    /// <summary>A fresh empty folder under the system temp directory.</summary>
    public static string NewTempDir(string prefix = "v2v-test")
    {
        var d = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }
}
