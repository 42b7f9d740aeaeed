namespace V2VConverter.TestSupport;

/// <summary>
/// Makes a folder in which nobody can create a file, even root: mode 0555, and where that is not enough (root) the
/// immutable attribute (chattr +i). <see cref="Make"/> says whether it worked; <see cref="Undo"/> restores the folder.
/// </summary>
public static class ReadOnlyFolder
{
    public static bool Make(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (!CanCreate(dir))
        {
            return true;
        }

        if (Tool.Exists("chattr") && Tool.Run("chattr", ["+i", dir]).ExitCode == 0 && !CanCreate(dir))
        {
            return true;
        }

        Undo(dir);
        return false;
    }

    public static void Undo(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        if (Tool.Exists("chattr"))
        {
            Tool.Run("chattr", ["-i", dir]);
        }

        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static bool CanCreate(string dir)
    {
        var probe = Path.Combine(dir, ".probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
