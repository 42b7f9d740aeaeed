using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;

namespace V2VConverter.Pipeline.Outputs.Libvirt;

/// <summary>
/// One <c>-o libvirt</c> run on one connection: creates a volume per disk and streams it in, then defines (and
/// maybe starts) the domain. Disposed without <see cref="Finalize"/>, or when the start fails, it deletes every
/// volume it created and undefines the domain it defined: nothing is left half-done on the host.
/// </summary>
internal sealed class LibvirtSession(LibvirtConnection connection, OutputSpec spec, ConversionPlan plan, Dictionary<string, LibvirtOutput.PoolTarget> pools, ILogger log) : IOutputSession
{
    private readonly List<StorageVolume> _created = [];
    private readonly Lock _gate = new();
    private LibvirtDomain? _domain;
    private bool _finalized;
    private bool _disposed;

    public IDiskTarget DiskTarget(int index)
    {
        var d = plan.Disks[index];
        return new VolumeTarget(this, d, pools[d.StorageTarget]);
    }

    public IReadOnlyList<string> Finalize(ConversionPlan finalPlan, OutputDocuments documents)
    {
        ArgumentNullException.ThrowIfNull(finalPlan);
        ArgumentNullException.ThrowIfNull(documents);
        _domain = connection.DefineDomain(documents.DomainXml);
        var uri = connection.Uri;
        log.Info($"libvirt: defined domain {_domain.Name} ({_domain.Uuid}) on {uri}");
        var written = finalPlan.Disks.Select(d => $"volume {d.StorageTarget}/{d.OutputFileName} on {uri}").ToList();
        if (spec.Start)
        {
            _domain.Start();
            log.Info($"libvirt: started domain {_domain.Name}");
            written.Add($"domain {_domain.Name} on {uri} (started)");
        }
        else
        {
            written.Add($"domain {_domain.Name} on {uri} (defined; virsh -c {uri} start {_domain.Name})");
        }

        _finalized = true;
        return written;
    }

    /// <summary>A UEFI domain's store is a raw volume beside its first disk, in a pool of files (a block device is no store).</summary>
    public bool KeepsFirmwareVars => plan.Firmware.Efi && pools[plan.Disks[0].StorageTarget].HoldsFiles;

    /// <summary>Creates the volume NAME_VARS.fd in the first disk's pool and uploads the store; deleted again on rollback.</summary>
    public string StoreFirmwareVars(byte[] vars)
    {
        ArgumentNullException.ThrowIfNull(vars);
        var poolName = plan.Disks[0].StorageTarget;
        var name = Planner.VarsFileName(plan.Name);
        StorageVolume volume;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            volume = pools[poolName].Pool.CreateVolume(LibvirtOutput.VolumeXml(name, vars.Length, "raw", filePool: true));
            _created.Add(volume);
        }

        using (var upload = volume.Upload(0, vars.Length, sparse: false))
        {
            upload.Send(vars);
            upload.Finish();
        }

        var path = volume.Path;
        log.Info($"libvirt: created volume {poolName}/{name} ({vars.Length} bytes): the domain's variable store, {path}");
        return path;
    }

    private StorageVolume CreateVolume(DiskPlan d, LibvirtOutput.PoolTarget target, long capacity)
    {
        var xml = LibvirtOutput.VolumeXml(d.OutputFileName, capacity, d.Format, target.HoldsFiles);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var volume = target.Pool.CreateVolume(xml);
            _created.Add(volume);
            log.Info($"libvirt: created volume {d.StorageTarget}/{d.OutputFileName} ({capacity} bytes, {d.Format})");
            return volume;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        try
        {
            if (!_finalized)
            {
                RollBack();
            }
        }
        finally
        {
            foreach (var v in _created)
            {
                v.Dispose();
            }

            _domain?.Dispose();
            foreach (var p in pools.Values)
            {
                p.Pool.Dispose();
            }

            connection.Dispose();
        }
    }

    /// <summary>Undoes what this run did on the host; every step is tried, and each failure is a warning naming the leftover.</summary>
    private void RollBack()
    {
        // Volumes first: undefining the domain with its NVRAM would remove the variable store's file under its pool.
        if (_domain is { IsActive: true } running)
        {
            Try($"domain {running.Name}", running.Destroy);
        }

        foreach (var v in _created)
        {
            Try($"volume {v.Name}", () =>
            {
                v.Delete();
                log.Info($"libvirt: deleted volume {v.Name}");
            });
        }

        if (_domain is { } domain)
        {
            Try($"domain {domain.Name}", () =>
            {
                domain.Undefine();
                log.Info($"libvirt: undefined domain {domain.Name}");
            });
        }
    }

    private void Try(string what, Action action)
    {
        try
        {
            action();
        }
        catch (LibvirtException e)
        {
            log.Warn($"libvirt: could not remove {what} after the failure: {e.Message}; remove it by hand");
        }
    }

    /// <summary>One disk: a new volume, then an upload stream (or two, for qcow2: the body, then its header).</summary>
    private sealed class VolumeTarget(LibvirtSession session, DiskPlan disk, LibvirtOutput.PoolTarget pool) : IDiskTarget
    {
        public string Describe => $"{disk.StorageTarget}/{disk.OutputFileName}";

        public string? LocalPath => null;

        public string Format => disk.Format;

        public DiskConvertResult Write(IVirtualDisk source, DiskConvertOptions options, Action<DiskProgress>? progress, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(source);
            ArgumentNullException.ThrowIfNull(options);
            var o = options with { Format = disk.Format == "raw" ? DiskOutputFormat.Raw : DiskOutputFormat.Qcow2, Preallocation = DiskPreallocation.Off };
            o.Validate();
            var volume = session.CreateVolume(disk, pool, source.Length);

            // Holes stay holes in a file pool; a block device may hold old data, so its zeros are sent.
            using var sink = new VolumeSink(volume, sparse: disk.Format == "raw" && pool.HoldsFiles, Describe);
            var result = DiskConverter.WriteAsync(source, sink, o, progress, cancellationToken).GetAwaiter().GetResult();
            sink.Complete();
            return result;
        }
    }
}
