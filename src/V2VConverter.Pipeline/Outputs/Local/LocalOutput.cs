using V2VConverter.Formats.Disk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Outputs.Local;

/// <summary>
/// <c>-o local -os DIR</c>: every disk becomes a file in DIR (<c>NAME-sda.qcow2</c> ...), then
/// <c>DIR/NAME.report.json</c> and, last, <c>DIR/NAME.xml</c>. One run at a time writes a VM into a folder (a lock
/// file <c>.NAME.v2v-lock</c>, flock'd for the run). The disks stay under hidden temporary names until the end and
/// every file is then renamed into place without replacing anything, so a second run, a kill or a failure never
/// leaves a disk under its final name without its XML, and never overwrites another run's files. On failure the
/// files this run wrote are removed.
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

        var folder = plan.Disks[0].StorageTarget;
        var baseName = Planner.SafeFileName(plan.Name);
        var xmlPath = Path.Combine(folder, baseName + ".xml");
        var reportPath = Path.ChangeExtension(xmlPath, ".report.json");
        var varsPath = plan.Firmware.Efi ? VarsPath(folder, plan.Name) : null;
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
        }

        var runLock = OutputLock.Take(folder, baseName, plan.Name);
        try
        {
            foreach (var dir in plan.Disks.Select(d => d.StorageTarget).Distinct(StringComparer.Ordinal))
            {
                foreach (var stale in AtomicOutputFile.RemoveStaleTemps(dir))
                {
                    context.Log.Info($"removed {stale}, left by a run that was killed");
                }
            }

            foreach (var d in plan.Disks)
            {
                RefuseExisting(d.OutputPath);
            }

            RefuseExisting(reportPath);
            RefuseExisting(xmlPath);
            if (varsPath is not null)
            {
                RefuseExisting(varsPath);
            }

            return new Session(plan, xmlPath, reportPath, varsPath, runLock);
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>Where -o local keeps a UEFI domain's own variable store: <c>DIR/NAME_VARS.fd</c>, beside its XML.</summary>
    public static string VarsPath(string folder, string vmName) => Path.Combine(folder, Planner.VarsFileName(vmName));

    private static void RefuseExisting(string path)
    {
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new IOException($"{path}: output file already exists; remove it or choose another -os");
        }
    }

    private sealed class Session(ConversionPlan plan, string xmlPath, string reportPath, string? varsPath, OutputLock runLock) : IOutputSession
    {
        private readonly List<AtomicOutputFile> _disks = [];
        private readonly List<string> _committed = [];
        private string? _storedVars;
        private readonly Lock _gate = new();
        private bool _finalized;
        private bool _disposed;

        public IDiskTarget DiskTarget(int index) => new FileTarget(plan.Disks[index].OutputPath, plan.Disks[index].Format, this);

        public bool KeepsFirmwareVars => varsPath is not null;

        public string StoreFirmwareVars(byte[] vars)
        {
            ArgumentNullException.ThrowIfNull(vars);
            var path = varsPath ?? throw new NotSupportedException("a BIOS domain has no variable store");
            AtomicOutputFile.WriteAllBytes(path, vars);
            Track(path); // removed by Dispose unless finalized
            _storedVars = path;
            return path;
        }

        public IReadOnlyList<string> Finalize(ConversionPlan finalPlan, OutputDocuments documents)
        {
            ArgumentNullException.ThrowIfNull(documents);
            lock (_gate)
            {
                foreach (var disk in _disks)
                {
                    disk.Commit(fsync: false); // flushed when written, if asked; never replaces a file
                    _committed.Add(disk.FinalPath);
                }
            }

            AtomicOutputFile.WriteAllText(reportPath, documents.ReportJson);
            Track(reportPath);
            AtomicOutputFile.WriteAllText(xmlPath, documents.DomainXml);
            Track(xmlPath);
            _finalized = true;
            return _storedVars is null ? [reportPath, xmlPath] : [_storedVars, reportPath, xmlPath];
        }

        public AtomicOutputFile CreateDisk(string path, long preallocation)
        {
            var file = AtomicOutputFile.Create(path, preallocation);
            lock (_gate)
            {
                _disks.Add(file);
            }

            return file;
        }

        private void Track(string path)
        {
            lock (_gate)
            {
                _committed.Add(path);
            }
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                lock (_gate)
                {
                    foreach (var disk in _disks)
                    {
                        disk.Dispose(); // removes an uncommitted temporary file
                    }

                    if (!_finalized)
                    {
                        foreach (var f in _committed)
                        {
                            File.Delete(f);
                        }
                    }

                    _disks.Clear();
                    _committed.Clear();
                }
            }
            finally
            {
                runLock.Dispose();
            }
        }
    }

    private sealed class FileTarget(string path, string format, Session session) : IDiskTarget
    {
        private AtomicOutputFile? _file;

        public string Describe => path;

        /// <summary>Until the run is finalized the disk is under its temporary name; the guest stage works on that file.</summary>
        public string? LocalPath => _file?.TempPath ?? path;

        public string Format => format;

        public DiskConvertResult Write(IVirtualDisk disk, DiskConvertOptions options, Action<DiskProgress>? progress, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(disk);
            ArgumentNullException.ThrowIfNull(options);
            var o = options with { Format = format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2 };
            o.Validate();
            try
            {
                _file = session.CreateDisk(path, DiskConverter.PreallocationFor(disk, o));
                return DiskConverter.WriteAsync(disk, _file, o, progress, cancellationToken).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (AtomicOutputFile.IsNoSpace(ex) && !ex.Message.StartsWith(path, StringComparison.Ordinal))
            {
                throw AtomicOutputFile.NoSpace(path, ex);
            }
        }
    }
}
