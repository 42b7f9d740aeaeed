using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Output.Libvirt;
using V2VConverter.Output.Templates;

namespace V2VConverter.Pipeline;

public sealed record LocalConversionOptions
{
    public required DiskConvertOptions Disk { get; init; }

    public VmdkOpenOptions Vmdk { get; init; } = new();

    public TemplateSet Templates { get; init; } = TemplateSet.Embedded;
}

public sealed record LocalConversionResult(string XmlPath, IReadOnlyList<DiskConvertResult> Disks);

/// <summary>
/// <c>-o local</c>: every disk of the VM is written into the output directory, then DIR/NAME.xml.
/// Output options and every source disk are checked before the first byte is copied; on failure
/// the files this run created are removed, so nothing partial is left under a final name.
/// </summary>
public static class LocalConversion
{
    public static LocalConversionResult Run(ConversionPlan plan, LocalConversionOptions options, DiagnosticBag diagnostics, Action<int, DiskProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        // 1. Check everything first.
        options.Disk.Validate();
        var xmlPath = Path.Combine(plan.Disks.FirstOrDefault()?.StorageTarget ?? throw new InvalidDataException($"{plan.Source.Origin}: the VM has no disks to convert"), Planner.SafeFileName(plan.Name) + ".xml");
        foreach (var d in plan.Disks)
        {
            if (d.StorageKind != StorageKind.Directory)
            {
                throw new NotSupportedException($"disk {d.Source.Key}: -o local writes files; storage rules chose libvirt pool {d.StorageTarget} (use -os DIR)");
            }

            if (!Directory.Exists(d.StorageTarget))
            {
                var parent = Path.GetDirectoryName(Path.GetFullPath(d.StorageTarget));
                if (parent is null || !Directory.Exists(parent))
                {
                    throw new DirectoryNotFoundException($"{d.StorageTarget}: output directory does not exist (nor its parent)");
                }

                Directory.CreateDirectory(d.StorageTarget);
                diagnostics.Info($"created output directory {d.StorageTarget}");
            }

            if (File.Exists(d.OutputPath))
            {
                throw new IOException($"{d.OutputPath}: output file already exists; remove it or choose another -os");
            }

            if (d.Source.IsRawDevice)
            {
                throw new NotSupportedException($"disk {d.Source.Key}: {d.Source.FileName} is a raw device mapping and cannot be copied from a .vmx");
            }

            if (d.Source.ResolvedPath is null || d.Source.FileState == DiskFileState.Missing)
            {
                throw new FileNotFoundException($"disk {d.Source.Key}: {d.Source.ResolvedPath ?? d.Source.FileName} does not exist; nothing was copied", d.Source.ResolvedPath ?? d.Source.FileName);
            }
        }

        if (File.Exists(xmlPath))
        {
            throw new IOException($"{xmlPath}: output file already exists; remove it or choose another -os");
        }

        var disks = new List<IVirtualDisk>();
        var written = new List<string>();
        try
        {
            foreach (var d in plan.Disks)
            {
                disks.Add(VmdkDisk.Open(d.Source.ResolvedPath!, options.Vmdk));
            }

            // 2. Copy.
            var results = new List<DiskConvertResult>();
            var format = plan.Disks[0].Format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2;
            for (var i = 0; i < plan.Disks.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var d = plan.Disks[i];
                var index = i;
                diagnostics.Info($"copying {d.Source.Key} {d.Source.ResolvedPath} -> {d.OutputPath}");
                var r = DiskConverter.Convert(disks[i], d.OutputPath, options.Disk with { Format = format }, p => progress?.Invoke(index, p), cancellationToken);
                written.Add(d.OutputPath);
                results.Add(r);
            }

            // 3. The domain XML, last.
            var xml = new DomainXmlBuilder(options.Templates).BuildString(plan);
            AtomicFile.WriteAllText(xmlPath, xml);
            return new LocalConversionResult(xmlPath, results);
        }
        catch
        {
            foreach (var f in written)
            {
                File.Delete(f);
            }

            throw;
        }
        finally
        {
            foreach (var d in disks)
            {
                d.Dispose();
            }
        }
    }
}
