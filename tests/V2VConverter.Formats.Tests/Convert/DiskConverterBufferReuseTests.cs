using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Vmdk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>
/// Issue 15: copies in one process (a batch: disk after disk, several at once) reuse the chunk buffers of the copies
/// before them instead of leaving them as large-object garbage, so a run's memory does not grow with the disks copied.
/// </summary>
[Collection(AllocationMeasuringCollection.Name)]
public sealed class DiskConverterBufferReuseTests
{
    [Fact]
    public void Later_copies_in_the_process_allocate_no_new_chunk_buffers()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            // 32 MiB of data: 16 chunks of 2 MiB, with up to 6 in flight (parallelism 2).
            var source = Path.Combine(dir, "in.raw");
            var data = new byte[32 << 20];
            new Random(15).NextBytes(data);
            File.WriteAllBytes(source, data);
            var options = new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, Parallelism = 2 };
            var (chunk, inflight) = DiskConverter.Budget(options.ChunkSize, options.ClusterSize, options.Parallelism, compress: false);

            void CopyOnce(int i)
            {
                using var disk = DiskImage.Open(source);
                DiskConverter.Convert(disk, Path.Combine(dir, $"out{i}.qcow2"), options, null, TestContext.Current.CancellationToken);
            }

            CopyOnce(0); // warms the pool (and the JIT)
            var before = GC.GetTotalAllocatedBytes(precise: true);
            const int copies = 3;
            for (var i = 1; i <= copies; i++)
            {
                CopyOnce(i);
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            // A pool per copy would allocate its chunk buffers again every time: at least `inflight` buffers of `chunk`
            // bytes per copy (36 MiB here). What remains is the writer's own tables and stage buffer (about 1 MiB a copy).
            var perCopyBuffers = (long)chunk * inflight;
            Assert.True(allocated < perCopyBuffers, $"{copies} copies allocated {allocated} bytes; their chunk buffers alone would be {copies * perCopyBuffers}");
            Oracle.AssertIdentical(source, Path.Combine(dir, $"out{copies}.qcow2"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
