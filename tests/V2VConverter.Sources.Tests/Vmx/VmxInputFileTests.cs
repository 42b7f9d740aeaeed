using System.Text;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Disks;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.Vmx;

/// <summary>Issue 11 points 1 and 8 for a .vmx folder: the disk files a .vmx names, as the source probes and opens them.</summary>
public sealed class VmxInputFileTests : IDisposable
{
    private static readonly byte[] CanaryPattern = Encoding.ASCII.GetBytes("CANARY-vmx-disk-outside-the-folder;");

    private readonly string _dir = RepoPaths.NewTempDir("vmx-input");
    private readonly string _vm;
    private readonly string _outside;
    private readonly List<string> _fifos = [];

    public VmxInputFileTests()
    {
        _vm = Directory.CreateDirectory(Path.Combine(_dir, "vm")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Vmx(string diskFileName) =>
        $"displayName = \"v\"\nscsi0.present = \"TRUE\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"{diskFileName}\"\n";

    /// <summary>A monolithicFlat VMDK of 1 MiB at <paramref name="descriptor"/>, its data full of the canary.</summary>
    private static void FlatVmdk(string descriptor)
    {
        var flat = Path.GetFileNameWithoutExtension(descriptor) + "-flat.vmdk";
        var data = new byte[1 << 20];
        for (var i = 0; i + CanaryPattern.Length <= data.Length; i += CanaryPattern.Length)
        {
            CanaryPattern.CopyTo(data, i);
        }

        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(descriptor)!, flat), data);
        File.WriteAllText(descriptor, $"# Disk DescriptorFile\nversion=1\nCID=00000001\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"{flat}\" 0\n");
    }

    private Exception Throws(Action action)
    {
        var ex = Fifo.ThrowsWithinDeadline(action, [.. _fifos]);
        Assert.NotNull(ex);
        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    [Fact]
    public void A_disk_file_that_is_a_fifo_is_refused_at_once_naming_the_key()
    {
        _fifos.Add(Fifo.Make(Path.Combine(_vm, "disk.vmdk")));
        File.WriteAllText(Path.Combine(_vm, "v.vmx"), Vmx("disk.vmdk"));
        var ex = Throws(() => VmxSource.Load(Path.Combine(_vm, "v.vmx"), new TestLog().Logger));
        Assert.IsType<InvalidDataException>(ex);
        Assert.Contains("v.vmx:4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("scsi0:0.fileName", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vmx_that_is_a_fifo_is_refused_at_once()
    {
        var vmx = Path.Combine(_vm, "v.vmx");
        _fifos.Add(Fifo.Make(vmx));
        var ex = Throws(() => VmxSource.Load(vmx, new TestLog().Logger));
        Assert.Contains("v.vmx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is a FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disk_file_that_links_outside_the_vmx_folder_is_not_opened_unless_allowed()
    {
        // A self-contained sparse VMDK (no extent file beside it) full of the canary.
        Tool.Require("qemu-img");
        var raw = Path.Combine(_outside, "canary.raw");
        FlatVmdk(Path.Combine(_outside, "canary.vmdk"));
        File.Move(Path.Combine(_outside, "canary-flat.vmdk"), raw);
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", raw, Path.Combine(_outside, "other.vmdk"));
        File.CreateSymbolicLink(Path.Combine(_vm, "disk.vmdk"), Path.Combine(_outside, "other.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "v.vmx"), Vmx("disk.vmdk"));
        var vm = VmxSource.Load(Path.Combine(_vm, "v.vmx"), new TestLog().Logger);
        var disk = Assert.Single(vm.Disks);

        var opener = new LocalDiskOpener(_vm);
        var ex = Throws(() => opener.Check(disk, new VmdkOpenOptions()));
        Assert.IsType<InvalidDataException>(ex);
        Assert.Contains("scsi0:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_outside, "other.vmdk"), ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside the VM folder", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--allow-absolute-extents", ex.Message, StringComparison.Ordinal);

        using var allowed = opener.Open(disk, new VmdkOpenOptions { AllowAbsoluteExtents = true }, CancellationToken.None);
        var buf = new byte[CanaryPattern.Length];
        allowed.Read(0, buf);
        Assert.Equal(CanaryPattern, buf);
    }

    [Fact]
    public void Absolute_and_parent_disk_paths_out_of_the_vmx_folder_need_the_flag_to_be_read()
    {
        FlatVmdk(Path.Combine(_outside, "base.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "v.vmx"), Vmx("../outside/base.vmdk") + $"scsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"{Path.Combine(_outside, "base.vmdk")}\"\n");
        var vm = VmxSource.Load(Path.Combine(_vm, "v.vmx"), new TestLog().Logger);
        Assert.All(vm.Disks, d => Assert.Equal(DiskFileState.Present, d.FileState));
        var opener = new LocalDiskOpener(_vm);
        foreach (var d in vm.Disks)
        {
            Assert.Contains("outside the VM folder", Throws(() => opener.Check(d, new VmdkOpenOptions())).Message, StringComparison.Ordinal);
            opener.Check(d, new VmdkOpenOptions { AllowAbsoluteExtents = true });
        }
    }

    /// <summary>Even inspect and xml read nothing outside the VM folder: a disk there is not probed (it would be refused as "not a VMDK").</summary>
    [Fact]
    public void A_disk_outside_the_vmx_folder_is_not_even_probed()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "root:x:0:0:not a vmdk\n");
        File.CreateSymbolicLink(Path.Combine(_vm, "disk.vmdk"), Path.Combine(_outside, "secret.txt"));
        File.WriteAllText(Path.Combine(_vm, "v.vmx"), Vmx("disk.vmdk") + $"scsi0:1.present = \"TRUE\"\nscsi0:1.fileName = \"{Path.Combine(_outside, "secret.txt")}\"\n");
        var log = new List<string>();

        var vm = VmxSource.Load(Path.Combine(_vm, "v.vmx"), new TestLog(log.Add).Logger);

        Assert.Equal(2, vm.Disks.Count);
        Assert.All(vm.Disks, d => Assert.Equal(DiskFileState.Present, d.FileState));
        Assert.Equal(2, log.Count(l => l.Contains("outside the VM folder: not read here", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_disk_link_that_stays_inside_the_vmx_folder_works()
    {
        Directory.CreateDirectory(Path.Combine(_vm, "disks"));
        FlatVmdk(Path.Combine(_vm, "disks", "d.vmdk"));
        File.CreateSymbolicLink(Path.Combine(_vm, "disk.vmdk"), Path.Combine(_vm, "disks", "d.vmdk"));
        File.CreateSymbolicLink(Path.Combine(_vm, "d-flat.vmdk"), Path.Combine(_vm, "disks", "d-flat.vmdk"));
        File.WriteAllText(Path.Combine(_vm, "v.vmx"), Vmx("disk.vmdk"));
        var vm = VmxSource.Load(Path.Combine(_vm, "v.vmx"), new TestLog().Logger);
        using var disk = new LocalDiskOpener(_vm).Open(vm.Disks[0], new VmdkOpenOptions(), CancellationToken.None);
        Assert.Equal(1 << 20, disk.Length);
    }
}
