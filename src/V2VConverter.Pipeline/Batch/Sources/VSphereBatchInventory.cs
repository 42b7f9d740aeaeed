using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Sources.VSphere;
using V2VConverter.Sources.Vmx;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline.Batch.Sources;

/// <summary>
/// An ESXi host or a vCenter path: one paged property retrieval lists every VM with the facts the concerns need,
/// then each wanted VM's .vmx is fetched (a few at once, on the same session) and parsed like <c>convert</c> does,
/// so the plan's device choices are the conversion's. Templates are left out.
/// </summary>
public sealed class VSphereBatchInventory : IBatchInventory
{
    /// <summary>How many .vmx files are fetched at once.</summary>
    public const int ParallelFetches = 8;

    public string Kind => "vsphere";

    public bool Accepts(string location) => VSphereUri.IsVSphereUri(location);

    public IReadOnlyList<BatchCandidate> List(BatchListRequest request, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var uri = VSphereUri.Parse(request.Source.Location);
        var options = VSphereInventorySource.ConnectOptions(request.Source, context);
        var vmxOptions = new VmxSourceOptions { Catalog = context.Catalog, ProbeLocalFiles = false };
        return Task.Run(async () =>
        {
            await using var vs = await VSphereSource.ConnectAsync(uri, options, context.Cancellation).ConfigureAwait(false);
            var infos = (await vs.ListVmsAsync(context.Cancellation).ConfigureAwait(false))
                .Where(v => !v.IsTemplate && request.Wants(v.Name))
                .ToList();
            var result = new BatchCandidate[infos.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, infos.Count),
                new ParallelOptions { MaxDegreeOfParallelism = ParallelFetches, CancellationToken = context.Cancellation },
                async (i, ct) => result[i] = await CandidateAsync(vs, infos[i], vmxOptions, ct).ConfigureAwait(false)).ConfigureAwait(false);
            return (IReadOnlyList<BatchCandidate>)result.OrderBy(c => c.Facts.Name, StringComparer.Ordinal).ThenBy(c => c.Ref, StringComparer.Ordinal).ToList();
        }).GetAwaiter().GetResult();
    }

    private static async Task<BatchCandidate> CandidateAsync(VSphereSource vs, VSphereVmInfo info, VmxSourceOptions vmxOptions, CancellationToken ct)
    {
        var facts = Facts(info);
        var source = info.VmPathName ?? "";
        try
        {
            var vmPath = DatastorePath.Parse(info.VmPathName ?? throw new InvalidDataException($"VM {info.Name}: config.files.vmPathName is not set (inaccessible VM?)"), $"VM {info.Name} config.files.vmPathName");
            var bytes = await vs.Datastore.ReadAllBytesAsync(vmPath, VSphereSource.MaxVmxBytes, ct).ConfigureAwait(false);
            var vm = VSphereModel.ToModel(new VSphereVm(info, bytes, vmPath, vs.DatacenterPath), LogExtensions.None, vmxOptions);
            return new BatchCandidate(vm, facts with { Guest = vm.Guest }, source, info.Ref.Value);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or NotSupportedException or IOException or HttpRequestException)
        {
            return new BatchCandidate(null, facts, source, info.Ref.Value, ex.Message.ReplaceLineEndings(" "));
        }
    }

    /// <summary>The concern facts of an inventory entry (the guest is filled in from the .vmx once it is read).</summary>
    public static BatchVmFacts Facts(VSphereVmInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new BatchVmFacts
        {
            Name = info.Name,
            Folder = info.FolderPath,
            Host = info.HostName ?? "esx",
            PowerState = info.PowerState,
            SnapshotCount = info.Snapshots.Count,
            Disks = info.Disks.Select(d => new BatchDiskFacts(
                d.Slot,
                d.FileName,
                DatastoreOf(d.FileName),
                d.CapacityBytes > 0 ? d.CapacityBytes : null,
                d.ChainFiles.Sum(f => f.Size) is > 0 and var sum ? sum : null,
                d.SnapshotBytes,
                DiskModeOf(d.DiskMode),
                d.IsRawDevice ? d.RawDeviceMode ?? "rdm" : null,
                d.SharedBus)).ToList(),
            Nics = info.Nics.Select((n, i) => new BatchNicFacts(i, n.Network, n.MacAddress, n.Model)).ToList(),
            Passthrough = info.Passthrough,
            Vtpm = info.Vtpm,
            Encrypted = info.Encrypted,
            ChangeTracking = info.ChangeTracking,
            Firmware = string.Equals(info.Firmware, "efi", StringComparison.OrdinalIgnoreCase) ? Firmware.Efi : Firmware.Bios,
            SecureBoot = info.SecureBoot,
            Guest = GuestOs.Unknown(info.GuestId ?? "", GuestArchitecture.X86_64),
        };
    }

    private static string? DatastoreOf(string fileName) =>
        fileName.StartsWith('[') && fileName.IndexOf(']', StringComparison.Ordinal) is > 1 and var close ? fileName[1..close] : null;

    private static DiskMode DiskModeOf(string? mode) => mode switch
    {
        "independent_persistent" => DiskMode.IndependentPersistent,
        "independent_nonpersistent" => DiskMode.IndependentNonpersistent,
        "nonpersistent" => DiskMode.Nonpersistent,
        "undoable" => DiskMode.Undoable,
        _ => DiskMode.Persistent,
    };
}
