using System.Text.RegularExpressions;
using V2VConverter.Formats.Vmx;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Vmx;

namespace V2VConverter.Pipeline.Batch.Sources;

/// <summary>
/// A folder searched for .vmx files: a datastore mounted over NFS, a copied datastore, a folder of Workstation VMs.
/// Each .vmx is parsed like <c>convert</c> parses it; the facts the model does not keep (passthrough, encryption,
/// CBT, snapshots, a running VM's lock) are read from the .vmx's keys and the files beside it.
/// </summary>
public sealed partial class VmxFolderInventory : IBatchInventory
{
    /// <summary>Folders deeper than this under the source are not searched (a datastore is VM folders, one level).</summary>
    public const int MaxDepth = 6;

    public string Kind => "folder";

    public bool Accepts(string location) => !location.Contains("://", StringComparison.Ordinal) && Directory.Exists(location);

    public IReadOnlyList<BatchCandidate> List(BatchListRequest request, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var root = context.Resolve(request.Source.Location);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"{request.Source.Location}: no such folder");
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            MaxRecursionDepth = MaxDepth,
            AttributesToSkip = FileAttributes.ReparsePoint, // no symlink loops; a datastore has none
            MatchCasing = MatchCasing.CaseInsensitive,
        };
        var files = Directory.EnumerateFiles(root, "*.vmx", options)
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
        var result = new List<BatchCandidate>();
        foreach (var file in files)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var candidate = Read(file, root, context);
            if (request.Wants(candidate.Facts.Name))
            {
                result.Add(candidate);
            }
        }

        return result.OrderBy(c => c.Facts.Name, StringComparer.Ordinal).ThenBy(c => c.Source, StringComparer.Ordinal).ToList();
    }

    private static BatchCandidate Read(string file, string root, SourceContext context)
    {
        var folder = Path.GetRelativePath(root, Path.GetDirectoryName(file)!);
        try
        {
            var doc = VmxDocument.Load(file);
            var vm = VmxSource.Build(doc, Path.GetDirectoryName(file), LogExtensions.None, new VmxSourceOptions { Catalog = context.Catalog });
            return new BatchCandidate(vm, Facts(doc, vm, file, folder), file, null);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            var facts = new BatchVmFacts
            {
                Name = Path.GetFileNameWithoutExtension(file),
                Folder = folder,
                Host = "local",
                Guest = GuestOs.Unknown("", GuestArchitecture.X86_64),
            };
            return new BatchCandidate(null, facts, file, null, ex.Message.ReplaceLineEndings(" "));
        }
    }

    private static BatchVmFacts Facts(VmxDocument doc, VirtualMachine vm, string file, string folder)
    {
        var dir = Path.GetDirectoryName(file)!;
        var sharedBus = vm.Controllers.Where(c => c.SharedBus is { } s && !s.Equals("none", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(c => (c.Bus, c.Index), c => c.SharedBus);
        var disks = vm.Disks.Select(d => new BatchDiskFacts(
            d.Key,
            d.FileName,
            d.Datastore,
            d.CapacityBytes,
            ChainBytes(d, dir),
            DeltaBytes(d, dir),
            d.Mode,
            d.IsRawDevice ? "rdm" : null,
            sharedBus.GetValueOrDefault((d.Bus, d.Controller)))).ToList();
        var passthrough = doc.Entries
            .Select(e => PassthroughKey().Match(e.Key))
            .Where(m => m.Success && doc.GetBool(m.Value + ".present", false))
            .Select(m => m.Value)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(p => doc.GetNonEmpty(p + ".vgpu") is { } profile ? $"{p}: vGPU {profile}" : $"{p}: PCI device {doc.GetNonEmpty(p + ".id") ?? doc.GetNonEmpty(p + ".deviceId") ?? "?"}")
            .ToList();
        return new BatchVmFacts
        {
            Name = vm.Name,
            Folder = folder,
            Host = "local",
            PowerState = null,
            LockedByHypervisor = Directory.Exists(file + ".lck") || File.Exists(file + ".lck") || Directory.EnumerateFiles(dir, "*.vmem").Any(),
            SnapshotCount = SnapshotCount(file),
            Disks = disks,
            Nics = vm.Nics.Select(n => new BatchNicFacts(n.Index, n.NetworkName ?? n.PortGroupKey ?? n.Vnet ?? n.ConnectionType, n.MacAddress, n.VirtualDev)).ToList(),
            Passthrough = passthrough,
            Vtpm = vm.Tpm,
            Encrypted = doc.GetNonEmpty("encryption.keySafe") is not null || doc.GetNonEmpty("encryption.data") is not null,
            ChangeTracking = doc.GetBool("ctkEnabled", false),
            Firmware = vm.Firmware,
            SecureBoot = vm.SecureBoot,
            Guest = vm.Guest,
        };
    }

    /// <summary>The snapshot count from the VM's .vmsd (<c>snapshot.numSnapshots</c>), 0 when none.</summary>
    private static int SnapshotCount(string vmx)
    {
        var vmsd = Path.ChangeExtension(vmx, ".vmsd");
        if (!File.Exists(vmsd))
        {
            return 0;
        }

        try
        {
            var doc = VmxDocument.Load(vmsd);
            return doc.GetInt32("snapshot.numSnapshots", 0, 0, 10_000);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return 0;
        }
    }

    /// <summary>Bytes of the disk's files here: the descriptor named by the .vmx and every file that shares its stem (extents, deltas).</summary>
    private static long? ChainBytes(VirtualDisk d, string dir)
    {
        if (d.ResolvedPath is not { } path || !File.Exists(path))
        {
            return null;
        }

        var stem = BaseStem(Path.GetFileNameWithoutExtension(path));
        return Directory.EnumerateFiles(dir, stem + "*.vmdk").Sum(f => new FileInfo(f).Length);
    }

    /// <summary>Bytes of the snapshot deltas of the disk (<c>NAME-000001.vmdk</c>, <c>-000001-delta.vmdk</c>, <c>-sesparse</c>).</summary>
    private static long DeltaBytes(VirtualDisk d, string dir)
    {
        if (d.ResolvedPath is not { } path)
        {
            return 0;
        }

        var stem = BaseStem(Path.GetFileNameWithoutExtension(path));
        return Directory.EnumerateFiles(dir, stem + "-0*.vmdk").Where(f => DeltaName().IsMatch(Path.GetFileName(f))).Sum(f => new FileInfo(f).Length);
    }

    private static string BaseStem(string stem)
    {
        var m = DeltaStem().Match(stem);
        return m.Success ? m.Groups[1].Value : stem;
    }

    [GeneratedRegex(@"^(pciPassthru\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex PassthroughKey();

    [GeneratedRegex(@"-\d{6}(-delta|-sesparse)?\.vmdk$", RegexOptions.IgnoreCase)]
    private static partial Regex DeltaName();

    [GeneratedRegex(@"^(.*)-\d{6}$")]
    private static partial Regex DeltaStem();
}
