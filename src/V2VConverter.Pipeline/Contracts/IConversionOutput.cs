using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Mapping.Plan;

namespace V2VConverter.Pipeline.Contracts;

/// <summary>What the user named as the output: -o KIND, -os STORAGE, -oc CONNECTION.</summary>
public sealed record OutputSpec
{
    /// <summary>-o: "local" (files in a folder) or "libvirt" (volumes in a storage pool, a defined domain).</summary>
    public string Kind { get; init; } = "local";

    /// <summary>-os: a folder for -o local, a storage pool for -o libvirt.</summary>
    public string? Storage { get; init; }

    /// <summary>-oc: a connection URI, for outputs that have one.</summary>
    public string? Connection { get; init; }

    /// <summary>--start: start the domain once it is defined (-o libvirt; the default is --define-only).</summary>
    public bool Start { get; init; }

    /// <summary>--ignore-space: do not refuse a target that seems to lack room for the disks.</summary>
    public bool IgnoreSpace { get; init; }
}

/// <summary>What an output may use: the run's diagnostics and working directory.</summary>
public sealed record OutputContext
{
    public required ILogger Log { get; init; }

    /// <summary>Disk N of the plan: its virtual size and its bytes of data (not holes), read from its allocation map when asked (for space checks).</summary>
    public Func<int, DiskSizes>? DiskSizes { get; init; }

    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    public string Resolve(string path) => Path.GetFullPath(path, WorkingDirectory);
}

/// <summary>A source disk's virtual size, and the bytes of it that hold data (the rest are holes or zeros).</summary>
public sealed record DiskSizes(long Virtual, long Data);

/// <summary>The documents the job renders once before copying (to check them) and again at the end.</summary>
public sealed record OutputDocuments(string DomainXml, string ReportJson);

/// <summary>
/// One kind of output (-o local, later -o libvirt). It shapes the plan (where disks go), checks
/// everything before the first byte is copied, gives a target for each disk, and finalizes.
/// </summary>
public interface IConversionOutput
{
    /// <summary>The -o value it serves: "local".</summary>
    string Name { get; }

    /// <summary>Checks the options (usage errors) and sets what the planner needs, e.g. the output directory.</summary>
    PlanOptions ConfigurePlan(OutputSpec spec, PlanOptions options, OutputContext context);

    /// <summary>Where a source may stage files it must fetch before converting (null: nowhere).</summary>
    string? StagingDirectory(OutputSpec spec, OutputContext context);

    /// <summary>
    /// Checks everything that can fail before a byte is copied (folders, existing files, permissions; the
    /// documents were already rendered once by the job) and returns the session that receives the disks.
    /// </summary>
    IOutputSession Prepare(OutputSpec spec, ConversionPlan plan, OutputDocuments preview, OutputContext context);
}

/// <summary>One run's output. Dispose without <see cref="Finalize"/> removes whatever this run wrote.</summary>
public interface IOutputSession : IDisposable
{
    /// <summary>The target of disk <paramref name="index"/> of the plan.</summary>
    IDiskTarget DiskTarget(int index);

    /// <summary>
    /// This output keeps a UEFI domain's own firmware variable store (the boot entries carried from VMware's NVRAM);
    /// false: libvirt makes the store from the OVMF template.
    /// </summary>
    bool KeepsFirmwareVars => false;

    /// <summary>
    /// Stores the domain's variable store now (removed again when the session ends without <see cref="Finalize"/>) and
    /// returns the path the domain XML's <c>&lt;nvram&gt;</c> names. Only when <see cref="KeepsFirmwareVars"/>.
    /// </summary>
    string StoreFirmwareVars(byte[] vars) => throw new NotSupportedException("this output keeps no variable store of its own");

    /// <summary>Writes the final documents and makes the result visible; returns what was written, for the user.</summary>
    IReadOnlyList<string> Finalize(ConversionPlan plan, OutputDocuments documents);
}

/// <summary>Where one disk goes.</summary>
public interface IDiskTarget
{
    /// <summary>For the log and the user: a path, a pool/volume.</summary>
    string Describe { get; }

    /// <summary>A local file the guest stage can open read-write after the copy (null when the disk is not local).</summary>
    string? LocalPath { get; }

    /// <summary>The disk's format on the target: "qcow2" or "raw".</summary>
    string Format { get; }

    /// <summary>Copies the whole virtual disk in. Nothing is visible under a final name until it succeeds.</summary>
    DiskConvertResult Write(IVirtualDisk disk, DiskConvertOptions options, Action<DiskProgress>? progress, CancellationToken cancellationToken);
}
