using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Disks;
using V2VConverter.Sources.Vmx;

namespace V2VConverter.Pipeline.Sources.Vmx;

/// <summary>A local .vmx with its disks beside it (Workstation, Player, Fusion, a copied datastore folder).</summary>
public sealed class VmxFileSource : IConversionSource
{
    public string Name => "vmx";

    /// <summary>Anything that is not a URI: a path to a .vmx (the file's own checks say what is wrong with it).</summary>
    public bool Accepts(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return !spec.Location.Contains("://", StringComparison.Ordinal) && spec.InputKind is null or "vmx";
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
        if (!spec.Location.EndsWith(".vmx", StringComparison.OrdinalIgnoreCase) && !File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"{spec.Location}: no such file", spec.Location);
        }

        var vm = VmxSource.Load(path, context.Log, new VmxSourceOptions { Catalog = context.Catalog });
        var folder = Path.GetDirectoryName(path) ?? context.WorkingDirectory;
        return new OpenedSource(vm, new LocalDiskOpener(Path.GetDirectoryName(path)))
        {
            Nvram = vm.NvramFile is { } nvram ? new LocalFirmwareStore(Path.GetFullPath(nvram, folder)) : null,
        };
    }
}
