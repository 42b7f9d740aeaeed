using Xunit;

namespace V2VConverter.TestSupport;

/// <summary>
/// The Debian fixture guest of ../shared/fixtures, built once and cached by tests/deps/setup.d/guest-fixture.sh: the
/// "plain" and "pinned" BIOS variants, and the "uefi" variant (tests/deps/make-uefi-guest.sh).
/// </summary>
public static class LinuxGuestFixture
{
    /// <summary>The variant's folder (guest.vmx, guest.vmdk), built now if it is not cached; null without ../shared.</summary>
    public static string? TryGet(string variant)
    {
        if (RepoPaths.Shared is null)
        {
            return null;
        }

        var r = Tool.Run("bash", [Path.Combine(RepoPaths.Root, "tests", "deps", "setup.d", "guest-fixture.sh"), variant], timeoutMs: 3_600_000);
        Assert.True(r.ExitCode == 0, r.All);
        return r.StdOut.Trim().Split('\n').Last().Trim();
    }

    /// <summary><see cref="TryGet"/>, skipping the test with a clear message without ../shared.</summary>
    public static string Require(string variant, string test = "the boot proof")
    {
        if (TryGet(variant) is { } folder)
        {
            return folder;
        }

        Assert.Skip($"../shared is not present; {test} needs the fixture guest from ../shared/fixtures");
        return null!;
    }

    /// <summary>
    /// The fixture's VM folder reproduced in <paramref name="folder"/> (guest.vmx copied, guest.vmdk hard-linked, or copied
    /// across file systems: the source is only read), so a test can put files beside it. Returns the .vmx path.
    /// </summary>
    public static string CopyVm(string fixture, string folder)
    {
        Directory.CreateDirectory(folder);
        var vmdk = Path.Combine(folder, "guest.vmdk");
        if (Tool.Run("ln", [Path.Combine(fixture, "guest.vmdk"), vmdk]).ExitCode != 0)
        {
            File.Copy(Path.Combine(fixture, "guest.vmdk"), vmdk);
        }

        var vmx = Path.Combine(folder, "guest.vmx");
        File.Copy(Path.Combine(fixture, "guest.vmx"), vmx);
        return vmx;
    }
}
