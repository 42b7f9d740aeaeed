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
    public void Replaces_an_existing_file_whole()
    {
        var path = Path.Combine(_dir, "r.json");
        File.WriteAllText(path, new string('x', 10_000));
        AtomicOutputFile.WriteAllBytes(path, "{}"u8);
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
    public void A_stale_temporary_file_of_this_process_is_replaced()
    {
        var path = Path.Combine(_dir, "vm.xml");
        File.WriteAllText(AtomicOutputFile.TempPathFor(path), "stale");
        AtomicOutputFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(AtomicOutputFile.TempPathFor(path)));
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
}
