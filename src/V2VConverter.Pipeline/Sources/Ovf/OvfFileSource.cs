using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Disks;
using V2VConverter.Sources.Ova;

namespace V2VConverter.Pipeline.Sources.Ovf;

/// <summary>
/// An unpacked OVF export: <c>X.ovf</c> with its disk files beside it (ovftool, vSphere "Export OVF Template", Workstation,
/// VirtualBox). The descriptor becomes the model (<see cref="OvfSource"/>); the disks are read in place, confined to the
/// .ovf's folder like a .vmx's. Not yet: a manifest (<c>X.mf</c>) is not verified (a warning says so), and a disk stored
/// gzip-compressed (<c>ovf:compression="gzip"</c>) is refused with the command that unpacks it.
/// </summary>
public sealed class OvfFileSource : IConversionSource
{
    public string Name => "ovf";

    /// <summary>A local path ending in .ovf.</summary>
    public bool Accepts(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return !spec.Location.Contains("://", StringComparison.Ordinal) && spec.Location.EndsWith(".ovf", StringComparison.OrdinalIgnoreCase);
    }

    public OpenedSource Open(SourceSpec spec, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if ((spec.VmName ?? spec.PasswordFile ?? spec.Thumbprint) is not null)
        {
            throw new UsageException("--vm, --password-file and --thumbprint apply only to esx:// and vpx:// sources");
        }

        var path = context.Resolve(spec.Location);
        var folder = Path.GetDirectoryName(path)!;
        var vm = OvfSource.Load(path, context.Log, new OvfSourceOptions { Catalog = context.Catalog });
        if (vm.Disks.FirstOrDefault(d => d.Compression is not null) is { } packed)
        {
            throw new NotSupportedException($"{spec.Location}: disk {packed.FileName} is stored {packed.Compression}-compressed; unpack it beside the .ovf first ({packed.Compression} -dc, keeping the name) and remove ovf:compression from its File reference");
        }

        var manifest = Path.ChangeExtension(path, ".mf");
        context.Log.Warn(File.Exists(manifest)
            ? $"{manifest}: the manifest is not verified by this version (the digests are not checked)"
            : $"{spec.Location}: no manifest ({Path.GetFileName(manifest)}): the files' integrity cannot be checked");
        return new OpenedSource(vm, new LocalDiskOpener(folder));
    }
}
