using Serilog;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Guest.Access;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Overlay;

/// <summary>
/// For an output without local files (-o libvirt): each source disk opened once, behind a copy-on-write overlay,
/// and served over NBD so that the guest stage converts the guest before the copy. The source is never written:
/// the guest's changes live in the overlay (an unlinked temporary file), and the copy reads source and overlay as
/// one disk. Dispose closes the servers, the overlays and the source disks.
/// </summary>
internal sealed class GuestOverlays : IDisposable
{
    private readonly List<CowDisk> _disks = [];
    private readonly List<NbdServer> _servers = [];
    private readonly List<string> _names = [];

    /// <summary>The drives for the appliance, one per disk of the plan, in plan order.</summary>
    public IReadOnlyList<ApplianceDisk> Drives => _servers.Select((s, i) => ApplianceDisk.Nbd(s.SocketPath, _names[i])).ToList();

    public static GuestOverlays Open(ConversionPlan plan, OpenedSource source, VmdkOpenOptions vmdk, string overlayDirectory, ILogger log, CancellationToken ct)
    {
        var overlays = new GuestOverlays();
        try
        {
            foreach (var d in plan.Disks)
            {
                ct.ThrowIfCancellationRequested();
                var disk = source.Disks.Open(d.Source, vmdk with { Log = log.ForContext("Disk", d.Source.Key) }, ct);
                CowDisk cow;
                try
                {
                    cow = new CowDisk(disk, overlayDirectory, leaveOpen: false);
                }
                catch
                {
                    disk.Dispose();
                    throw;
                }

                overlays._disks.Add(cow);
                overlays._servers.Add(NbdServer.Start(cow, log, ct));
                overlays._names.Add(source.Disks.Describe(d.Source));
                log.Detail($"guest: {d.Source.Key} served over NBD with a copy-on-write overlay in {overlayDirectory}");
            }

            return overlays;
        }
        catch
        {
            overlays.Dispose();
            throw;
        }
    }

    /// <summary>Stops serving the disks (the appliance is gone); the overlays stay for the copy.</summary>
    public void StopServing()
    {
        foreach (var s in _servers)
        {
            s.Dispose();
        }

        _servers.Clear();
    }

    /// <summary>Disk <paramref name="index"/> as source plus the guest's changes, for the copy (this object still owns it).</summary>
    public IVirtualDisk Disk(int index) => new Borrowed(_disks[index]);

    public void Dispose()
    {
        StopServing();
        foreach (var d in _disks)
        {
            d.Dispose();
        }

        _disks.Clear();
    }

    /// <summary>A view whose Dispose leaves the overlay open (the copy disposes what it opened).</summary>
    private sealed class Borrowed(IVirtualDisk inner) : IVirtualDisk
    {
        public long Length => inner.Length;

        public string Format => inner.Format;

        public void Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public IEnumerable<DiskExtent> GetExtents(long offset, long length) => inner.GetExtents(offset, length);

        public void Dispose()
        {
        }
    }
}
