using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>
/// Issue 4's matrix: each VMDK subformat × {qcow2, qcow2 -c, raw}; qemu-img check must be clean and
/// qemu-img compare must call source and output identical; raw output must equal qemu-img's raw byte for byte.
/// </summary>
public sealed class VmdkConvertMatrixTests
{
    private static readonly Lazy<string> FixtureDir = new(BuildFixtures);

    private static readonly string[] Subformats = ["monolithicSparse", "monolithicFlat", "twoGbMaxExtentSparse", "twoGbMaxExtentFlat", "streamOptimized"];

    private static string BuildFixtures()
    {
        Tool.Require("qemu-img");
        var dir = RepoPaths.NewTempDir("v2v-vmdk-matrix");
        foreach (var sub in Subformats)
        {
            Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", $"subformat={sub}", DiskFixtures.Raw, Path.Combine(dir, sub + ".vmdk"));
        }

        // A snapshot chain: parent from the mixed image, child with its own writes over it.
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", DiskFixtures.Raw, Path.Combine(dir, "parent.vmdk"));
        Tool.Check("qemu-img", "create", "-q", "-f", "vmdk", "-b", "parent.vmdk", "-F", "vmdk", Path.Combine(dir, "chain.vmdk"));
        QemuFixtures.QemuIo(Path.Combine(dir, "chain.vmdk"), "write -P 0x5a 1M 192k", "write -z 4M 128k", "write -P 0x11 20M 64k");

        // A VMware-layout stream (grain directory at the end, markers, footer) built by our test helper.
        var grains = new Dictionary<long, byte[]> { [0] = VmdkBuilder.Random(65536, 3), [5] = VmdkBuilder.Random(65536, 4), [300] = new byte[65536] };
        grains[300][17] = 1;
        File.WriteAllBytes(Path.Combine(dir, "vmwareStream.vmdk"), VmdkBuilder.VmwareStream(32 * 2048, grains));
        return dir;
    }

    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var input in Subformats.Append("chain").Append("vmwareStream"))
        {
            foreach (var output in new[] { "qcow2", "qcow2-c", "raw" })
            {
                data.Add(input, output);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Vmdk_converts_check_clean_and_identical(string input, string output)
    {
        var source = Path.Combine(FixtureDir.Value, input + ".vmdk");
        var dir = RepoPaths.NewTempDir();
        try
        {
            var outPath = Path.Combine(dir, "out." + (output == "raw" ? "raw" : "qcow2"));
            var options = output switch
            {
                "qcow2" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 },
                "qcow2-c" => new DiskConvertOptions { Format = DiskOutputFormat.Qcow2, Compress = true },
                _ => new DiskConvertOptions { Format = DiskOutputFormat.Raw },
            };
            using (var disk = DiskImage.Open(source))
            {
                Assert.Equal("vmdk", disk.Format);
                DiskConverter.Convert(disk, outPath, options, null, TestContext.Current.CancellationToken);
            }

            if (output == "raw")
            {
                var qemuRaw = Path.Combine(dir, "qemu.raw");
                Tool.Check("qemu-img", "convert", "-f", "vmdk", "-O", "raw", source, qemuRaw);
                Oracle.AssertSameBytes(qemuRaw, outPath);
            }
            else
            {
                Oracle.AssertCheckClean(outPath);
            }

            var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", output == "raw" ? "raw" : "qcow2", source, outPath]);
            Assert.True(cmp.ExitCode == 0, $"qemu-img compare {input} {output}: {cmp.All}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
