using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Tests;

public sealed class LibguestfsAvailabilityTests
{
    [Fact]
    public void A_library_that_does_not_exist_is_one_line_naming_it_and_the_package_to_install()
    {
        var problem = LibguestfsAvailability.Probe("libv2v-no-such-library.so.0");

        Assert.Equal("libguestfs is not installed (libv2v-no-such-library.so.0 was not found): apt-get install libguestfs-tools", problem);
    }

    [Fact]
    public void A_library_that_loads_is_no_problem()
    {
        Assert.Null(LibguestfsAvailability.Probe("libc.so.6"));
    }

    [Fact]
    public void ThrowIfMissing_agrees_with_Problem_and_never_throws_the_loader_dump()
    {
        if (LibguestfsAvailability.Problem is null)
        {
            LibguestfsAvailability.ThrowIfMissing(); // installed here: must not throw
            return;
        }

        var e = Assert.Throws<DllNotFoundException>(LibguestfsAvailability.ThrowIfMissing);
        Assert.Equal(LibguestfsAvailability.Problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
