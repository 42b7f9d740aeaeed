using System.Diagnostics;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.BatchRun;

/// <summary>
/// <c>v2v run</c> killed with SIGKILL at several points (during a copy, between VMs, during the guest stage of the Debian
/// fixture guest), then run again: the outputs are those of an uninterrupted run (every data disk equals its source by
/// <c>qemu-img compare</c>), with no duplicate, no temporary file and no half-written VM left.
/// </summary>
public sealed class BatchKillTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-batch-kill");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A VM folder with a monolithicSparse disk of <paramref name="mib"/> MiB of data that compresses about 2:1 (copies take a moment with -c).</summary>
    private string MakeVm(string name, int mib, int seed)
    {
        var folder = Path.Combine(_dir, "src", name);
        Directory.CreateDirectory(folder);
        var raw = Path.Combine(_dir, name + ".raw");
        var rng = new Random(seed);
        var chunk = new byte[1 << 20];
        using (var f = File.Create(raw))
        {
            for (var i = 0; i < mib; i++)
            {
                if (i % 4 != 3)
                {
                    // Letters of a 16-letter alphabet: deflate has real work (random bytes would be stored as
                    // incompressible at once, and the copy would be over before it could be killed).
                    rng.NextBytes(chunk);
                    for (var b = 0; b < chunk.Length; b++)
                    {
                        chunk[b] = (byte)('a' + (chunk[b] & 15));
                    }

                    f.Write(chunk);
                }
                else
                {
                    f.Seek(chunk.Length, SeekOrigin.Current); // a hole every 4 MiB
                }
            }

            f.SetLength((long)mib << 20);
        }

        var vmdk = Path.Combine(folder, name + ".vmdk");
        Tool.Check("qemu-img", "convert", "-q", "-f", "raw", "-O", "vmdk", raw, vmdk);
        File.Delete(raw);
        File.WriteAllText(Path.Combine(folder, name + ".vmx"), SmallVmx.Text(name, name + ".vmdk", guestOs: "debian11-64", mac: $"00:0c:29:00:00:{seed:x2}"));
        return vmdk;
    }

    private static Process Start(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "v2v.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = dir;
        var p = Process.Start(psi)!;
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    /// <summary>Polls the journal until <paramref name="until"/> holds for some VM's status, then kills the run with SIGKILL.</summary>
    private static JournalVmStatus KillWhen(Process p, string journalPath, Func<JournalVmStatus, bool> until, TimeSpan delay = default, Func<bool>? also = null)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(5))
        {
            Assert.False(p.HasExited, "the run ended before the point where it was to be killed");
            if (File.Exists(journalPath))
            {
                using var journal = SqliteBatchJournal.OpenReadOnly(journalPath);
                if (journal.Statuses().FirstOrDefault(until) is { } hit && (also is null || also()))
                {
                    Thread.Sleep(delay);
                    p.Kill(entireProcessTree: true); // SIGKILL: nothing of v2v runs after this
                    p.WaitForExit();
                    return hit;
                }
            }

            Thread.Sleep(5);
        }

        p.Kill(entireProcessTree: true);
        throw new TimeoutException("the run never reached the point where it was to be killed");
    }

    [Fact]
    public void Killed_during_a_copy_between_vms_and_in_the_guest_stage_a_resumed_run_gives_the_uninterrupted_outputs()
    {
        Tool.Require("qemu-img");
        var sources = new Dictionary<string, string>
        {
            ["alpha"] = MakeVm("alpha", 64, 1),
            ["bravo"] = MakeVm("bravo", 160, 2),
            ["charlie"] = MakeVm("charlie", 16, 3),
            ["delta"] = MakeVm("delta", 16, 4),
        };
        var guest = GuestFixtureVm();
        var outDir = Path.Combine(_dir, "out");
        var plan = Path.Combine(_dir, "plan.yaml");
        var journal = Path.Combine(_dir, "plan.journal.db");
        var made = CliRunner.Run(_dir, new Dictionary<string, string?> { ["HOME"] = _dir }, ["plan", Path.Combine(_dir, "src"), "-o", "local", "-os", outDir, "-c", "--save", plan]);
        Assert.True(made.ExitCode == 0, made.Err);
        var text = File.ReadAllText(plan);
        foreach (var name in sources.Keys)
        {
            text = PlanEdit.Set(text, name, "guestFixups", "false"); // data disks: a copy; the fixture guest alone is converted
        }

        File.WriteAllText(plan, text);

        // 1. During a copy: the copy of bravo has begun.
        var run1 = Start(_dir, "run", plan, "--parallel", "1");
        var hit1 = KillWhen(run1, journal, s => s.Vm == "bravo" && s.State == BatchVmState.Copying, also: () => Directory.Exists(outDir) && Directory.GetFiles(outDir, "*bravo-sda.qcow2*v2v-tmp*").Length > 0);
        Assert.Equal("bravo", hit1.Vm);
        Assert.False(File.Exists(Path.Combine(outDir, "bravo-sda.qcow2")), "bravo's copy was over before the kill landed (make its disk larger), or a killed copy left its final name");
        Assert.NotEmpty(Directory.GetFiles(outDir, "*bravo-sda.qcow2*v2v-tmp*")); // the killed copy's temporary file, removed by the next run

        // 2. Between VMs: as soon as one more VM is done.
        var run2 = Start(_dir, "run", plan, "--parallel", "1");
        KillWhen(run2, journal, s => s.State == BatchVmState.Done && s.Vm is "bravo" or "charlie" or "delta");

        if (guest is not null)
        {
            // 3. During the guest stage of the fixture guest (its appliance is starting or working).
            var run3 = Start(_dir, "run", plan, "--parallel", "1");
            KillWhen(run3, journal, s => s.Vm == guest && s.State == BatchVmState.ConvertingGuest, TimeSpan.FromSeconds(4));
            Assert.False(File.Exists(Path.Combine(outDir, guest + "-sda.qcow2")), "a guest stage that was killed left the disk under its final name");
        }

        // The resumed run finishes everything.
        var final = CliRunner.Run(_dir, new Dictionary<string, string?> { ["HOME"] = _dir }, ["run", plan, "--parallel", "2"]);
        Assert.True(final.ExitCode == 0, final.Out + final.Err);

        // Exactly the outputs of an uninterrupted run: one disk, one XML and one report per VM, nothing else.
        var names = sources.Keys.Concat(guest is null ? [] : [guest]).ToList();
        var expected = names.SelectMany(n => new[] { n + "-sda.qcow2", n + ".xml", n + ".report.json" }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, Directory.GetFiles(outDir).Select(f => Path.GetFileName(f)!).Where(f => !f.EndsWith(".log.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var (name, vmdk) in sources)
        {
            var qcow2 = Path.Combine(outDir, name + "-sda.qcow2");
            Tool.Check("qemu-img", "check", "-q", qcow2);
            var cmp = Tool.Run("qemu-img", ["compare", "-q", "-f", "vmdk", "-F", "qcow2", vmdk, qcow2]);
            Assert.True(cmp.ExitCode == 0, $"{name}: {cmp.All}");
            XmlValidator.AssertValidDomain(File.ReadAllText(Path.Combine(outDir, name + ".xml")), name);
        }

        using var j = SqliteBatchJournal.OpenReadOnly(journal);
        Assert.All(j.Statuses(), s => Assert.Equal(BatchVmState.Done, s.State));
        Assert.True(j.Status("bravo")!.Attempt >= 2, "bravo was killed mid-copy, so it took a second attempt");
        if (guest is not null)
        {
            var qcow2 = Path.Combine(outDir, guest + "-sda.qcow2");
            Tool.Check("qemu-img", "check", "-q", qcow2);
            var report = File.ReadAllText(Path.Combine(outDir, guest + ".report.json"));
            Assert.Contains("\"compatibilityMode\": false", report, StringComparison.Ordinal);
            Assert.True(j.Status(guest)!.Attempt >= 2, "the guest VM was killed in its guest stage, so it took a second attempt");
            Assert.Contains("virtio", File.ReadAllText(Path.Combine(outDir, guest + ".xml")), StringComparison.Ordinal);
        }
    }

    /// <summary>The Debian fixture guest (../shared) linked into the source folder, or null when ../shared is absent.</summary>
    private string? GuestFixtureVm()
    {
        if (LinuxGuestFixture.TryGet("plain") is not { } fixture)
        {
            return null; // the guest-stage kill point needs ../shared/fixtures; the copy kill points still run
        }

        LinuxGuestFixture.CopyVm(fixture, Path.Combine(_dir, "src", "guest"));
        return "debian12-v2v-fixture";
    }
}
