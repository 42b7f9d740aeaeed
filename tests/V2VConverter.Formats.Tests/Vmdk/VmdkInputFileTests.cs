using System.Text;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Qcow2;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Formats.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>
/// Issue 11 points 1, 8, 10 and 13: how VMDK files, extents, parents, raw and qcow2 images and the .vmx are opened.
/// A link may not lead out of the VM folder (its real target counts, every folder on the way resolved); a FIFO,
/// a folder, a device or a /proc file is refused at once with a message naming the file and what it is.
/// </summary>
public sealed class VmdkInputFileTests : IDisposable
{
    private const int MiB = 1 << 20;

    /// <summary>A byte pattern that appears nowhere else: if it shows up in a read, a file outside the folder was read.</summary>
    private static readonly byte[] CanaryPattern = Encoding.ASCII.GetBytes("CANARY-5f1c0e-outside-the-vm-folder!");

    private readonly string _dir = RepoPaths.NewTempDir("vmdk-input");
    private readonly string _vm;
    private readonly string _outside;
    private readonly List<string> _fifos = [];

    public VmdkInputFileTests()
    {
        _vm = Directory.CreateDirectory(Path.Combine(_dir, "vm")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Canary(int length)
    {
        var b = new byte[length];
        for (var i = 0; i + CanaryPattern.Length <= b.Length; i += CanaryPattern.Length)
        {
            CanaryPattern.CopyTo(b, i);
        }

        return b;
    }

    private static string Flat(string extent, long sectors = 2048) =>
        $"# Disk DescriptorFile\nversion=1\nCID=00000001\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW {sectors} FLAT \"{extent}\" 0\n";

    private static byte[] ReadAll(string path, VmdkOpenOptions? options = null)
    {
        using var disk = VmdkDisk.Open(path, options);
        var buf = new byte[disk.Length];
        disk.Read(0, buf);
        return buf;
    }

    private string MakeFifo(string path)
    {
        _fifos.Add(path);
        return Fifo.Make(path);
    }

    /// <summary>The action must throw <typeparamref name="T"/> within the deadline (a FIFO made by the test is released after it).</summary>
    private T Fails<T>(Func<object?> action, params string[] needles)
        where T : Exception
    {
        var ex = Fifo.ThrowsWithinDeadline(() => action(), [.. _fifos]);
        Assert.NotNull(ex);
        Assert.True(ex is T, $"expected {typeof(T).Name}, got {ex.GetType().Name}: {ex.Message}");
        foreach (var n in needles)
        {
            Assert.True(ex.Message.Contains(n, StringComparison.Ordinal), $"\"{n}\" not in: {ex.Message}");
        }

        Assert.DoesNotContain('\n', ex.Message);
        return (T)ex;
    }

    [Fact]
    public void An_extent_that_links_to_a_file_outside_the_vm_folder_is_refused_unless_allowed()
    {
        var canary = Path.Combine(_outside, "canary.bin");
        File.WriteAllBytes(canary, Canary(MiB));
        File.CreateSymbolicLink(Path.Combine(_vm, "d-flat.vmdk"), canary);
        var d = Path.Combine(_vm, "d.vmdk");
        File.WriteAllText(d, Flat("d-flat.vmdk"));

        var ex = Fails<InvalidDataException>(() => ReadAll(d), "d.vmdk line 6", "\"extent file name\"", "d-flat.vmdk", canary, "outside the VM folder", "--allow-absolute-extents");
        Assert.DoesNotContain("CANARY", ex.Message);
        Assert.Equal(Canary(MiB), ReadAll(d, new VmdkOpenOptions { AllowAbsoluteExtents = true }));
    }

    [Fact]
    public void An_extent_that_links_to_etc_shadow_is_refused_before_it_is_opened()
    {
        File.CreateSymbolicLink(Path.Combine(_vm, "s-flat.vmdk"), "/etc/shadow");
        var d = Path.Combine(_vm, "s.vmdk");
        File.WriteAllText(d, Flat("s-flat.vmdk", 1));
        Fails<InvalidDataException>(() => ReadAll(d), "s-flat.vmdk", "/etc/shadow", "outside the VM folder");
    }

    [Fact]
    public void An_extent_behind_a_linked_folder_outside_the_vm_folder_is_refused()
    {
        File.WriteAllBytes(Path.Combine(_outside, "x-flat.vmdk"), Canary(MiB));
        Directory.CreateSymbolicLink(Path.Combine(_vm, "sub"), _outside);
        var d = Path.Combine(_vm, "x.vmdk");
        File.WriteAllText(d, Flat("sub/x-flat.vmdk"));
        Fails<InvalidDataException>(() => ReadAll(d), "x.vmdk line 6", "sub/x-flat.vmdk", Path.Combine(_outside, "x-flat.vmdk"), "outside the VM folder");
    }

    [Fact]
    public void A_parent_hint_that_links_outside_the_vm_folder_is_refused_unless_allowed()
    {
        // A self-contained parent (COWD, no descriptor) whose first grain is the canary.
        File.WriteAllBytes(Path.Combine(_outside, "p.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]> { [0] = Canary(512) }));
        File.CreateSymbolicLink(Path.Combine(_vm, "p.vmdk"), Path.Combine(_outside, "p.vmdk"));
        File.WriteAllBytes(Path.Combine(_vm, "c-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        var c = Path.Combine(_vm, "c.vmdk");
        File.WriteAllText(c, "version=1\nCID=00000002\nparentCID=00000001\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"p.vmdk\"\nRW 2048 VMFSSPARSE \"c-delta.vmdk\"\n");

        Fails<InvalidDataException>(() => ReadAll(c), "c.vmdk", "\"parentFileNameHint\"", Path.Combine(_outside, "p.vmdk"), "outside the VM folder", "--allow-absolute-extents");
        Assert.Equal(Canary(512), ReadAll(c, new VmdkOpenOptions { AllowAbsoluteExtents = true })[..512]);
    }

    [Fact]
    public void A_parent_hint_that_links_to_etc_shadow_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_vm, "p.vmdk"), "/etc/shadow");
        File.WriteAllBytes(Path.Combine(_vm, "c-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        var c = Path.Combine(_vm, "c.vmdk");
        File.WriteAllText(c, "version=1\nCID=00000002\nparentCID=00000001\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"p.vmdk\"\nRW 2048 VMFSSPARSE \"c-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(c), "\"parentFileNameHint\"", "/etc/shadow", "outside the VM folder");
    }

    [Fact]
    public void Links_that_stay_inside_the_vm_folder_still_work()
    {
        var data = new byte[MiB];
        new Random(11).NextBytes(data);
        Directory.CreateDirectory(Path.Combine(_vm, "real"));
        File.WriteAllBytes(Path.Combine(_vm, "real", "data.bin"), data);
        File.CreateSymbolicLink(Path.Combine(_vm, "l-flat.vmdk"), "real/data.bin");
        Directory.CreateSymbolicLink(Path.Combine(_vm, "alias"), Path.Combine(_vm, "real"));
        var d = Path.Combine(_vm, "l.vmdk");
        File.WriteAllText(d, Flat("l-flat.vmdk"));
        Assert.Equal(data, ReadAll(d));
        File.WriteAllText(d, Flat("alias/data.bin"));
        Assert.Equal(data, ReadAll(d));

        // The VM folder itself reached through a link: its real path is the folder.
        var linkToVm = Path.Combine(_dir, "vm-link");
        Directory.CreateSymbolicLink(linkToVm, _vm);
        Assert.Equal(data, ReadAll(Path.Combine(linkToVm, "l.vmdk")));
    }

    [Fact]
    public void A_fifo_extent_is_refused_at_once()
    {
        var fifo = MakeFifo(Path.Combine(_vm, "f-flat.vmdk"));
        var d = Path.Combine(_vm, "f.vmdk");
        File.WriteAllText(d, Flat("f-flat.vmdk"));
        Fails<InvalidDataException>(() => ReadAll(d), "f.vmdk line 6", "f-flat.vmdk", "is a FIFO");
    }

    [Fact]
    public void A_fifo_descriptor_is_refused_at_once()
    {
        var fifo = MakeFifo(Path.Combine(_vm, "top.vmdk"));
        Fails<IOException>(() => ReadAll(fifo), "top.vmdk", "is a FIFO");
        Fails<IOException>(() => VmdkSniffer.Detect(fifo), "top.vmdk", "is a FIFO");
        Fails<IOException>(() => DiskImage.Open(fifo), "top.vmdk", "is a FIFO");
        Fails<IOException>(() => DiskImage.Open(fifo, "vmdk"), "top.vmdk", "is a FIFO");
        Fails<IOException>(() => RawDisk.Open(fifo), "top.vmdk", "is a FIFO");
        Fails<IOException>(() => Qcow2Disk.Open(fifo), "top.vmdk", "is a FIFO");
    }

    [Fact]
    public void A_fifo_parent_is_refused_at_once()
    {
        var fifo = MakeFifo(Path.Combine(_vm, "p.vmdk"));
        File.WriteAllBytes(Path.Combine(_vm, "c-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        var c = Path.Combine(_vm, "c.vmdk");
        File.WriteAllText(c, "version=1\nCID=00000002\nparentCID=00000001\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"p.vmdk\"\nRW 2048 VMFSSPARSE \"c-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(c), "c.vmdk", "\"parentFileNameHint\"", "p.vmdk", "is a FIFO");
    }

    [Fact]
    public void An_extent_that_is_a_directory_says_so()
    {
        Directory.CreateDirectory(Path.Combine(_vm, "dir-flat.vmdk"));
        var d = Path.Combine(_vm, "dir.vmdk");
        File.WriteAllText(d, Flat("dir-flat.vmdk"));
        var ex = Fails<InvalidDataException>(() => ReadAll(d), "dir.vmdk line 6", "dir-flat.vmdk", "is a directory");
        Assert.DoesNotContain("denied", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_character_device_extent_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_vm, "z-flat.vmdk"), "/dev/zero");
        var d = Path.Combine(_vm, "z.vmdk");
        File.WriteAllText(d, Flat("z-flat.vmdk"));
        Fails<InvalidDataException>(() => ReadAll(d, new VmdkOpenOptions { AllowAbsoluteExtents = true }), "z-flat.vmdk", "/dev/zero", "is a character device");
    }

    [Fact]
    public void Devices_and_proc_files_given_as_a_disk_are_refused()
    {
        Fails<IOException>(() => DiskImage.Open("/dev/zero"), "/dev/zero", "is a character device");
        Fails<IOException>(() => DiskImage.Open("/dev/zero", "raw"), "/dev/zero", "is a character device");
        Fails<IOException>(() => VmdkDisk.Open("/dev/zero"), "/dev/zero", "is a character device");
        Fails<IOException>(() => DiskImage.Open("/proc/self/mem"), "/proc/self/mem", "/proc");
        Fails<IOException>(() => DiskImage.Open("/proc/self/mem", "raw"), "/proc/self/mem", "/proc");
        Fails<IOException>(() => VmdkDisk.Open("/proc/self/mem"), "/proc/self/mem", "/proc");
        Fails<IOException>(() => DiskImage.Open(_vm), _vm, "is a directory");
    }

    [Fact]
    public void A_vmx_that_is_a_fifo_or_a_device_is_refused_at_once()
    {
        var fifo = MakeFifo(Path.Combine(_vm, "f.vmx"));
        Fails<IOException>(() => VmxDocument.Load(fifo), "f.vmx", "is a FIFO");
        Fails<IOException>(() => VmxDocument.Load("/dev/zero"), "/dev/zero", "is a character device");
        Fails<IOException>(() => VmxDocument.Load("/proc/self/mem"), "/proc/self/mem", "/proc");
    }
}
