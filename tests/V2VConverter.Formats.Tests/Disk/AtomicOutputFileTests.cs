using System.Text;
using V2VConverter.Formats.Disk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Disk;

/// <summary>The one atomic-write helper: a temporary name in the same folder, renamed only on success.</summary>
public sealed class AtomicOutputFileTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_text_as_utf8_without_a_bom_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_dir, "vm.xml");
        AtomicOutputFile.WriteAllText(path, "<domain>é</domain>\n");
        Assert.Equal(Encoding.UTF8.GetBytes("<domain>é</domain>\n"), File.ReadAllBytes(path));
        Assert.Equal(["vm.xml"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Replaces_an_existing_file_whole_when_asked()
    {
        var path = Path.Combine(_dir, "r.json");
        File.WriteAllText(path, new string('x', 10_000));
        AtomicOutputFile.WriteAllBytes(path, "{}"u8, replace: true);
        Assert.Equal("{}", File.ReadAllText(path));
    }

    [Fact]
    public void Writes_empty_content()
    {
        var path = Path.Combine(_dir, "empty");
        AtomicOutputFile.WriteAllBytes(path, []);
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void A_file_at_the_old_predictable_temporary_name_is_left_alone_and_not_written()
    {
        var path = Path.Combine(_dir, "vm.xml");
        var predictable = Path.Combine(_dir, $".vm.xml.v2v-tmp-{Environment.ProcessId}");
        File.WriteAllText(predictable, "someone else's");
        AtomicOutputFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal("someone else's", File.ReadAllText(predictable));
    }

    [Fact]
    public void A_missing_directory_is_an_error_naming_it_and_nothing_is_created()
    {
        var dir = Path.Combine(_dir, "absent");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => AtomicOutputFile.WriteAllText(Path.Combine(dir, "vm.xml"), "x"));
        Assert.Contains(dir, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void A_directory_under_the_final_name_is_refused()
    {
        var path = Path.Combine(_dir, "taken");
        Directory.CreateDirectory(path);
        Assert.Throws<IOException>(() => AtomicOutputFile.WriteAllText(path, "x"));
        Assert.True(Directory.Exists(path));
        Assert.Equal(["taken"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Dispose_without_commit_removes_the_temporary_file_and_keeps_the_old_one()
    {
        var path = Path.Combine(_dir, "disk.qcow2");
        File.WriteAllText(path, "old");
        using (var f = AtomicOutputFile.Create(path))
        {
            RandomAccess.Write(f.Handle, "partial"u8, 0);
            Assert.True(File.Exists(f.TempPath));
            Assert.Equal(_dir, Path.GetDirectoryName(f.TempPath));
        }

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["disk.qcow2"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Commit_renames_to_the_final_name(bool fsync)
    {
        var path = Path.Combine(_dir, "disk.raw");
        using (var f = AtomicOutputFile.Create(path))
        {
            RandomAccess.Write(f.Handle, "data"u8, 0);
            Assert.False(File.Exists(path));
            f.Commit(fsync);
        }

        Assert.Equal("data", File.ReadAllText(path));
        Assert.Equal(["disk.raw"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Temporary_names_are_unpredictable_hidden_and_carry_the_pid()
    {
        var path = Path.Combine(_dir, "disk.qcow2");
        using var a = AtomicOutputFile.Create(path);
        using var b = AtomicOutputFile.Create(path);
        Assert.NotEqual(a.TempPath, b.TempPath);
        foreach (var t in new[] { a.TempPath, b.TempPath })
        {
            Assert.Equal(_dir, Path.GetDirectoryName(t));
            Assert.Matches($@"^\.disk\.qcow2\.v2v-tmp-{Environment.ProcessId}-[0-9a-f]{{12}}$", Path.GetFileName(t));
        }
    }

    [Fact]
    public void The_temporary_file_is_created_with_mode_0644_or_tighter_and_a_private_one_0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var pub = AtomicOutputFile.Create(Path.Combine(_dir, "a.xml"));
        using var priv = AtomicOutputFile.Create(Path.Combine(_dir, "a.log"), 0, AtomicOutputFile.PrivateMode);
        Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(pub.TempPath) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.UserExecute));
        Assert.Equal(AtomicOutputFile.PrivateMode, File.GetUnixFileMode(priv.TempPath));
    }

    [Fact]
    public void An_existing_final_file_is_never_replaced_by_default_and_the_error_names_it()
    {
        var path = Path.Combine(_dir, "vm.report.json");
        File.WriteAllText(path, "another run's report");
        var ex = Assert.Throws<IOException>(() => AtomicOutputFile.WriteAllText(path, "mine"));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("already exists", ex.Message, StringComparison.Ordinal);
        Assert.Equal("another run's report", File.ReadAllText(path));
        Assert.Equal(["vm.report.json"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_that_appears_under_the_final_name_during_the_write_is_not_replaced()
    {
        var path = Path.Combine(_dir, "disk.qcow2");
        using (var f = AtomicOutputFile.Create(path))
        {
            RandomAccess.Write(f.Handle, "mine"u8, 0);
            File.WriteAllText(path, "the other run's disk"); // a second run committed first
            Assert.Throws<IOException>(() => f.Commit(fsync: true));
        }

        Assert.Equal("the other run's disk", File.ReadAllText(path));
        Assert.Equal(["disk.qcow2"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Links_planted_at_the_final_name_and_the_temporary_names_are_never_followed()
    {
        var outside = RepoPaths.NewTempDir("v2v-outside");
        try
        {
            var victim = Path.Combine(outside, "victim");
            File.WriteAllText(victim, "precious");
            var absent = Path.Combine(outside, "absent");
            var path = Path.Combine(_dir, "vm.xml");
            File.CreateSymbolicLink(Path.Combine(_dir, $".vm.xml.v2v-tmp-{Environment.ProcessId}"), victim);
            File.CreateSymbolicLink(Path.Combine(_dir, $".vm.xml.v2v-tmp-{Environment.ProcessId}-000000000000"), victim);
            File.CreateSymbolicLink(path, absent); // dangling: File.Exists says false

            var ex = Assert.Throws<IOException>(() => AtomicOutputFile.WriteAllText(path, "<domain/>"));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.False(File.Exists(absent), "nothing may be created through the link");
            Assert.Equal(absent, new FileInfo(path).LinkTarget);

            // An explicit replace (xml -o FILE) replaces the link itself: the data stays inside the folder.
            AtomicOutputFile.WriteAllText(path, "<domain/>", replace: true);
            Assert.Null(new FileInfo(path).LinkTarget);
            Assert.Equal("<domain/>", File.ReadAllText(path));
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.False(File.Exists(absent));
        }
        finally
        {
            Directory.Delete(outside, true);
        }
    }

    [Fact]
    public void Stale_temporary_files_of_dead_processes_are_removed_and_live_ones_kept()
    {
        int deadPid;
        using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            deadPid = p.Id;
            p.WaitForExit();
        }

        var dead = Path.Combine(_dir, $".vm-sda.qcow2.v2v-tmp-{deadPid}-0123456789ab");
        var deadOld = Path.Combine(_dir, $".vm.xml.v2v-tmp-{deadPid}");
        var mine = Path.Combine(_dir, $".vm-sdb.qcow2.v2v-tmp-{Environment.ProcessId}-0123456789ab");
        var init = Path.Combine(_dir, ".vm-sdc.qcow2.v2v-tmp-1-0123456789ab"); // PID 1 is alive (and not ours to signal)
        var other = Path.Combine(_dir, "keep.v2v-tmp-notapid");
        foreach (var f in new[] { dead, deadOld, mine, init, other })
        {
            File.WriteAllText(f, "x");
        }

        var removed = AtomicOutputFile.RemoveStaleTemps(_dir);
        Assert.Equal(new[] { dead, deadOld }.Order(), removed.Order());
        Assert.False(File.Exists(dead));
        Assert.False(File.Exists(deadOld));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(init));
        Assert.True(File.Exists(other));

        // Creating an output in the folder does the same sweep.
        File.WriteAllText(dead, "x");
        AtomicOutputFile.WriteAllText(Path.Combine(_dir, "new.xml"), "y");
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(mine));
    }

    [Fact]
    public void A_read_only_folder_is_an_error_naming_the_output_not_the_temporary_file()
    {
        var ro = Path.Combine(_dir, "ro");
        Directory.CreateDirectory(ro);
        if (!ReadOnlyFolder.Make(ro))
        {
            Assert.Skip("cannot make a read-only folder here (not root with chattr, and root ignores modes)");
        }

        try
        {
            var path = Path.Combine(ro, "vm.xml");
            var ex = Assert.ThrowsAny<Exception>(() => AtomicOutputFile.WriteAllText(path, "x"));
            Assert.True(ex is UnauthorizedAccessException or IOException, ex.ToString());
            Assert.StartsWith(path + ":", ex.Message, StringComparison.Ordinal);
            Assert.Contains(ro, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("v2v-tmp", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            ReadOnlyFolder.Undo(ro);
        }
    }
}
