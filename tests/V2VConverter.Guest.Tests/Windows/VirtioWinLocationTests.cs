using V2VConverter.Guest.Windows;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Windows;

/// <summary>Where the virtio-win drivers come from: --virtio-win, then $VIRTIO_WIN, then /usr/share/virtio-win; a directory or an ISO.</summary>
public sealed class VirtioWinLocationTests
{
    [Fact]
    public void The_option_wins_over_the_environment_and_a_directory_is_read_as_a_tree()
    {
        var dir = RepoPaths.NewTempDir("v2v-vw");
        var other = RepoPaths.NewTempDir("v2v-vw-env");
        Directory.CreateDirectory(Path.Combine(dir, "viostor"));

        var fromOption = VirtioWinLocation.Resolve(dir, environment: other)!;
        var fromEnv = VirtioWinLocation.Resolve(null, environment: other)!;

        Assert.Equal((dir, false, "--virtio-win"), (fromOption.Path, fromOption.IsIso, fromOption.Origin));
        Assert.Equal((other, false, "$VIRTIO_WIN"), (fromEnv.Path, fromEnv.IsIso, fromEnv.Origin));
    }

    [Fact]
    public void A_file_is_an_ISO_and_a_folder_holding_only_the_ISO_means_the_ISO()
    {
        var dir = RepoPaths.NewTempDir("v2v-vw-iso");
        var iso = Path.Combine(dir, "virtio-win-0.1.262.iso");
        File.WriteAllBytes(iso, new byte[4096]);

        Assert.Equal((iso, true), (VirtioWinLocation.Resolve(iso, environment: "")!.Path, VirtioWinLocation.Resolve(iso, environment: "")!.IsIso));
        var viaFolder = VirtioWinLocation.Resolve(null, environment: dir)!;
        Assert.Equal((iso, true), (viaFolder.Path, viaFolder.IsIso));
    }

    [Fact]
    public void A_given_path_that_does_not_exist_is_a_usage_error_and_a_missing_default_is_none()
    {
        var missing = Path.Combine(RepoPaths.NewTempDir("v2v-vw-missing"), "nope");

        var e = Assert.Throws<UsageException>(() => VirtioWinLocation.Resolve(missing, environment: ""));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => VirtioWinLocation.Resolve(null, environment: missing));
        if (!Directory.Exists(VirtioWinLocation.DefaultDirectory) && !File.Exists(VirtioWinLocation.DefaultDirectory))
        {
            Assert.Null(VirtioWinLocation.Resolve(null, environment: ""));
        }
    }
}
