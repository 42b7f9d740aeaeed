using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>Replays every fuzz regression file and every fuzz seed through every fuzz target.</summary>
public sealed class VmdkFuzzRegressionTests
{
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { Path.Combine("tests", "V2VConverter.Formats.Tests", "Vmdk", "Regressions"), Path.Combine("tests", "fuzz", "seeds") })
        {
            var full = Path.Combine(RepoPaths.Root, dir);
            if (!Directory.Exists(full))
            {
                continue;
            }

            foreach (var f in Directory.GetFiles(full).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, f));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Input_throws_only_the_allowed_exceptions(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Root, relativePath));
        var scratch = RepoPaths.NewTempDir("vmdk-fuzz-replay");
        try
        {
            foreach (var target in FuzzTargets.Names)
            {
                var task = Task.Run(() =>
                {
                    try
                    {
                        FuzzTargets.Run(target, bytes, scratch);
                        return null;
                    }
                    catch (Exception ex) when (FuzzTargets.IsAllowed(ex))
                    {
                        return (Exception?)null;
                    }
                    catch (Exception ex)
                    {
                        return ex;
                    }
                }, TestContext.Current.CancellationToken);
                var done = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
                Assert.True(done == task, $"{relativePath}: target {target} hangs");
                var failure = await task;
                Assert.True(failure is null, $"{relativePath}: target {target} threw {failure?.GetType().Name}: {failure}");
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Seeds_are_valid_disks()
    {
        var seeds = Path.Combine(RepoPaths.Root, "tests", "fuzz", "seeds");
        var files = Directory.GetFiles(seeds);
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            using var disk = V2VConverter.Formats.Vmdk.VmdkDisk.Open(f);
            Assert.Equal(1 << 20, disk.Length);
        }
    }
}
