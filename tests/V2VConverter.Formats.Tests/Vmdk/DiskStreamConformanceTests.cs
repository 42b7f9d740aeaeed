using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>The shared stream contract, run over a DiskStream on a VmdkDisk (a hand-built VMware stream).</summary>
public sealed class DiskStreamConformanceTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-stream");
    private readonly byte[] _expected;
    private readonly string _path;

    public DiskStreamConformanceTests()
    {
        const long capacity = 4096 + 5; // 2 MiB + 5 sectors: the tail is not grain-aligned
        var grains = new Dictionary<long, byte[]> { [0] = VmdkBuilder.Random(65536, 1), [3] = VmdkBuilder.Random(65536, 2), [32] = VmdkBuilder.Random(2560, 3) };
        _path = Path.Combine(_dir, "s.vmdk");
        File.WriteAllBytes(_path, VmdkBuilder.VmwareStream(capacity, grains));
        _expected = VmdkBuilder.Expected(capacity * 512, grains, 65536);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Capabilities_and_length()
    {
        using var s = new DiskStream(VmdkDisk.Open(_path));
        Assert.True(s.CanRead);
        Assert.True(s.CanSeek);
        Assert.False(s.CanWrite);
        Assert.Equal(_expected.Length, s.Length);
        Assert.Equal(0, s.Position);
    }

    [Fact]
    public void CopyTo_yields_every_byte()
    {
        using var s = new DiskStream(VmdkDisk.Open(_path));
        var ms = new MemoryStream();
        s.CopyTo(ms, 12345);
        Assert.Equal(_expected, ms.ToArray());
        Assert.Equal(s.Length, s.Position);
        Assert.Equal(0, s.Read(new byte[10]));
    }

    [Fact]
    public void Seek_from_every_origin_and_read_across_grains()
    {
        using var s = new DiskStream(VmdkDisk.Open(_path));
        Assert.Equal(65530, s.Seek(65530, SeekOrigin.Begin));
        var buf = new byte[20];
        s.ReadExactly(buf);
        Assert.Equal(_expected.AsSpan(65530, 20).ToArray(), buf);
        Assert.Equal(65550 - 10, s.Seek(-10, SeekOrigin.Current));
        Assert.Equal(s.Length - 7, s.Seek(-7, SeekOrigin.End));
        var tail = new byte[100];
        Assert.Equal(7, s.Read(tail, 0, 100));
        Assert.Equal(_expected.AsSpan(_expected.Length - 7).ToArray(), tail.AsSpan(0, 7).ToArray());
        Assert.Equal(0, s.Read(tail, 0, 100));
    }

    [Fact]
    public void Past_the_end_reads_nothing_and_negative_positions_throw()
    {
        using var s = new DiskStream(VmdkDisk.Open(_path));
        s.Position = s.Length + 1000;
        Assert.Equal(0, s.Read(new byte[10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Position = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Seek(-1, SeekOrigin.Begin));
    }

    [Fact]
    public void Writes_are_refused()
    {
        using var s = new DiskStream(VmdkDisk.Open(_path));
        Assert.Throws<NotSupportedException>(() => s.Write(new byte[1], 0, 1));
        Assert.Throws<NotSupportedException>(() => s.SetLength(0));
    }

    [Fact]
    public async Task Async_reads_match()
    {
        await using var s = new DiskStream(VmdkDisk.Open(_path));
        var ms = new MemoryStream();
        await s.CopyToAsync(ms, TestContext.Current.CancellationToken);
        Assert.Equal(_expected, ms.ToArray());
    }

    [Fact]
    public void LeaveOpen_keeps_the_disk_usable()
    {
        using var disk = VmdkDisk.Open(_path);
        using (var s = new DiskStream(disk, leaveOpen: true))
        {
            s.ReadExactly(new byte[10]);
        }

        var b = new byte[10];
        disk.Read(0, b);
        Assert.Equal(_expected.AsSpan(0, 10).ToArray(), b);
    }

    [Fact]
    public void Disk_read_outside_the_disk_is_an_argument_error()
    {
        using var disk = VmdkDisk.Open(_path);
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.Read(disk.Length - 1, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.Read(-1, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.GetExtents(0, disk.Length + 1).ToList());
        disk.Read(disk.Length, Span<byte>.Empty);
    }

    [Fact]
    public void Parallel_reads_from_many_threads_agree()
    {
        using var disk = VmdkDisk.Open(_path);
        Parallel.For(0, 64, i =>
        {
            var rng = new Random(i);
            var off = rng.Next(_expected.Length - 1);
            var len = Math.Min(rng.Next(1, 200_000), _expected.Length - off);
            var b = new byte[len];
            disk.Read(off, b);
            Assert.True(b.AsSpan().SequenceEqual(_expected.AsSpan(off, len)));
        });
    }
}
