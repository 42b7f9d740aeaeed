using V2VConverter.Formats.Disk;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>Issue 11 point 10: the copy's chunk buffers in flight are bounded whatever the core count, request size and -c.</summary>
public sealed class DiskConverterBudgetTests
{
    [Theory]
    [InlineData(1, 4096, false)]
    [InlineData(2, 2 * 1024 * 1024, true)]
    [InlineData(16, 2 * 1024 * 1024, true)]
    [InlineData(64, 2 * 1024 * 1024, true)]
    [InlineData(64, 64 * 1024 * 1024, true)]
    [InlineData(64, 64 * 1024 * 1024, false)]
    [InlineData(8, 3 * 1024 * 1024, false)]
    public void Chunk_buffers_in_flight_fit_the_budget(int parallelism, int requested, bool compress)
    {
        const int block = 64 * 1024;
        var (chunk, inflight) = DiskConverter.Budget(requested, block, parallelism, compress);
        Assert.True(inflight >= 2, "reads and writes still overlap");
        Assert.Equal(0, chunk % block);
        Assert.InRange((long)chunk * inflight * (compress ? 2 : 1), 1, DiskConverter.InflightBudgetBytes);
    }
}
