using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;
using static V2VConverter.Pipeline.Tests.Libvirt.LibvirtTestKit;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>Volumes created and filled through the stream API, read back with <c>virsh vol-download</c> as the oracle.</summary>
public sealed class VolumeUploadTests
{
    private const int MiB = 1 << 20;

    public static TheoryData<string, bool> Cases => new()
    {
        { "local", true }, { "local", false }, { "tcp", true }, { "ssh", true },
    };

    /// <summary>4 MiB: 1 MiB of data, a 2 MiB hole, 1 MiB of data.</summary>
    private static byte[] Expected()
    {
        var b = new byte[4 * MiB];
        new Random(12).NextBytes(b.AsSpan(0, MiB));
        new Random(13).NextBytes(b.AsSpan(3 * MiB, MiB));
        return b;
    }

    private static byte[] Download(LibvirtHost host, string pool, string volume)
    {
        var file = Path.Combine(RepoPaths.NewTempDir("v2v-libvirt"), "download.raw");
        try
        {
            host.CheckVirsh(host.LocalUri, "vol-download", "--pool", pool, volume, file);
            return File.ReadAllBytes(file);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, true);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Upload_with_a_hole_reads_back_identical(string transport, bool sparse)
    {
        var host = LibvirtHost.Require();
        var uri = transport switch { "local" => host.LocalUri, "tcp" => host.TcpUri, _ => host.SshUri };
        using var conn = Open(host, uri);
        using var pool = conn.FindPool(host.DirPool)!;
        var name = NewName("v2v-up") + ".raw";
        var expected = Expected();
        using var vol = pool.CreateVolume(RawVolumeXml(name, expected.Length));
        try
        {
            Assert.Equal(name, vol.Name);
            Assert.StartsWith(Path.Combine(host.StateDir, "pools", "dir"), vol.Path);
            using (var up = vol.Upload(0, expected.Length, sparse))
            {
                Assert.Equal(sparse, up.IsSparse);
                up.Send(expected.AsSpan(0, MiB));
                up.SendHole(2 * MiB);
                // In pieces that do not line up with anything, from the caller's buffer.
                up.Send(expected.AsSpan(3 * MiB, 12345));
                up.Send(expected.AsSpan((3 * MiB) + 12345));
                Assert.Equal(expected.Length, up.Position);
                up.Finish();
            }

            Assert.Equal(expected, Download(host, host.DirPool, name));
            pool.Refresh();
            var (capacity, allocation) = vol.Info();
            Assert.Equal(expected.Length, capacity);
            if (sparse)
            {
                // The hole travelled as a hole record: the dir pool's file has no blocks there.
                Assert.InRange(allocation, 2 * MiB, (2 * MiB) + (256 << 10));
            }
            else
            {
                // Without the sparse flag the hole was sent as zeros, and written.
                Assert.Equal(4 * MiB, allocation);
            }
        }
        finally
        {
            vol.Delete();
        }

        Assert.Null(pool.FindVolume(name));
    }

    [Fact]
    public void Upload_at_an_offset_writes_only_there_and_fs_pools_take_uploads_too()
    {
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        using var pool = conn.FindPool(host.FsPool)!;
        var name = NewName("v2v-off") + ".raw";
        var expected = new byte[2 * MiB];
        using var vol = pool.CreateVolume(RawVolumeXml(name, expected.Length));
        try
        {
            // The header-last pattern of the qcow2 writer: the body first, then the first bytes in a second upload.
            new Random(5).NextBytes(expected);
            using (var body = vol.Upload(4096, expected.Length - 4096, sparse: true))
            {
                body.Send(expected.AsSpan(4096));
                body.Finish();
            }

            using (var head = vol.Upload(0, 4096, sparse: false))
            {
                head.Send(expected.AsSpan(0, 4096));
                head.Finish();
            }

            Assert.Equal(expected, Download(host, host.FsPool, name));
        }
        finally
        {
            vol.Delete();
        }
    }

    [Fact]
    public void An_aborted_upload_leaves_the_volume_with_what_was_sent_and_Delete_removes_it()
    {
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        using var pool = conn.FindPool(host.DirPool)!;
        var name = NewName("v2v-abort") + ".raw";
        var data = new byte[MiB];
        new Random(7).NextBytes(data);
        using var vol = pool.CreateVolume(RawVolumeXml(name, 4 * MiB));
        using (var up = vol.Upload(0, 4 * MiB, sparse: true))
        {
            up.Send(data);
            up.Abort();
            Assert.Throws<InvalidOperationException>(() => up.Send(data));
            up.Abort(); // twice is harmless
        }

        // Abort does not roll back: the volume exists, at full capacity, holding the bytes sent before the abort
        // (the daemon writes what it received; the rest is unwritten, reading as zeros).
        using (var again = pool.FindVolume(name))
        {
            Assert.NotNull(again);
            Assert.Equal(4 * MiB, again.Info().Capacity);
        }

        var back = Download(host, host.DirPool, name);
        Assert.Equal(4 * MiB, back.Length);
        Assert.True(back.AsSpan(MiB).IndexOfAnyExcept((byte)0) < 0, "bytes after the abort point were written");
        // The daemon got the sends (of at most VolumeUpload.MaxSendBytes each) that were out before the abort, in order:
        // a prefix of the data, then zeros.
        var block = VolumeUpload.MaxSendBytes;
        var written = 0;
        while (written < MiB && back.AsSpan(written, block).SequenceEqual(data.AsSpan(written, block)))
        {
            written += block;
        }

        Assert.True(back.AsSpan(written, MiB - written).IndexOfAnyExcept((byte)0) < 0, $"after the {written} bytes that match what was sent, the part that was written differs from it");

        vol.Delete();
        Assert.Null(pool.FindVolume(name));
        Assert.False(File.Exists(Path.Combine(host.StateDir, "pools", "dir", name)));
    }

    [Fact]
    public void Dispose_without_Finish_aborts()
    {
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        using var pool = conn.FindPool(host.DirPool)!;
        var name = NewName("v2v-dispose") + ".raw";
        using var vol = pool.CreateVolume(RawVolumeXml(name, MiB));
        try
        {
            using (var up = vol.Upload(0, MiB, sparse: false))
            {
                up.Send(new byte[4096]);
            }

            // The stream is gone: a new upload to the same volume works at once.
            using var second = vol.Upload(0, MiB, sparse: false);
            second.SendHole(MiB);
            second.Finish();
        }
        finally
        {
            vol.Delete();
        }
    }

    [Fact]
    public void A_full_pool_fails_the_upload_with_one_line_naming_the_volume()
    {
        var host = LibvirtHost.Require();
        Tool.Require("mkfs.ext4");

        // A pool of its own (16 MiB, fs type), so that filling it disturbs no other test.
        var dir = RepoPaths.NewTempDir("v2v-libvirt-full");
        var image = Path.Combine(dir, "pool.img");
        var target = Path.Combine(dir, "mnt");
        Directory.CreateDirectory(target);
        Tool.Check("truncate", "-s", "16M", image);
        Tool.Check("mkfs.ext4", "-q", "-F", image);
        var poolName = NewName("v2v-full");

        // On a loop device of our own: libvirt unmounts an fs pool on destroy only when its source is the device.
        var loop = Tool.Check("losetup", "-f", "--show", image).StdOut.Trim();
        try
        {
            host.CheckVirsh(host.LocalUri, "pool-create-as", poolName, "fs", "--source-dev", loop, "--source-format", "ext4", "--target", target);
            using var conn = LibvirtConnection.Open(host.LocalUri);
            using var pool = conn.FindPool(poolName)!;
            Assert.Equal("fs", pool.Type);
            using var vol = pool.CreateVolume(RawVolumeXml("big.raw", 64 * MiB));
            var chunk = new byte[MiB];
            new Random(3).NextBytes(chunk);
            var e = Assert.Throws<LibvirtException>(() =>
            {
                using var up = vol.Upload(0, 64 * MiB, sparse: false);
                for (var i = 0; i < 64; i++)
                {
                    up.Send(chunk);
                }

                up.Finish();
            });
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains($"volume 'big.raw' in storage pool '{poolName}' on qemu:///system", e.Message);
            Assert.Contains("No space left on device", e.Message);
            vol.Delete();
            Assert.Null(pool.FindVolume("big.raw"));
        }
        finally
        {
            host.Virsh(host.LocalUri, "pool-destroy", poolName);
            Tool.Run("losetup", ["-d", loop]);
            Directory.Delete(dir, true);
        }
    }
}
