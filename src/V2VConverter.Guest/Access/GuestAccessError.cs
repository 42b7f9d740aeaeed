namespace V2VConverter.Guest.Access;

/// <summary>One line for the user when libguestfs is missing or its appliance fails, instead of a loader dump.</summary>
public static class GuestAccessError
{
    public const string NotInstalled = "libguestfs is not installed: apt-get install libguestfs-tools";

    /// <summary>True for the exceptions that mean "the guest cannot be reached" rather than a bug.</summary>
    public static bool IsGuestAccessFailure(Exception e) => e is GuestfsException or DllNotFoundException or EntryPointNotFoundException;

    public static string Describe(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            DllNotFoundException or EntryPointNotFoundException => NotInstalled,
            GuestfsException => $"libguestfs: {FirstLine(e.Message)}",
            _ => FirstLine(e.Message),
        };
    }

    private static string FirstLine(string s)
    {
        var line = s.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? s;
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
