using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch.Sources;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Guests.Linux;
using V2VConverter.Pipeline.Guests.Windows;
using V2VConverter.Pipeline.Outputs.Libvirt;
using V2VConverter.Pipeline.Outputs.Local;
using V2VConverter.Pipeline.Sources.Ovf;
using V2VConverter.Pipeline.Sources.Vmx;
using V2VConverter.Pipeline.Sources.VSphere;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Pipeline;

/// <summary>
/// The plug-ins of a conversion: the sources (first that accepts a spec wins), the outputs (by -o name),
/// the guest converters (first that handles the inspected OS wins). A new input, output or guest is one
/// class added here, or to a registry of one's own.
/// </summary>
public sealed class StageRegistry(IReadOnlyList<IConversionSource> sources, IReadOnlyList<IConversionOutput> outputs, IReadOnlyList<IGuestConverter> guests, IReadOnlyList<IBatchInventory>? inventories = null)
{
    /// <summary>What the tool ships: .vmx files, unpacked .ovf exports and vSphere; -o local and -o libvirt; Linux and Windows guests.</summary>
    public static StageRegistry Default { get; } = new([new VSphereInventorySource(), new OvfPackageSource(), new VmxFileSource()], [new LocalOutput(), new LibvirtOutput()], [new LinuxGuest(), new WindowsGuest()]);

    public IReadOnlyList<IConversionSource> Sources { get; } = sources;

    public IReadOnlyList<IConversionOutput> Outputs { get; } = outputs;

    public IReadOnlyList<IGuestConverter> Guests { get; } = guests;

    /// <summary>What a batch plan can list: an ESXi host or vCenter, a folder of .vmx files.</summary>
    public IReadOnlyList<IBatchInventory> Inventories { get; } = inventories ?? [new VSphereBatchInventory(), new VmxFolderInventory()];

    /// <summary>A registry with more plug-ins in front (they are asked first).</summary>
    public StageRegistry With(IEnumerable<IConversionSource>? sources = null, IEnumerable<IConversionOutput>? outputs = null, IEnumerable<IGuestConverter>? guests = null) =>
        new([.. sources ?? [], .. Sources], [.. outputs ?? [], .. Outputs], [.. guests ?? [], .. Guests], Inventories);

    /// <summary>The batch inventory that reads <paramref name="location"/> (a URI, or a folder relative to <paramref name="workingDirectory"/>).</summary>
    public IBatchInventory BatchInventoryFor(string location, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(location);
        var resolved = location.Contains("://", StringComparison.Ordinal) ? location : Path.GetFullPath(location, workingDirectory);
        return Inventories.FirstOrDefault(i => i.Accepts(resolved))
            ?? throw (VSphereUri.LooksLikeUri(location)
                ? new UsageException($"{location}: unknown source scheme; expected esx://host/ or vpx://vcenter/DC/Cluster/Host, or a folder of .vmx files")
                : new DirectoryNotFoundException($"{location}: no such folder (a plan reads an esx:// or vpx:// URI, or a folder searched for .vmx files)"));
    }

    public IConversionSource SourceFor(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.InputKind is { } kind && !Sources.Any(s => s.Name == kind))
        {
            throw new UsageException($"-i {kind}: unknown input; expected {string.Join(" or ", Sources.Select(s => s.Name))}");
        }

        return Sources.FirstOrDefault(s => s.Accepts(spec))
            ?? throw new UsageException(VSphereUri.LooksLikeUri(spec.Location)
                ? $"{spec.Location}: unknown source scheme; expected a .vmx path, esx://host/ or vpx://vcenter/DC/Cluster/Host"
                : $"{spec.Location}: no source reads this");
    }

    public IConversionOutput OutputFor(string name) =>
        Outputs.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal))
        ?? throw new UsageException($"-o {name}: unknown output; expected {string.Join(" or ", Outputs.Select(o => o.Name))}");
}
