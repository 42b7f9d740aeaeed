using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Tests;

/// <summary>A missing libguestfs is one line naming the package, not the .NET loader's list of every path it tried.</summary>
public sealed class GuestAccessErrorTests
{
    /// <summary>What the loader throws when libguestfs.so.0 is absent (shortened; the real one lists ~20 paths).</summary>
    private const string LoaderDump = """
        Unable to load shared library 'libguestfs.so.0' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable:
        /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.0/libguestfs.so.0.so: cannot open shared object file: No such file or directory
        /work/.cache/cli/libguestfs.so.0.so: cannot open shared object file: No such file or directory
        libguestfs.so.0: cannot open shared object file: No such file or directory
        """;

    [Fact]
    public void A_missing_library_is_one_line_naming_the_package_to_install()
    {
        var e = new DllNotFoundException(LoaderDump);

        Assert.True(GuestAccessError.IsGuestAccessFailure(e));
        Assert.Equal("libguestfs is not installed: apt-get install libguestfs-tools", GuestAccessError.Describe(e));
    }
}
