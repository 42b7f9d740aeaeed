using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Mapping.Config;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Sources.Vmx;
using V2VConverter.Sources.Disks;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests;

/// <summary>
/// A source that allows it (a vSphere datastore) gets its disks copied several at a time: proven
/// with a rendezvous (each open waits for the other), then every output checked by qemu-img.
/// </summary>
public sealed class ParallelDiskCopyTests
{
    /// <summary>Local files, but opened only once both disks have asked: serial copying would time out.</summary>
    private sealed class RendezvousOpener(int parallel) : IDiskOpener
    {
        private readonly Barrier _both = new(2);

        public int MaxParallelDisks => parallel;

        public int Opened;

        public void Check(VirtualDisk disk, VmdkOpenOptions options) => LocalDiskOpener.Instance.Check(disk, options);

        public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Opened);
            if (!_both.SignalAndWait(TimeSpan.FromSeconds(30), cancellationToken))
            {
                throw new TimeoutException("the other disk was not opened alongside this one");
            }

            return LocalDiskOpener.Instance.Open(disk, options, cancellationToken);
        }

        public string Describe(VirtualDisk disk) => disk.FileName;

        public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
        {
        }

        public void Dispose() => _both.Dispose();
    }

    /// <summary>A .vmx read as usual, with its disks reached through the test's opener.</summary>
    private sealed class OpenerSource(IDiskOpener opener) : IConversionSource
    {
        public string Name => "vmx-with-test-opener";

        public bool Accepts(SourceSpec spec) => spec.Location.EndsWith(".vmx", StringComparison.Ordinal);

        public OpenedSource Open(SourceSpec spec, SourceContext context)
        {
            using var plain = new VmxFileSource().Open(spec, context);
            return new OpenedSource(plain.Vm, opener);
        }
    }

    private static ConversionResult Run(string vmx, string os, IDiskOpener opener, TestLog diagnostics)
    {
        var registry = StageRegistry.Default.With(sources: [new OpenerSource(opener)]);
        var context = new JobContext { Log = diagnostics.Logger, GetEnv = _ => null, Cancellation = TestContext.Current.CancellationToken };
        return new ConversionJob(registry, context).Run(new ConversionRequest
        {
            Source = new SourceSpec { Location = vmx },
            Plan = new PlanRequest { Mapping = new MappingSources { Environment = new Dictionary<string, string?>() } },
            Output = new OutputSpec { Kind = "local", Storage = os },
            Guest = new GuestStageOptions { Skip = true },
        });
    }

    private static (string Vmx, string[] Disks) TwoDiskVm()
    {
        Tool.Require("qemu-img");
        var dir = RepoPaths.NewTempDir();
        var disks = new[] { Path.Combine(dir, "a.vmdk"), Path.Combine(dir, "b.vmdk") };
        for (var i = 0; i < disks.Length; i++)
        {
            Tool.Check("qemu-img", "create", "-q", "-f", "vmdk", disks[i], "8M");
            Tool.Check("qemu-io", "-f", "vmdk", "-c", $"write -P 0x{i + 1:x2} 1M 2M", disks[i]);
        }

        var vmx = Path.Combine(dir, "two.vmx");
        File.WriteAllText(vmx, """
            .encoding = "UTF-8"
            config.version = "8"
            virtualHW.version = "19"
            displayName = "two-disks"
            guestOS = "debian12-64"
            memsize = "512"
            scsi0.present = "TRUE"
            scsi0.virtualDev = "pvscsi"
            scsi0:0.present = "TRUE"
            scsi0:0.fileName = "a.vmdk"
            scsi0:1.present = "TRUE"
            scsi0:1.fileName = "b.vmdk"
            """);
        return (vmx, disks);
    }

    [Fact]
    public void Two_disks_copy_at_once_when_the_source_allows_and_both_are_exact()
    {
        var (vmx, disks) = TwoDiskVm();
        var os = RepoPaths.NewTempDir();
        var diagnostics = new TestLog();
        using var opener = new RendezvousOpener(parallel: 2);

        var result = Run(vmx, os, opener, diagnostics);
        var plan = result.Plan;

        Assert.Equal(2, opener.Opened);
        Assert.Equal(2, result.Disks.Count);
        for (var i = 0; i < 2; i++)
        {
            Tool.Check("qemu-img", "compare", "-q", "-f", "vmdk", "-F", "qcow2", disks[i], plan.Disks[i].OutputPath);
        }
    }

    /// <summary>Disk a opens and copies normally; opening disk b fails once a has been opened.</summary>
    private sealed class FailSecondOpener : IDiskOpener
    {
        private readonly ManualResetEventSlim _aStarted = new();

        public int MaxParallelDisks => 2;

        public void Check(VirtualDisk disk, VmdkOpenOptions options) => LocalDiskOpener.Instance.Check(disk, options);

        public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken)
        {
            if (disk.FileName == "b.vmdk")
            {
                _aStarted.Wait(TimeSpan.FromSeconds(30), cancellationToken);
                throw new IOException("datastore file [ds] b-flat.vmdk: the connection ended at byte 4096 of 8388608");
            }

            _aStarted.Set();
            return LocalDiskOpener.Instance.Open(disk, options, cancellationToken);
        }

        public string Describe(VirtualDisk disk) => disk.FileName;

        public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
        {
        }

        public void Dispose() => _aStarted.Dispose();
    }

    [Fact]
    public void When_one_of_two_parallel_copies_fails_no_output_is_left()
    {
        var (vmx, disks) = TwoDiskVm();
        var os = RepoPaths.NewTempDir();
        var diagnostics = new TestLog();
        using var opener = new FailSecondOpener();
        var ex = Assert.Throws<IOException>(() => Run(vmx, os, opener, diagnostics));
        Assert.Contains("b-flat.vmdk", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(os));

        // A disk that stops being a VMDK after planning is refused by the checks, before any copy.
        File.WriteAllBytes(disks[1], new byte[512]);
        using var rendezvous = new RendezvousOpener(parallel: 2);
        Assert.Throws<InvalidDataException>(() => Run(vmx, os, rendezvous, diagnostics));
        Assert.Equal(0, rendezvous.Opened);
        Assert.Empty(Directory.GetFileSystemEntries(os));
    }
}
