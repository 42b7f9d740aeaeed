using V2VConverter.Formats.Disk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Outputs.Local;

/// <summary>
/// <c>-o local -os DIR</c>: every disk becomes a file in DIR (<c>NAME-sda.qcow2</c> ...), then
/// <c>DIR/NAME.report.json</c> and, last, <c>DIR/NAME.xml</c>. Nothing is overwritten, and on failure
/// the files this run wrote are removed.
/// </summary>
public sealed class LocalOutput : IConversionOutput
{
    public string Name => "local";

    public PlanOptions ConfigurePlan(OutputSpec spec, PlanOptions options, OutputContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.Storage is null)
        {
            throw new UsageException("-o local needs -os DIR");
        }

        if (spec.Connection is not null)
        {
            throw new UsageException("-oc applies to -o libvirt, not -o local");
        }

        return options with { OutputDirectory = context.Resolve(spec.Storage) };
    }

    public string? StagingDirectory(OutputSpec spec, OutputContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        return spec.Storage is null ? null : context.Resolve(spec.Storage);
    }

    public IOutputSession Prepare(OutputSpec spec, ConversionPlan plan, OutputDocuments preview, OutputContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (plan.Disks.Count == 0)
        {
            throw new InvalidDataException($"{plan.Source.Origin}: the VM has no disks to convert");
        }

        var xmlPath = Path.Combine(plan.Disks[0].StorageTarget, Planner.SafeFileName(plan.Name) + ".xml");
        var reportPath = Path.ChangeExtension(xmlPath, ".report.json");
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
                context.Log.Info($"created output directory {d.StorageTarget}");
            }

            RefuseExisting(d.OutputPath);
        }

        RefuseExisting(reportPath);
        RefuseExisting(xmlPath);
        return new Session(plan, xmlPath, reportPath);
    }

    private static void RefuseExisting(string path)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            throw new IOException($"{path}: output file already exists; remove it or choose another -os");
        }
    }

    private sealed class Session(ConversionPlan plan, string xmlPath, string reportPath) : IOutputSession
    {
        private readonly List<string> _written = [];
        private readonly Lock _gate = new();
        private bool _finalized;

        public IDiskTarget DiskTarget(int index) => new FileTarget(plan.Disks[index].OutputPath, plan.Disks[index].Format, this);

        public IReadOnlyList<string> Finalize(ConversionPlan finalPlan, OutputDocuments documents)
        {
            ArgumentNullException.ThrowIfNull(documents);
            AtomicFile.WriteAllText(reportPath, documents.ReportJson);
            Track(reportPath);
            AtomicFile.WriteAllText(xmlPath, documents.DomainXml);
            Track(xmlPath);
            _finalized = true;
            return [reportPath, xmlPath];
        }

        public void Track(string path)
        {
            lock (_gate)
            {
                _written.Add(path);
            }
        }

        public void Dispose()
        {
            if (_finalized)
            {
                return;
            }

            lock (_gate)
            {
                foreach (var f in _written)
                {
                    File.Delete(f);
                }

                _written.Clear();
            }
        }
    }

    private sealed class FileTarget(string path, string format, Session session) : IDiskTarget
    {
        public string Describe => path;

        public string? LocalPath => path;

        public string Format => format;

        public DiskConvertResult Write(IVirtualDisk disk, DiskConvertOptions options, Action<DiskProgress>? progress, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(options);
            var result = DiskConverter.Convert(disk, path, options with { Format = format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2 }, progress, cancellationToken);
            session.Track(path);
            return result;
        }
    }
}
