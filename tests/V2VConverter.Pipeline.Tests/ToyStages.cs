using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Raw;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Disks;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests;

/// <summary>
/// A source and an output that live in this test project alone: the proof that a new input or
/// output is one class added to a registry, with no edit to Pipeline or the CLI.
/// </summary>
internal sealed class ToySource(List<string> events) : IConversionSource
{
    public const int DiskBytes = 4 * 1024 * 1024;

    public string Name => "toy";

    public bool Accepts(SourceSpec spec) => spec.Location.StartsWith("toy:", StringComparison.Ordinal);

    public OpenedSource Open(SourceSpec spec, SourceContext context)
    {
        events.Add($"source:open {spec.Location} staging={(context.StagingDirectory is null ? "none" : "set")}");
        var name = spec.Location["toy:".Length..];
        var file = Path.Combine(RepoPaths.NewTempDir("v2v-toy-src"), $"{name}-disk.raw");
        var bytes = new byte[DiskBytes];
        for (var i = 1024 * 1024; i < 2 * 1024 * 1024; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        File.WriteAllBytes(file, bytes);
        var vm = new VirtualMachine
        {
            Name = name,
            Guest = context.Catalog.Lookup("debian12-64", out _),
            MemoryMiB = 256,
            Cpu = new CpuTopology(2, 1),
            Disks = [new VirtualDisk { Key = "scsi0:0", Bus = DiskBus.Scsi, Controller = 0, Unit = 0, FileName = "toy-disk", ResolvedPath = file, CapacityBytes = DiskBytes }],
            Nics = [new NetworkAdapter { Index = 0, VirtualDev = "vmxnet3", NetworkName = "VM Network", AddressType = MacAddressType.Static, MacAddress = "00:50:56:01:02:03" }],
            Origin = spec.Location,
        };
        return new OpenedSource(vm, new RawOpener(events), new Closer(events));
    }

    public static byte[] Expected()
    {
        var bytes = new byte[DiskBytes];
        for (var i = 1024 * 1024; i < 2 * 1024 * 1024; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        return bytes;
    }

    private sealed class RawOpener(List<string> events) : IDiskOpener
    {
        public int MaxParallelDisks => 1;

        public void Check(VirtualDisk disk, VmdkOpenOptions options) => events.Add($"source:check {disk.Key}");

        public IVirtualDisk Open(VirtualDisk disk, VmdkOpenOptions options, CancellationToken cancellationToken)
        {
            events.Add($"source:read {disk.Key}");
            return RawDisk.Open(disk.ResolvedPath!);
        }

        public string Describe(VirtualDisk disk) => disk.ResolvedPath!;

        /// <summary>A toy named "bad-digest" fails its check after the copy, as a wrong OVF manifest digest does.</summary>
        public void Verify(VirtualDisk disk, CancellationToken cancellationToken)
        {
            events.Add($"source:verify {disk.Key}");
            if (disk.ResolvedPath!.Contains("bad-digest", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{disk.ResolvedPath}: SHA256 digest mismatch");
            }
        }

        public void Dispose()
        {
        }
    }

    private sealed class Closer(List<string> events) : IDisposable
    {
        public void Dispose() => events.Add("source:close");
    }
}

/// <summary>An output that keeps everything in memory (-o toy): disks as byte arrays, the documents as strings.</summary>
internal sealed class ToyOutput(List<string> events, bool failWrite = false) : IConversionOutput
{
    public string Name => "toy";

    public Dictionary<int, byte[]> Disks { get; } = [];

    public OutputDocuments? Final { get; private set; }

    public bool Aborted { get; private set; }

    public PlanOptions ConfigurePlan(OutputSpec spec, PlanOptions options, OutputContext context)
    {
        events.Add("output:configure");
        return options with { OutputDirectory = "/toy/" + (spec.Storage ?? "pool") };
    }

    public string? StagingDirectory(OutputSpec spec, OutputContext context) => null;

    public IOutputSession Prepare(OutputSpec spec, ConversionPlan plan, OutputDocuments preview, OutputContext context)
    {
        events.Add($"output:prepare xml={preview.DomainXml.Contains("<domain", StringComparison.Ordinal)}");
        return new Session(this, events, failWrite);
    }

    private sealed class Session(ToyOutput output, List<string> events, bool failWrite) : IOutputSession
    {
        private bool _done;

        public IDiskTarget DiskTarget(int index) => new Target(output, events, index, failWrite);

        public IReadOnlyList<string> Finalize(ConversionPlan plan, OutputDocuments documents)
        {
            events.Add("output:finalize");
            output.Final = documents;
            _done = true;
            return ["toy:" + plan.Name];
        }

        public void Dispose()
        {
            if (!_done)
            {
                output.Aborted = true;
                events.Add("output:abort");
            }
        }
    }

    private sealed class Target(ToyOutput output, List<string> events, int index, bool fail) : IDiskTarget
    {
        public string Describe => $"toy disk {index}";

        public string? LocalPath => null;

        public string Format => "raw";

        public DiskConvertResult Write(IVirtualDisk disk, DiskConvertOptions options, Action<DiskProgress>? progress, CancellationToken cancellationToken)
        {
            events.Add($"output:write {index}");
            if (fail)
            {
                throw new IOException($"toy disk {index}: the toy store is full");
            }

            var bytes = new byte[disk.Length];
            disk.Read(0, bytes);
            output.Disks[index] = bytes;
            progress?.Invoke(new DiskProgress(bytes.Length, bytes.Length));
            return new DiskConvertResult(Describe, disk.Length, disk.Length, disk.Length, TimeSpan.Zero);
        }
    }
}
