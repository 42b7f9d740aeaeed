using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Raw;
using V2VConverter.Guest.Access;
using V2VConverter.Pipeline.Overlay;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>
/// The fixups of an output that has no local file (<c>-o libvirt</c>) run on a copy-on-write view of the source
/// disk, served by our own NBD server: the appliance reads the source through it, its writes land in the overlay
/// only, and the merged view is a consistent file system holding them. One appliance launch (TCG).
/// </summary>
[Collection("guest appliance")]
public sealed class NbdApplianceTests
{
    static NbdApplianceTests()
    {
        Environment.SetEnvironmentVariable("LIBGUESTFS_BACKEND", Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND") ?? "direct");
    }

    [Fact]
    public void The_appliance_writes_through_nbd_into_the_overlay_and_the_source_image_is_untouched()
    {
        Tool.Require("guestfish");
        Tool.Require("mkfs.ext4");
        Tool.Require("debugfs");
        Tool.Require("e2fsck");
        var dir = RepoPaths.NewTempDir("v2v-guest-nbd");
        try
        {
            // The "source disk": a raw image with an ext4 file system holding one file.
            var seed = Path.Combine(dir, "seed");
            Directory.CreateDirectory(seed);
            File.WriteAllText(Path.Combine(seed, "hello.txt"), "before\n");
            var source = Path.Combine(dir, "source.raw");
            using (var f = File.Create(source))
            {
                f.SetLength(64 * 1024 * 1024);
            }

            Tool.Check("mkfs.ext4", "-q", "-F", "-L", "nbdtest", "-d", seed, source);
            var sourceHash = FileHash.Sha256(source);
            var overlayDir = Path.Combine(dir, "overlay");
            Directory.CreateDirectory(overlayDir);
            var content = string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i} written by the appliance through NBD\n"));

            var log = new TestLog();
            using var cow = new CowDisk(RawDisk.Open(source), overlayDir, leaveOpen: false);
            using (var server = NbdServer.Start(cow, log.Logger, TestContext.Current.CancellationToken))
            using (var session = GuestfsSession.Launch([ApplianceDisk.Nbd(server.SocketPath, source)], new ApplianceLaunch { Accelerator = ApplianceAccelerator.Tcg }, log.Logger, TestContext.Current.CancellationToken))
            {
                Assert.Equal(["/dev/sda"], session.ListDevices());
                Assert.Equal("ext4", session.VfsType("/dev/sda"));
                session.Mount("/dev/sda", "/", readOnly: false);
                Assert.Equal("before\n", session.ReadText("/hello.txt"));
                session.MakeDirectories("/etc/v2v");
                session.WriteText("/etc/v2v/new.txt", content);
                session.Remove("/hello.txt");
                session.UnmountAll();
                session.Shutdown();
            }

            Assert.Contains(log.Events, e => e.Message.Contains("nbd: connection 1 opened", StringComparison.Ordinal));
            Assert.True(cow.ChangedBlocks > 0, "the appliance wrote nothing into the overlay");
            Assert.Equal(sourceHash, FileHash.Sha256(source));
            Assert.Empty(Directory.EnumerateFileSystemEntries(overlayDir));

            // The merged view, as the copier will read it: a clean file system with the appliance's changes.
            var merged = Path.Combine(dir, "merged.raw");
            using (var output = File.OpenHandle(merged, FileMode.CreateNew, FileAccess.Write))
            {
                var buffer = new byte[1024 * 1024];
                for (long pos = 0; pos < cow.Length; pos += buffer.Length)
                {
                    var n = (int)Math.Min(buffer.Length, cow.Length - pos);
                    cow.Read(pos, buffer.AsSpan(0, n));
                    RandomAccess.Write(output, buffer.AsSpan(0, n), pos);
                }
            }

            var fsck = Tool.Run("e2fsck", ["-fn", merged]);
            Assert.True(fsck.ExitCode == 0, fsck.All);
            Assert.Equal(content, Tool.Run("debugfs", ["-R", "cat /etc/v2v/new.txt", merged]).StdOut);
            Assert.Contains("File not found", Tool.Run("debugfs", ["-R", "stat /hello.txt", merged]).All, StringComparison.Ordinal);
            Assert.Equal("before\n", Tool.Run("debugfs", ["-R", "cat /hello.txt", source]).StdOut);
            Assert.Contains("File not found", Tool.Run("debugfs", ["-R", "stat /etc/v2v/new.txt", source]).All, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_nbd_socket_is_an_error_before_any_launch()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => GuestfsSession.Launch([ApplianceDisk.Nbd("/nonexistent/nbd.sock", "disk1")], ApplianceAccelerator.Tcg, Model.Diagnostics.LogExtensions.None));
        Assert.Contains("NBD socket /nonexistent/nbd.sock for disk disk1", ex.Message, StringComparison.Ordinal);
        Assert.Equal("disk1 (NBD export on /nonexistent/nbd.sock)", ApplianceDisk.Nbd("/nonexistent/nbd.sock", "disk1").Describe());
    }
}
