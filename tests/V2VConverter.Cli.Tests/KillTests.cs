using System.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>A process killed with SIGKILL mid-copy leaves only its temporary name, never a file under the final name.</summary>
public sealed class KillTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-kill");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Killed_convert_leaves_only_the_temporary_file()
    {
        var input = Path.Combine(_dir, "in.raw");
        var rng = new Random(5);
        var chunk = new byte[1 << 20];
        using (var f = File.Create(input))
        {
            for (var i = 0; i < 384; i++)
            {
                rng.NextBytes(chunk);
                f.Write(chunk);
            }
        }

        var output = Path.Combine(_dir, "out.qcow2");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        // The CLI assembly this test project was built with.
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "v2v.dll"));
        foreach (var a in new[] { "disk", "convert", input, output, "-O", "qcow2", "-c", "--compression-level", "9" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var sw = Stopwatch.StartNew();
        string[] temps = [];
        while (sw.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
        {
            temps = Directory.GetFiles(_dir, "*v2v-tmp*");
            if (temps.Length > 0 && new FileInfo(temps[0]).Length > 1 << 20)
            {
                break;
            }

            Thread.Sleep(20);
        }

        Assert.False(p.HasExited, "the copy finished before it could be killed; make the input larger");
        p.Kill(entireProcessTree: true); // SIGKILL: no handler runs
        p.WaitForExit();
        Assert.False(File.Exists(output), "nothing may exist under the final name");
        var left = Directory.GetFiles(_dir).Where(f => f != input).ToList();
        Assert.All(left, f => Assert.Contains("v2v-tmp", Path.GetFileName(f)));
        // The header is written last: the killed temporary file is not yet a qcow2 image.
        foreach (var t in left)
        {
            var head = new byte[4];
            using var fs = File.OpenRead(t);
            fs.ReadExactly(head);
            Assert.False(head.AsSpan().SequenceEqual(new byte[] { 0x51, 0x46, 0x49, 0xFB }), $"{t} already carries the qcow2 magic");
        }
    }
}
