using V2VConverter.Formats.Disk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>Every readable input × every output variant, judged by qemu-img check / compare and by cmp against qemu's raw.</summary>
public sealed class ConvertMatrixTests
{
    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var input in new[] { "raw", "qcow2", "qcow2-c", "qcow2-v2", "qcow2-zero" })
        {
            foreach (var output in new[] { "qcow2", "qcow2-c", "qcow2-4k", "qcow2-2m", "qcow2-512-c", "qcow2-2m-c" })
            {
                data.Add(input, output);
            }
        }

        return data;
    }

    public static TheoryData<string> Inputs() => new("raw", "qcow2", "qcow2-c", "qcow2-v2", "qcow2-zero");

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Qcow2_output_is_check_clean_and_identical(string input, string output)
    {
        var source = DiskFixtures.Input(input);
        var options = output switch
        {
            "qcow2" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 },
            "qcow2-c" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, Compress = true },
            "qcow2-4k" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ClusterSize = 4096 },
            "qcow2-2m" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ClusterSize = 2 * 1024 * 1024 },
            "qcow2-512-c" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ClusterSize = 512, Compress = true },
            "qcow2-2m-c" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, ClusterSize = 2 * 1024 * 1024, Compress = true },
            _ => throw new ArgumentException(output),
        };
        var dir = RepoPaths.NewTempDir();
        try
        {
            var outPath = Path.Combine(dir, "out.qcow2");
            using (var disk = DiskImage.Open(source))
            {
                var result = DiskConverter.Convert(disk, outPath, options, null, TestContext.Current.CancellationToken);
                Assert.Equal(disk.Length, result.VirtualSize);
            }

            Oracle.AssertCheckClean(outPath);
            Oracle.AssertIdentical(source, outPath);
            var info = Tool.Check("qemu-img", "info", "--output=json", outPath).StdOut;
            Assert.Contains($"\"cluster-size\": {options.ClusterSize}", info);
            Assert.Contains("\"compat\": \"1.1\"", info);
            Assert.Empty(Directory.GetFiles(dir, "*v2v-tmp*", SearchOption.AllDirectories));

            if (options.Compress && options.ClusterSize == DiskConvertOptions.DefaultClusterSize)
            {
                var check = Tool.Run("qemu-img", ["check", outPath]).StdOut;
                Assert.Matches(@"[1-9][0-9.]* *% compressed clusters", check);
            }

            // Our own reader agrees with qemu about the content.
            using var ours = DiskImage.Open(outPath);
            using var expected = DiskImage.Open(DiskFixtures.Qcow2ZeroFlags == source ? DiskFixtures.Qcow2ZeroFlagsRaw : DiskFixtures.Raw);
            Assert.Equal(expected.Length, ours.Length);
            DiskAssert.SameContent(expected, ours);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Raw_output_is_byte_identical_to_qemu_img(string input)
    {
        var source = DiskFixtures.Input(input);
        var dir = RepoPaths.NewTempDir();
        try
        {
            var ours = Path.Combine(dir, "ours.raw");
            var theirs = Path.Combine(dir, "qemu.raw");
            using (var disk = DiskImage.Open(source))
            {
                DiskConverter.Convert(disk, ours, new DiskConvertOptions(), null, TestContext.Current.CancellationToken);
            }

            Tool.Check("qemu-img", "convert", "-O", "raw", source, theirs);
            Oracle.AssertSameBytes(theirs, ours);
            Oracle.AssertIdentical(source, ours);

            // Sparse: holes and zero blocks are not allocated, so far less than the virtual size is on disk.
            var allocated = DiskAssert.AllocatedBytes(ours);
            Assert.True(allocated < new FileInfo(ours).Length / 2, $"raw output allocates {allocated} bytes, expected a sparse file");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(DiskPreallocation.Full)]
    [InlineData(DiskPreallocation.Falloc)]
    public void Raw_preallocation_allocates_the_whole_file(DiskPreallocation mode)
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var outPath = Path.Combine(dir, "full.raw");
            using (var disk = DiskImage.Open(DiskFixtures.Qcow2))
            {
                DiskConverter.Convert(disk, outPath, new DiskConvertOptions { Preallocation = mode }, null, TestContext.Current.CancellationToken);
            }

            Oracle.AssertIdentical(DiskFixtures.Raw, outPath);
            Assert.Equal(DiskFixtures.RawSize, new FileInfo(outPath).Length);
            Assert.True(DiskAssert.AllocatedBytes(outPath) >= DiskFixtures.RawSize - 4096, $"{mode}: only {DiskAssert.AllocatedBytes(outPath)} bytes allocated");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(DiskOutputFormat.Qcow2)]
    [InlineData(DiskOutputFormat.Raw)]
    public void Fsync_option_produces_the_same_valid_output(DiskOutputFormat format)
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var outPath = Path.Combine(dir, "synced.img");
            var reports = new List<DiskProgress>();
            using (var disk = DiskImage.Open(DiskFixtures.Qcow2Compressed))
            {
                DiskConverter.Convert(disk, outPath, new DiskConvertOptions { Format = format, Fsync = true }, reports.Add, TestContext.Current.CancellationToken);
            }

            if (format == DiskOutputFormat.Qcow2)
            {
                Oracle.AssertCheckClean(outPath);
            }

            Oracle.AssertIdentical(DiskFixtures.Raw, outPath);

            // Progress is monotonic, in guest bytes, and ends at the virtual size.
            Assert.NotEmpty(reports);
            Assert.All(reports, r => Assert.Equal(DiskFixtures.RawSize, r.Total));
            Assert.Equal(DiskFixtures.RawSize, reports[^1].Done);
            Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Done <= p.Second.Done));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Uncompressed_qcow2_matches_qemu_layout_size_and_is_unfragmented()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var ours = Path.Combine(dir, "ours.qcow2");
            using (var disk = DiskImage.Open(DiskFixtures.Raw))
            {
                DiskConverter.Convert(disk, ours, new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, Parallelism = 4, ChunkSize = 256 * 1024 }, null, TestContext.Current.CancellationToken);
            }

            var check = Tool.Check("qemu-img", "check", ours).StdOut;
            Assert.Contains("0.00% fragmented", check);

            // Same number of data clusters as qemu's own conversion (zero clusters skipped the same way).
            var theirs = Tool.Check("qemu-img", "check", DiskFixtures.Qcow2).StdOut;
            Assert.Equal(AllocatedClusters(theirs), AllocatedClusters(check));

            // The header is the last thing written and the metadata sits after the data (Layout A).
            using var q = V2VConverter.Formats.Qcow2.Qcow2Disk.Open(ours);
            var dataClusters = ulong.Parse(AllocatedClusters(check), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(q.Header.L1TableOffset >= (dataClusters + 1) * 65536, $"L1 at 0x{q.Header.L1TableOffset:X} is not after the {dataClusters} data clusters");
            Assert.True(q.Header.RefcountTableOffset > q.Header.L1TableOffset);
        }
        finally
        {
            Directory.Delete(dir, true);
        }

        static string AllocatedClusters(string check) => System.Text.RegularExpressions.Regex.Match(check, @"(\d+)/\d+ = ").Groups[1].Value;
    }
}
