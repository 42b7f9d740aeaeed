using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;
using V2VConverter.Output.Libvirt;
using V2VConverter.Output.Templates;
using V2VConverter.Sources.Disks;

namespace V2VConverter.Pipeline;

public sealed record LocalConversionOptions
{
    public required DiskConvertOptions Disk { get; init; }

    public VmdkOpenOptions Vmdk { get; init; } = new();

    /// <summary>Where the disks are read from: local files by default, or a vSphere datastore.</summary>
    public IDiskOpener Disks { get; init; } = LocalDiskOpener.Instance;

    public TemplateSet Templates { get; init; } = TemplateSet.Embedded;

    public GuestStageOptions Guest { get; init; } = new();

    /// <summary>Re-plans with compatibility devices when the guest stage falls back (SATA, e1000).</summary>
    public Func<ConversionPlan>? CompatibilityPlan { get; init; }
}

public sealed record LocalConversionResult(string XmlPath, string ReportPath, ConversionPlan Plan, IReadOnlyList<DiskConvertResult> Disks, V2VConverter.Guest.GuestConversionReport? Guest);

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

            options.Disks.Check(d.Source, options.Vmdk);
        }

        if (File.Exists(xmlPath))
        {
            throw new IOException($"{xmlPath}: output file already exists; remove it or choose another -os");
        }

        var written = new List<string>();
        try
        {
            // 2. Copy: each disk is opened as it is copied (a remote one streams or is fetched then), a few at once when the source allows.
            var format = plan.Disks[0].Format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2;
            var results = new DiskConvertResult?[plan.Disks.Count];
            var outputs = new string?[plan.Disks.Count];
            var parallel = Math.Clamp(options.Disks.MaxParallelDisks, 1, Math.Max(1, plan.Disks.Count));
            try
            {
                Parallel.For(0, plan.Disks.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, i =>
                {
                    var d = plan.Disks[i];
                    diagnostics.Info($"copying {d.Source.Key} {options.Disks.Describe(d.Source)} -> {d.OutputPath}");
                    using var disk = options.Disks.Open(d.Source, options.Vmdk, cancellationToken);
                    results[i] = DiskConverter.Convert(disk, d.OutputPath, options.Disk with { Format = format }, p => progress?.Invoke(i, p), cancellationToken);
                    outputs[i] = d.OutputPath;
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                written.AddRange(outputs.OfType<string>());
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
            catch (OperationCanceledException)
            {
                written.AddRange(outputs.OfType<string>());
                throw;
            }

            written.AddRange(outputs.OfType<string>());
            var converted = results.Select(r => r!).ToList();

            // 3. The guest, on the output disks.
            var guest = GuestStage.Run(plan, options.Guest, diagnostics, line => diagnostics.Info("guest: " + line));
            var finalPlan = plan;
            if ((guest?.CompatibilityMode ?? false) && options.CompatibilityPlan is { } replan)
            {
                finalPlan = replan();
            }

            // 4. The report and the domain XML, last.
            var reportPath = Path.ChangeExtension(xmlPath, ".report.json");
            AtomicOutputFile.WriteAllText(reportPath, ConversionReport.ToJson(finalPlan, converted, guest, diagnostics));
            written.Add(reportPath);
            var xml = new DomainXmlBuilder(options.Templates).BuildString(finalPlan);
            AtomicOutputFile.WriteAllText(xmlPath, xml);
            return new LocalConversionResult(xmlPath, reportPath, finalPlan, converted, guest);
        }
        catch
        {
            foreach (var f in written)
            {
                File.Delete(f);
            }

            throw;
        }
    }
}
