using Spectre.Console.Testing;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>Copy progress: Spectre.Console bars per disk plus a total on a terminal, plain lines otherwise.</summary>
public sealed class ProgressTests : IDisposable
{
    private const long GiB = 1L << 30;
    private readonly string _dir = RepoPaths.NewTempDir("v2v-bars");

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_terminal_gets_a_bar_per_disk_and_a_total(bool parallel)
    {
        var console = new TestConsole().Interactive();
        console.Profile.Width = 120;
        var context = new CliContext(new StringWriter(), new StringWriter(), _dir) { IsTerminal = true, ErrorConsole = console };
        using (var progress = new CopyProgress(context, machineReadable: false, [("disk1.qcow2", 4 * GiB), ("disk2.qcow2", GiB)], parallel))
        {
            if (parallel)
            {
                Parallel.For(0, 2, i =>
                {
                    var total = i == 0 ? 4 * GiB : GiB;
                    for (var done = total / 4; done <= total; done += total / 4)
                    {
                        progress.Report(i, done, total);
                    }
                });
            }
            else
            {
                progress.Report(0, GiB, 4 * GiB);
                progress.Report(0, 4 * GiB, 4 * GiB);
                progress.Report(1, GiB, GiB);
            }
        }

        var output = console.Output;
        Assert.Contains("disk1.qcow2", output);
        Assert.Contains("disk2.qcow2", output);
        Assert.Contains("total", output);
        Assert.Contains("100%", output);
        Assert.Equal("", context.Error.ToString()); // drawn on the console, nothing else on stderr
    }

    [Fact]
    public void Without_a_terminal_plain_lines_per_disk_and_total()
    {
        var err = new StringWriter();
        var context = new CliContext(new StringWriter(), err, _dir);
        using (var progress = new CopyProgress(context, machineReadable: false, [("disk1.qcow2", 4 * GiB), ("disk2.qcow2", GiB)]))
        {
            progress.Report(0, GiB, 4 * GiB); // throttled: nothing yet
            progress.Report(0, 4 * GiB, 4 * GiB);
            progress.Report(1, GiB, GiB);
        }

        Assert.Equal(["disk1.qcow2: 100% 4.0 GiB/4.0 GiB", "disk2.qcow2: 100% 1.0 GiB/1.0 GiB", "total: 100% 5.0 GiB/5.0 GiB"], err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("disk1.qcow2: 25% 1.0 GiB/4.0 GiB", CopyProgress.PlainLine("disk1.qcow2", GiB, 4 * GiB));
    }

    [Fact]
    public void Machine_readable_lines_per_disk_or_summed_when_parallel()
    {
        var perDisk = new StringWriter();
        using (var progress = new CopyProgress(new CliContext(perDisk, new StringWriter(), _dir), machineReadable: true, [("a", 10), ("b", 20)]))
        {
            progress.Report(0, 10, 10);
            progress.Report(1, 20, 20);
        }

        Assert.Equal("{\"type\":\"progress\",\"done\":10,\"total\":10}\n{\"type\":\"progress\",\"done\":20,\"total\":20}\n", perDisk.ToString().ReplaceLineEndings("\n"));
        var summed = new StringWriter();
        using (var progress = new CopyProgress(new CliContext(summed, new StringWriter(), _dir), machineReadable: true, [("a", 10), ("b", 20)], parallel: true))
        {
            progress.Report(0, 10, 10);
            progress.Report(1, 20, 20);
        }

        Assert.EndsWith("{\"type\":\"progress\",\"done\":30,\"total\":30}\n", summed.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Convert_of_a_two_disk_vm_draws_both_disks_and_the_total()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "workstation-demo");
        File.Copy(Path.Combine(sample, "demo.vmdk"), Path.Combine(_dir, "demo.vmdk"));
        File.Copy(Path.Combine(sample, "demo.vmdk"), Path.Combine(_dir, "second.vmdk"));
        File.WriteAllText(
            Path.Combine(_dir, "demo.vmx"),
            File.ReadAllText(Path.Combine(sample, "demo.vmx")) + "scsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"second.vmdk\"\n");
        var console = new TestConsole().Interactive();
        console.Profile.Width = 120;
        var err = new StringWriter();
        var context = new CliContext(new StringWriter(), err, _dir, new Dictionary<string, string?> { ["HOME"] = _dir }) { IsTerminal = true, ErrorConsole = console };
        var code = CommandLine.Run(["convert", Path.Combine(_dir, "demo.vmx"), "-o", "local", "-os", Path.Combine(_dir, "out"), "--no-guest-fixups"], context);
        Assert.True(code == ExitCodes.Success, err.ToString());
        Assert.Contains("workstation-demo-sda.qcow2", console.Output);
        Assert.Contains("workstation-demo-sdb.qcow2", console.Output);
        Assert.Contains("total", console.Output);

        // Without a terminal: one plain line per disk and the total, on stderr.
        var plain = CliRunner.Run(_dir, "convert", Path.Combine(_dir, "demo.vmx"), "-o", "local", "-os", Path.Combine(_dir, "out2"), "--no-guest-fixups");
        Assert.True(plain.ExitCode == 0, plain.Err);
        Assert.Matches(@"(?m)^workstation-demo-sda\.qcow2: 100% ", plain.Err);
        Assert.Matches(@"(?m)^workstation-demo-sdb\.qcow2: 100% ", plain.Err);
        Assert.Matches(@"(?m)^total: 100% ", plain.Err);
    }
}
