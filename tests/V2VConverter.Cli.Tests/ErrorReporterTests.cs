using V2VConverter.Cli.Infrastructure;
using V2VConverter.Guest.Access;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Tests;

public sealed class ErrorReporterTests
{
    [Fact]
    public void A_missing_libguestfs_is_one_line_saying_what_to_install()
    {
        // The loader's own text is many lines naming every probed path.
        var loader = new DllNotFoundException("Unable to load shared library 'libguestfs.so.0' or one of its dependencies.\n  /usr/share/dotnet/libguestfs.so.0.so: cannot open shared object file\n  liblibguestfs.so.0.so: cannot open shared object file");
        Assert.Equal((ExitCodes.Failure, "libguestfs is not installed: apt-get install libguestfs-tools"), ErrorReporter.Classify(loader));
    }

    [Fact]
    public void An_appliance_failure_is_one_line_without_internal_error()
    {
        var (code, message) = ErrorReporter.Classify(new GuestfsException("guestfs_launch failed.\nThis usually means the libguestfs appliance failed to start or crashed.\nDo:\n  export LIBGUESTFS_DEBUG=1 LIBGUESTFS_TRACE=1"));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("libguestfs: guestfs_launch failed.", message);
    }
}
