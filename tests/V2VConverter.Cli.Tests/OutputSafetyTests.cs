using System.Diagnostics;
using System.Text;
using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 11 points 2, 6, 7 and 13 for the files the tool writes: links planted in the output folder, two runs into one
/// folder, SIGTERM/SIGHUP mid-copy, temporary files left by killed runs, long VM names, a read-only output.
/// </summary>
public sealed class OutputSafetyTests : IDisposable
{
    private const string Vm = "workstation-demo";
    private readonly string _dir = RepoPaths.NewTempDir("v2v-outsafe");
    private readonly string _outside = RepoPaths.NewTempDir("v2v-outside");
    private readonly string _vmx;
    private readonly string _out;

    public OutputSafetyTests()
    {
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "workstation-demo")))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }

        _vmx = Path.Combine(_dir, "demo.vmx");
        _out = Path.Combine(_dir, "out");
        Directory.CreateDirectory(_out);
    }

    public void Dispose()
    {
        ReadOnlyFolder.Undo(_out);
        Directory.Delete(_dir, true);
        Directory.Delete(_outside, true);
    }

    private string[] Convert(params string[] extra) => ["convert", _vmx, "-o", "local", "-os", _out, "--no-guest-fixups", .. extra];

    private IEnumerable<string> FinalNames() => [$"{Vm}-sda.qcow2", $"{Vm}.xml", $"{Vm}.report.json"];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Links_planted_in_the_output_folder_never_send_a_byte_outside_it(bool atFinalNames)
    {
        Tool.Require("qemu-img");
        var victim = Path.Combine(_outside, "victim");
        File.WriteAllText(victim, "precious");
        var created = new List<string>();
        void Plant(string name, string target)
        {
            File.CreateSymbolicLink(Path.Combine(_out, name), target);
        }

        // The log's name carries the source's name ("demo" for demo.vmx) and the time: plant a link for each of the next seconds.
        var now = DateTime.UtcNow;
        for (var s = 0; s < 30; s++)
        {
            Plant($"demo.{now.AddSeconds(s):yyyyMMdd-HHmmss}.log.json", victim);
        }

        // The old, predictable temporary names, and ones with this PID.
        foreach (var n in FinalNames())
        {
            Plant($".{n}.v2v-tmp-{Environment.ProcessId}", victim);
            Plant($".{n}.v2v-tmp-{Environment.ProcessId}-000000000000", victim);
        }

        Plant($".{Vm}.v2v-lock", victim);
        if (atFinalNames)
        {
            foreach (var n in FinalNames())
            {
                var absent = Path.Combine(_outside, "absent-" + n);
                created.Add(absent);
                Plant(n, absent); // dangling: File.Exists says false
            }
        }

        var r = CliRunner.Run(_dir, Convert());
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.All(created, a => Assert.False(File.Exists(a), $"{a} was created through a link"));
        Assert.Equal(["victim"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        Assert.NotEqual(0, r.ExitCode); // the lock file's name is a link: refused
        Assert.Contains(".v2v-lock", r.Err, StringComparison.Ordinal);

        // Without the link at the lock's name: a link at a final name is refused by name, else the run writes inside.
        File.Delete(Path.Combine(_out, $".{Vm}.v2v-lock"));
        r = CliRunner.Run(_dir, Convert());
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(["victim"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
        if (atFinalNames)
        {
            Assert.Equal(ExitCodes.Failure, r.ExitCode);
            Assert.Contains("already exists", r.Err, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(r.ExitCode == 0, r.Err);
            foreach (var n in FinalNames())
            {
                var f = new FileInfo(Path.Combine(_out, n));
                Assert.True(f.Exists && f.LinkTarget is null, $"{n} must be a plain file inside the folder");
            }

            var logs = Directory.GetFiles(_out, "*.log.json").Where(f => new FileInfo(f).LinkTarget is null).ToList();
            Assert.NotEmpty(logs);
            Assert.Contains(logs, l => File.ReadAllText(l).Contains("\"Stage\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_second_run_into_the_same_folder_for_the_same_vm_fails_at_once_naming_the_folder_the_vm_and_the_holder()
    {
        Tool.Require("qemu-img");
        Tool.Require("flock");
        var lockPath = Path.Combine(_out, $".{Vm}.v2v-lock");
        var psi = new ProcessStartInfo("flock") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var a in new[] { "-x", lockPath, "sh", "-c", "echo $PPID > \"$0\"; read _", lockPath })
        {
            psi.ArgumentList.Add(a);
        }

        using var holder = Process.Start(psi)!;
        try
        {
            var sw = Stopwatch.StartNew();
            while ((!File.Exists(lockPath) || new FileInfo(lockPath).Length == 0) && sw.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(20);
            }

            var r = CliRunner.Run(_dir, Convert());
            Assert.Equal(ExitCodes.Failure, r.ExitCode);
            var line = r.Err.Split('\n').Single(l => l.StartsWith("v2v: error:", StringComparison.Ordinal));
            Assert.Contains(_out, line, StringComparison.Ordinal);
            Assert.Contains($"\"{Vm}\"", line, StringComparison.Ordinal);
            Assert.Contains($"PID {holder.Id}", line, StringComparison.Ordinal);
            Assert.All(FinalNames(), n => Assert.False(File.Exists(Path.Combine(_out, n))));
            Assert.Empty(Directory.GetFiles(_out, "*v2v-tmp*"));
        }
        finally
        {
            holder.StandardInput.Close();
            holder.WaitForExit();
        }

        // Once the holder is gone, the run goes through, and releases its own lock.
        File.Delete(lockPath);
        var ok = CliRunner.Run(_dir, Convert());
        Assert.True(ok.ExitCode == 0, ok.Err);
        Assert.False(File.Exists(lockPath));
    }

    [Fact]
    public void Two_runs_at_once_into_one_folder_never_both_succeed_and_nothing_is_overwritten()
    {
        Tool.Require("qemu-img");
        var results = new CliRunner.Result[2];
        Parallel.For(0, 2, i => results[i] = CliRunner.Run(_dir, Convert()));
        Assert.Single(results, r => r.ExitCode == 0);
        var failed = results.Single(r => r.ExitCode != 0);
        Assert.True(failed.Err.Contains("another v2v run", StringComparison.Ordinal) || failed.Err.Contains("already exists", StringComparison.Ordinal), failed.Err);
        Assert.All(FinalNames(), n => Assert.True(File.Exists(Path.Combine(_out, n))));
        Assert.Equal(0, Tool.Run("qemu-img", ["check", Path.Combine(_out, $"{Vm}-sda.qcow2")]).ExitCode);
        Assert.Empty(Directory.GetFiles(_out, "*v2v-tmp*"));
    }

    [Theory]
    [InlineData("TERM", ExitCodes.Terminated, false)]
    [InlineData("HUP", ExitCodes.HungUp, false)]
    [InlineData("TERM", ExitCodes.Terminated, true)]
    public async Task A_signal_mid_copy_exits_128_plus_its_number_with_nothing_under_a_final_name_and_no_temporary_file(string signal, int code, bool convert)
    {
        Tool.Require("qemu-img");
        var raw = Path.Combine(_dir, "big.raw");
        WriteRandom(raw, 256);
        string[] args;
        string[] finals;
        if (convert)
        {
            File.Delete(Path.Combine(_dir, "demo.vmdk"));
            Tool.Run("qemu-img", ["convert", "-f", "raw", "-O", "vmdk", raw, Path.Combine(_dir, "demo.vmdk")]);
            File.Delete(raw);
            args = Convert("-c");
            finals = [.. FinalNames().Select(n => Path.Combine(_out, n))];
        }
        else
        {
            args = ["disk", "convert", raw, Path.Combine(_out, "d.qcow2"), "-O", "qcow2", "-c", "--compression-level", "9"];
            finals = [Path.Combine(_out, "d.qcow2")];
        }

        using var p = StartCli(args);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        WaitForTemp(p);
        Assert.Equal(0, Tool.Run("kill", [$"-{signal}", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        Assert.True(p.WaitForExit(60_000), "the CLI did not stop after the signal");
        var err = await stderr;
        Assert.True(p.ExitCode == code, $"exit {p.ExitCode}: {err}");
        Assert.Contains($"SIG{signal}", err, StringComparison.Ordinal);
        Assert.All(finals, f => Assert.False(File.Exists(f), $"{f} was left under its final name"));
        Assert.Empty(Directory.GetFiles(_out, "*v2v-tmp*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_out, "*.v2v-lock"));

        if (convert)
        {
            // Nothing blocks the re-run.
            var again = CliRunner.Run(_dir, Convert());
            Assert.True(again.ExitCode == 0, again.Err);
        }
    }

    [Fact]
    public void The_next_run_removes_the_temporary_files_of_dead_runs_and_never_a_live_process_s()
    {
        Tool.Require("qemu-img");
        int deadPid;
        using (var dead = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            deadPid = dead.Id;
            dead.WaitForExit();
        }

        var deadTemp = Path.Combine(_out, $".{Vm}-sda.qcow2.v2v-tmp-{deadPid}-0a1b2c3d4e5f");
        var deadOld = Path.Combine(_out, $".{Vm}.xml.v2v-tmp-{deadPid}");
        var liveTemp = Path.Combine(_out, $".{Vm}-sda.qcow2.v2v-tmp-{Environment.ProcessId}-0a1b2c3d4e5f"); // this test is alive
        foreach (var f in new[] { deadTemp, deadOld, liveTemp })
        {
            File.WriteAllBytes(f, new byte[4096]);
        }

        using var p = StartCli(Convert("-v"));
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        Assert.False(File.Exists(deadTemp));
        Assert.False(File.Exists(deadOld));
        Assert.True(File.Exists(liveTemp), "a live process's temporary file was removed");
        Assert.Contains(deadTemp, err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_300_character_display_name_gives_short_file_names_and_the_full_name_in_the_xml()
    {
        Tool.Require("qemu-img");
        var longName = string.Concat(Enumerable.Repeat("very-long-name-é-", 18)) + "end"; // 309 chars, more bytes
        var vmx = File.ReadAllText(_vmx).Replace($"displayName = \"{Vm}\"", $"displayName = \"{longName}\"", StringComparison.Ordinal);
        File.WriteAllText(_vmx, vmx);
        var r = CliRunner.Run(_dir, Convert());
        Assert.True(r.ExitCode == 0, r.Err);
        var names = Directory.GetFiles(_out).Select(Path.GetFileName).ToList();
        Assert.Contains(names, n => n!.EndsWith("-sda.qcow2", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.EndsWith(".report.json", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.EndsWith(".log.json", StringComparison.Ordinal));
        Assert.All(names, n => Assert.True(Encoding.UTF8.GetByteCount(n!) <= 200, $"{n} is {Encoding.UTF8.GetByteCount(n!)} bytes"));
        var xml = XDocument.Load(Directory.GetFiles(_out, "*.xml").Single());
        Assert.Equal(longName, xml.Root!.Element("name")!.Value);
        XmlValidator.AssertValidDomain(xml.ToString(), "long name");

        // Two long names with the same beginning get different files.
        var other = longName[..250] + "-other";
        File.WriteAllText(_vmx, File.ReadAllText(_vmx).Replace(longName, other, StringComparison.Ordinal));
        var r2 = CliRunner.Run(_dir, Convert());
        Assert.True(r2.ExitCode == 0, r2.Err);
        Assert.Equal(2, Directory.GetFiles(_out, "*.xml").Length);
    }

    [Fact]
    public void A_read_only_output_is_an_error_naming_the_output_not_a_temporary_or_lock_file()
    {
        if (!ReadOnlyFolder.Make(_out))
        {
            Assert.Skip("cannot make a read-only folder here");
        }

        var logs = Path.Combine(_dir, "logs");
        Directory.CreateDirectory(logs);
        var r = CliRunner.Run(_dir, Convert("--log-dir", logs));
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = r.Err.Split('\n').Single(l => l.StartsWith("v2v: error:", StringComparison.Ordinal));
        Assert.Contains(_out, line, StringComparison.Ordinal);
        Assert.DoesNotContain("v2v-tmp", line, StringComparison.Ordinal);
        Assert.DoesNotContain("v2v-lock", line, StringComparison.Ordinal);

        var xmlOut = Path.Combine(_out, "vm.xml");
        var x = CliRunner.Run(_dir, "xml", _vmx, "-o", xmlOut);
        Assert.Equal(ExitCodes.Failure, x.ExitCode);
        Assert.Contains(xmlOut, x.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("v2v-tmp", x.Err, StringComparison.Ordinal);
    }

    private static Process StartCli(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "v2v.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = Path.GetTempPath();
        return Process.Start(psi)!;
    }

    private void WaitForTemp(Process p)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited)
        {
            var temps = Directory.GetFiles(_out, "*v2v-tmp*");
            if (temps.Length > 0 && new FileInfo(temps[0]).Length > 1 << 20)
            {
                return;
            }

            Thread.Sleep(20);
        }

        Assert.False(p.HasExited, "the copy finished before the signal; make the input larger");
        Assert.Fail("no temporary file grew within 120 s");
    }

    private static void WriteRandom(string path, int mib)
    {
        var rng = new Random(11);
        var chunk = new byte[1 << 20];
        using var f = File.Create(path);
        for (var i = 0; i < mib; i++)
        {
            rng.NextBytes(chunk);
            f.Write(chunk);
        }
    }
}
