using System.Runtime.InteropServices;

namespace V2VConverter.Guest.Access;

/// <summary>
/// Whether libguestfs can be loaded, checked before the first P/Invoke: a missing library is then one
/// line saying what to install, not the .NET loader's list of every path it tried.
/// </summary>
public static class LibguestfsAvailability
{
    /// <summary>The library <see cref="NativeMethods"/> binds to.</summary>
    public const string LibraryName = "libguestfs.so.0";

    /// <summary>The Debian package that provides it (with guestfish, which the sample builder uses).</summary>
    public const string InstallHint = "apt-get install libguestfs-tools";

    private static readonly Lazy<string?> LoadProblem = new(() => Probe(LibraryName));

    /// <summary>Null when libguestfs loads; otherwise the one-line reason, with the package to install.</summary>
    public static string? Problem => LoadProblem.Value;

    /// <summary>Null when <paramref name="library"/> loads; otherwise one line naming it and the package to install.</summary>
    public static string? Probe(string library)
    {
        ArgumentException.ThrowIfNullOrEmpty(library);
        if (NativeLibrary.TryLoad(library, out var handle))
        {
            NativeLibrary.Free(handle); // the P/Invoke binding loads it again on first use
            return null;
        }

        return $"libguestfs is not installed ({library} was not found): {InstallHint}";
    }

    /// <summary>Throws <see cref="DllNotFoundException"/> with the one-line <see cref="Problem"/> when libguestfs cannot be loaded.</summary>
    public static void ThrowIfMissing()
    {
        if (Problem is { } problem)
        {
            throw new DllNotFoundException(problem);
        }
    }
}
