using System.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Fixups;

namespace V2VConverter.Guest.Tests.Fixups;

/// <summary>
/// The side-by-side job script, run by the host's own /bin/sh (what the appliance runs is the same
/// POSIX script, chrooted into the guest).
/// </summary>
public sealed class GuestJobRunnerTests
{
    /// <summary>Runs Shell on the host; nothing else is needed by the runner.</summary>
    private sealed class HostShell : IGuestFileSystem
    {
        public List<string> Scripts { get; } = [];

        public List<string> Outputs { get; } = [];

        public string Shell(string script)
        {
            Scripts.Add(script);
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Outputs.Add(o);
            return p.ExitCode == 0 ? o : throw new GuestfsException($"sh exited {p.ExitCode}: {err.Result}");
        }

        public bool Exists(string path) => throw new NotSupportedException();

        public bool IsFile(string path) => throw new NotSupportedException();

        public bool IsDirectory(string path) => throw new NotSupportedException();

        public bool IsSymlink(string path) => throw new NotSupportedException();

        public string ReadText(string path) => throw new NotSupportedException();

        public Stream OpenRead(string path) => throw new NotSupportedException();

        public void WriteText(string path, string text) => throw new NotSupportedException();

        public IReadOnlyList<string> Glob(string pattern) => throw new NotSupportedException();

        public IReadOnlyList<string> Find(string directory) => throw new NotSupportedException();

        public void Remove(string path) => throw new NotSupportedException();

        public void MakeDirectories(string path) => throw new NotSupportedException();

        public void Chmod(int mode, string path) => throw new NotSupportedException();

        public void Copy(string source, string destination) => throw new NotSupportedException();

        public void Symlink(string target, string linkName) => throw new NotSupportedException();

        public string Command(params string[] argv) => throw new NotSupportedException();
    }

    [Fact]
    public void Jobs_run_at_the_same_time_and_each_step_keeps_its_output_and_exit_code()
    {
        var g = new HostShell();
        var meet = Path.Combine(V2VConverter.TestSupport.RepoPaths.NewTempDir(), "meet");
        // A rendezvous: each job waits (up to 20 s) for the other's mark, so they only both succeed when running together.
        string Meet(string me, string other) => $"touch {meet}.{me}; i=0; while [ ! -e {meet}.{other} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ -e {meet}.{other} ] && echo met-{other}";
        var results = GuestJobRunner.Run(g,
        [
            new GuestJob("a", [Meet("a", "b"), "echo out; echo err >&2; exit 3", "echo never"]),
            new GuestJob("b", [Meet("b", "a"), "printf 'two\\nlines\\n'"]),
        ]);

        Assert.Equal(["a", "b"], results.Select(r => r.Name));
        var a = results[0];
        Assert.Equal(2, a.Steps.Count);
        Assert.Equal(new GuestStepResult(0, "met-b\n"), a.Steps[0]);
        Assert.Equal(3, a.Steps[1].ExitCode);
        Assert.Equal("out\nerr\n", a.Steps[1].Output);
        Assert.False(a.Succeeded(2));
        Assert.True(a.Succeeded(1));
        var b = results[1];
        Assert.Equal([new GuestStepResult(0, "met-a\n"), new GuestStepResult(0, "two\nlines\n")], b.Steps);
        Assert.True(b.Succeeded(2));

        // Its working folder is gone.
        var dir = g.Outputs.Single().Split('\n')[0]["@@v2v-job-dir ".Length..];
        Assert.StartsWith("/tmp/v2v-jobs.", dir, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
        Assert.Single(g.Scripts); // start, wait, read back and remove in one guest call
    }

    [Fact]
    public void One_job_runs_its_steps_directly_and_stops_at_the_first_failure()
    {
        var g = new HostShell();
        var r = GuestJobRunner.Run(g, [new GuestJob("solo", ["echo one", "false", "echo never"])]).Single();
        Assert.Equal(2, r.Steps.Count);
        Assert.Equal(new GuestStepResult(0, "one\n"), r.Steps[0]);
        Assert.Equal(1, r.Steps[1].ExitCode);
        Assert.Equal(["echo one 2>&1", "false 2>&1"], g.Scripts);
    }

    [Fact]
    public void Lanes_give_the_heaviest_job_its_own_vcpu_and_queue_the_rest()
    {
        GuestJob J(string name, int weight) => new(name, ["true"], weight);
        var purge = J("dpkg --purge", GuestJobWeights.Light);
        var grub = J("grub-mkconfig", GuestJobWeights.Bootloader);
        var initrd = J("initramfs 6.1", GuestJobWeights.Initramfs);
        var initrd2 = J("initramfs 6.5", GuestJobWeights.Initramfs);

        Assert.Equal([[2], [1, 0]], GuestJobRunner.Lanes([purge, grub, initrd], 2));
        Assert.Equal([[2], [1], [0]], GuestJobRunner.Lanes([purge, grub, initrd], 4));
        Assert.Equal([[2, 1], [3, 0]], GuestJobRunner.Lanes([purge, grub, initrd, initrd2], 2));
        Assert.Equal([[0, 1, 2]], GuestJobRunner.Lanes([purge, grub, initrd], 1).Select(l => l.Order().ToList()).ToList());
    }

    [Fact]
    public void Two_lanes_run_the_heavy_job_beside_the_light_ones_which_run_one_after_another()
    {
        var g = new HostShell();
        var dir = V2VConverter.TestSupport.RepoPaths.NewTempDir();
        // heavy meets light1 (so they run at once); light2 starts only after light1 finished (same lane, in order).
        var heavy = new GuestJob("heavy", [$"touch {dir}/heavy; i=0; while [ ! -e {dir}/light1 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ -e {dir}/light1 ] && echo met"], GuestJobWeights.Initramfs);
        var light1 = new GuestJob("light1", [$"touch {dir}/light1; i=0; while [ ! -e {dir}/heavy ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.3; touch {dir}/light1.done"], GuestJobWeights.Bootloader);
        var light2 = new GuestJob("light2", [$"[ -e {dir}/light1.done ] && echo after-light1"], GuestJobWeights.Light);

        var r = GuestJobRunner.Run(g, [light2, heavy, light1], lanes: 2);

        Assert.Equal(["light2", "heavy", "light1"], r.Select(x => x.Name));
        Assert.All(r, x => Assert.True(x.Succeeded(1), $"{x.Name}: {x.Steps.FirstOrDefault()?.Output}"));
        Assert.Equal("met\n", r[1].Steps[0].Output);
        Assert.Equal("after-light1\n", r[0].Steps[0].Output);
    }
}
