using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Qcow2;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>Full file system, cancellation, header-last commit point, option checks before any byte.</summary>
public sealed class FaultTests
{
    [Theory]
    [InlineData(DiskOutputFormat.Qcow2, false, DiskPreallocation.Off)]
    [InlineData(DiskOutputFormat.Qcow2, true, DiskPreallocation.Off)]
    [InlineData(DiskOutputFormat.Raw, false, DiskPreallocation.Off)]
    [InlineData(DiskOutputFormat.Raw, false, DiskPreallocation.Falloc)]
    public void Full_file_system_gives_a_clear_error_and_leaves_nothing(DiskOutputFormat format, bool compress, DiskPreallocation prealloc)
    {
        var mnt = RepoPaths.NewTempDir("v2v-enospc");
        var mount = Tool.Run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt]);
        if (mount.ExitCode != 0)
        {
            Directory.Delete(mnt);
            Assert.Skip($"mounting a 2 MiB tmpfs needs root: {mount.All.Trim()}");
        }

        try
        {
            var output = Path.Combine(mnt, "disk.out");
            using var disk = DiskImage.Open(DiskFixtures.Raw);
            var options = new DiskConvertOptions { Format = format, Compress = compress, Preallocation = prealloc, ChunkSize = 256 * 1024 };
            var ex = Assert.Throws<IOException>(() => DiskConverter.Convert(disk, output, options, null, TestContext.Current.CancellationToken));
            Assert.Contains("no space left on device", ex.Message);
            Assert.Contains(output, ex.Message);
            Assert.Empty(Directory.GetFileSystemEntries(mnt));
        }
        finally
        {
            Tool.Run("umount", [mnt]);
            Directory.Delete(mnt, true);
        }
    }

    [Theory]
    [InlineData(DiskOutputFormat.Qcow2, false)]
    [InlineData(DiskOutputFormat.Qcow2, true)]
    [InlineData(DiskOutputFormat.Raw, false)]
    public void Cancellation_mid_copy_removes_the_temporary_and_leaves_no_qcow2_anywhere(DiskOutputFormat format, bool compress)
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var output = Path.Combine(dir, "out.img");
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var reports = 0;
            var tempSeen = false;
            using var disk = DiskImage.Open(DiskFixtures.Raw);
            var options = new DiskConvertOptions { Format = format, Compress = compress, ChunkSize = 64 * 1024, Parallelism = 2 };
            Assert.ThrowsAny<OperationCanceledException>(() => DiskConverter.Convert(
                disk,
                output,
                options,
                p =>
                {
                    tempSeen |= Directory.GetFiles(dir, ".out.img" + AtomicOutputFile.TempMarker + "*").Length == 1;
                    if (++reports == 3)
                    {
                        cts.Cancel();
                    }
                },
                cts.Token));

            Assert.True(tempSeen, "the copy was expected to be writing under the temporary name");
            Assert.True(reports >= 3);
            Assert.False(File.Exists(output));
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Qcow2_header_is_written_last()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var output = Path.Combine(dir, "out.qcow2");
            string TempPath() => Directory.GetFiles(dir, ".out.qcow2" + AtomicOutputFile.TempMarker + "*").SingleOrDefault() ?? Path.Combine(dir, "no-temp");
            var checkedMidCopy = 0;
            using var disk = DiskImage.Open(DiskFixtures.Raw);
            DiskConverter.Convert(
                disk,
                output,
                new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ChunkSize = 64 * 1024 },
                p =>
                {
                    var temp = TempPath();
                    if (p.Done >= p.Total || !File.Exists(temp))
                    {
                        return;
                    }

                    // Mid-copy: data is in the temporary file, but it is not a qcow2 image yet.
                    var head = new byte[4];
                    using var fs = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                    fs.ReadExactly(head);
                    Assert.False(Qcow2Layout.IsMagic(head), "qcow2 magic present before the copy finished");
                    Assert.False(File.Exists(output));
                    checkedMidCopy++;
                },
                TestContext.Current.CancellationToken);

            Assert.True(checkedMidCopy > 2, $"only {checkedMidCopy} mid-copy checks ran");
            Assert.False(File.Exists(TempPath()));
            var final = File.ReadAllBytes(output).AsSpan(0, 4);
            Assert.True(Qcow2Layout.IsMagic(final));
            Oracle.AssertCheckClean(output);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Failure_in_the_source_propagates_and_cleans_up()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var output = Path.Combine(dir, "out.qcow2");
            using var inner = DiskImage.Open(DiskFixtures.Raw);
            using var failing = new FailingDisk(inner, failAt: 16 * DiskFixtures.MiB);
            var ex = Assert.Throws<InvalidDataException>(() => DiskConverter.Convert(failing, output, new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 }, null, TestContext.Current.CancellationToken));
            Assert.Contains("injected", ex.Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(DiskOutputFormat.Raw, true, 65536, DiskPreallocation.Off, "compression")]
    [InlineData(DiskOutputFormat.Qcow2, false, 3000, DiskPreallocation.Off, "cluster size")]
    [InlineData(DiskOutputFormat.Qcow2, false, 4 * 1024 * 1024, DiskPreallocation.Off, "cluster size")]
    [InlineData(DiskOutputFormat.Qcow2, false, 65536, DiskPreallocation.Full, "preallocation")]
    public void Bad_options_are_refused_before_any_file_is_created(DiskOutputFormat format, bool compress, int cluster, DiskPreallocation prealloc, string word)
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            using var disk = DiskImage.Open(DiskFixtures.Raw);
            var options = new DiskConvertOptions { Format = format, Compress = compress, ClusterSize = cluster, Preallocation = prealloc };
            var ex = Assert.Throws<ArgumentException>(() => DiskConverter.Convert(disk, Path.Combine(dir, "x"), options, null, TestContext.Current.CancellationToken));
            Assert.Contains(word, ex.Message);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Existing_output_is_never_replaced_by_a_failed_or_a_finished_copy()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var output = Path.Combine(dir, "out.raw");
            File.WriteAllText(output, "old");
            using var inner = DiskImage.Open(DiskFixtures.Raw);
            using var failing = new FailingDisk(inner, failAt: 2 * DiskFixtures.MiB);
            Assert.Throws<InvalidDataException>(() => DiskConverter.Convert(failing, output, new DiskConvertOptions(), null, TestContext.Current.CancellationToken));
            Assert.Equal("old", File.ReadAllText(output));

            // A whole copy does not replace it either (another run's file): the error names it, the temporary file goes.
            var ex = Assert.Throws<IOException>(() => DiskConverter.Convert(inner, output, new DiskConvertOptions(), null, TestContext.Current.CancellationToken));
            Assert.Contains(output, ex.Message, StringComparison.Ordinal);
            Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
            Assert.Equal("old", File.ReadAllText(output));
            Assert.Single(Directory.GetFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A disk whose reads fail past a given offset, to inject a source error mid-copy.</summary>
    private sealed class FailingDisk(IVirtualDisk inner, long failAt) : IVirtualDisk
    {
        public long Length => inner.Length;

        public string Format => inner.Format;

        public void Read(long offset, Span<byte> buffer)
        {
            if (offset + buffer.Length > failAt)
            {
                throw new InvalidDataException("injected read failure");
            }

            inner.Read(offset, buffer);
        }

        public IEnumerable<DiskExtent> GetExtents(long offset, long length) => inner.GetExtents(offset, length);

        public void Dispose()
        {
        }
    }
}
