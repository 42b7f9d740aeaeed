namespace V2VConverter.Pipeline;

/// <summary>Writes a file under a temporary name in the same folder, then renames it: never a partial file under the final name.</summary>
public static class AtomicFile
{
    public static string TempNameFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.v2v-tmp-{Environment.ProcessId}");

    public static void WriteAllText(string path, string text)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"{dir}: output directory does not exist");
        }

        var tmp = TempNameFor(path);
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
