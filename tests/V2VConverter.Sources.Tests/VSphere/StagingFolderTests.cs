using System.Diagnostics;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>Issue 11 point 7: the staging folders a killed vSphere run left are removed by the next run; a live run's are kept.</summary>
public sealed class StagingFolderTests
{
    [Fact]
    public void Staging_folders_of_dead_runs_are_removed_and_live_ones_kept_and_links_never_followed()
    {
        int deadPid;
        using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            deadPid = p.Id;
            p.WaitForExit();
        }

        var parent = RepoPaths.NewTempDir("v2v-staging");
        var outside = RepoPaths.NewTempDir("v2v-staging-outside");
        try
        {
            var dead = Path.Combine(parent, $".v2v-download-vm1-{deadPid}-0123456789ab");
            var deadOld = Path.Combine(parent, $".v2v-download-vm2-{deadPid}");
            var live = Path.Combine(parent, $".v2v-download-vm1-{Environment.ProcessId}-0123456789ab");
            var deadLink = Path.Combine(parent, $".v2v-download-vm3-{deadPid}-ba9876543210");
            Directory.CreateDirectory(Path.Combine(dead, "disk1"));
            File.WriteAllText(Path.Combine(dead, "disk1", "vm-flat.vmdk"), "partial download");
            Directory.CreateDirectory(deadOld);
            Directory.CreateDirectory(live);
            File.WriteAllText(Path.Combine(outside, "keep.txt"), "not ours");
            Directory.CreateSymbolicLink(deadLink, outside);

            var removed = VSphereDiskOpener.RemoveStaleStaging(parent);

            Assert.Equal(new[] { dead, deadLink, deadOld }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
            Assert.False(Directory.Exists(dead));
            Assert.False(Directory.Exists(deadOld));
            Assert.False(Path.Exists(deadLink));
            Assert.True(Directory.Exists(live));
            Assert.True(File.Exists(Path.Combine(outside, "keep.txt")), "the link's target was touched");
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }
}
