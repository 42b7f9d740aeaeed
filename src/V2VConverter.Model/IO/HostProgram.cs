namespace V2VConverter.Model.IO;

/// <summary>Host programs the converter runs (xz, virt-fw-vars): found on PATH, never through a shell.</summary>
public static class HostProgram
{
    /// <summary>The first <paramref name="name"/> on PATH; null when there is none.</summary>
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Where(d => d.Length > 0)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
