using V2VConverter.Formats.Ova;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.Ova;

namespace V2VConverter.Pipeline.Sources.Ovf;

/// <summary>
/// An OVF export: an OVA (<c>X.ova</c>: a tar or a zip, or a gzip/xz-compressed tar, told apart by their magic bytes),
/// or an unpacked folder (<c>X.ovf</c> with its files beside it). The descriptor becomes the model
/// (<see cref="OvfSource"/>); the disks are read through the package (<see cref="OvfDiskOpener"/>), in place when the
/// container allows, and each manifest digest is checked in the copy's own pass. <c>-i ova</c> reads any file as an OVA.
/// </summary>
public sealed class OvfPackageSource : IConversionSource
{
    private static readonly string[] Extensions = [".ovf", ".ova", ".ova.gz", ".ova.xz"];

    public string Name => "ova";

    /// <summary>A local path ending in .ovf, .ova, .ova.gz or .ova.xz, or any local path with <c>-i ova</c>.</summary>
    public bool Accepts(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return !spec.Location.Contains("://", StringComparison.Ordinal)
            && (spec.InputKind == Name || (spec.InputKind is null && Extensions.Any(e => spec.Location.EndsWith(e, StringComparison.OrdinalIgnoreCase))));
    }

    public OpenedSource Open(SourceSpec spec, SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if ((spec.VmName ?? spec.PasswordFile ?? spec.Thumbprint) is not null)
        {
            throw new UsageException("--vm, --password-file and --thumbprint apply only to esx:// and vpx:// sources");
        }

        var package = OvfPackage.Open(context.Resolve(spec.Location), new OvfPackageOptions
        {
            TempFolder = context.StagingDirectory,
            VerifyManifest = spec.VerifyManifest,
            Log = context.Log,
            Cancellation = context.Cancellation,
        });
        try
        {
            var vm = OvfSource.Load(package, context.Log, new OvfSourceOptions { Catalog = context.Catalog });
            return new OpenedSource(vm, new OvfDiskOpener(package));
        }
        catch
        {
            package.Dispose();
            throw;
        }
    }
}
