using System.Globalization;
using System.Security;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;

namespace V2VConverter.Pipeline.Outputs.Libvirt;

/// <summary>
/// <c>-o libvirt [-oc URI] -os POOL</c>: every disk streams into a new volume of a storage pool on the libvirt host
/// that URI reaches (local or remote, any pool type libvirt can upload into), then the domain is defined with
/// <c>virDomainDefineXML</c> and, with <c>--start</c>, started. Everything is done through the libvirt API, never by
/// writing files behind libvirt's back. Before the first byte: the connection, the pools (present, active, room), the
/// volume names, the domain name and UUID, and every network and bridge the plan chose are checked. On any failure or
/// interruption the volumes this run created are deleted and the domain it defined is undefined.
/// </summary>
public sealed class LibvirtOutput : IConversionOutput
{
    /// <summary>The pool -os names when it is not given: the one virt-v2v and virt-install use.</summary>
    public const string DefaultPool = "default";

    public string Name => "libvirt";

    public PlanOptions ConfigurePlan(OutputSpec spec, PlanOptions options, OutputContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (spec.Storage is { Length: 0 })
        {
            throw new UsageException("-o libvirt: -os needs a storage pool name");
        }

        return options with { OutputDirectory = null, OutputPool = spec.Storage ?? DefaultPool };
    }

    /// <summary>A remote source stages what it must fetch under the temporary folder ($TMPDIR), never in a pool.</summary>
    public string? StagingDirectory(OutputSpec spec, OutputContext context) => Path.GetTempPath();

    public IOutputSession Prepare(OutputSpec spec, ConversionPlan plan, OutputDocuments preview, OutputContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        if (plan.Disks.Count == 0)
        {
            throw new InvalidDataException($"{plan.Source.Origin}: the VM has no disks to convert");
        }

        var connection = LibvirtConnection.Open(spec.Connection);
        try
        {
            var uri = connection.Uri;
            context.Log.Info($"libvirt: connected to {uri}");
            CheckDomain(connection, plan, uri);
            CheckHypervisor(connection, plan, uri);
            var pools = CheckPools(connection, spec, plan, context, uri);
            CheckNetworks(connection, plan, uri);
            return new LibvirtSession(connection, spec, plan, pools, context.Log);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void CheckDomain(LibvirtConnection connection, ConversionPlan plan, string uri)
    {
        using (var byName = connection.FindDomain(plan.Name))
        {
            if (byName is not null)
            {
                throw new IOException($"libvirt: a domain named '{plan.Name}' already exists on {uri}; undefine it or rename the VM (--set, or the source's displayName)");
            }
        }

        if (plan.Source.Uuid is { } id)
        {
            var uuid = id.ToString("D");
            using var byUuid = connection.FindDomainByUuid(uuid);
            if (byUuid is not null)
            {
                throw new IOException($"libvirt: domain '{byUuid.Name}' on {uri} already has the UUID {uuid} of {plan.Source.Origin}; is this VM already converted?");
            }
        }
    }

    /// <summary>The host runs this kind of domain (a kvm domain on a host without KVM fails at define, after the copy).</summary>
    private static void CheckHypervisor(LibvirtConnection connection, ConversionPlan plan, string uri)
    {
        try
        {
            connection.DomainCapabilities(plan.DomainType, plan.Architecture, plan.MachineType);
        }
        catch (LibvirtException e)
        {
            var hint = plan.DomainType == "kvm" ? "; for a host without KVM: --set devices:domain:rules:default:type=qemu" : string.Empty;
            throw new IOException($"libvirt: {uri} cannot run a {plan.DomainType} {plan.Architecture} {plan.MachineType} domain ({e.Message}){hint}", e);
        }
    }

    private static Dictionary<string, PoolTarget> CheckPools(LibvirtConnection connection, OutputSpec spec, ConversionPlan plan, OutputContext context, string uri)
    {
        var pools = new Dictionary<string, PoolTarget>(StringComparer.Ordinal);
        try
        {
            foreach (var name in plan.Disks.Select(d => d.StorageTarget).Distinct(StringComparer.Ordinal))
            {
                var pool = connection.FindPool(name)
                    ?? throw new IOException($"libvirt: storage pool '{name}' not found on {uri} (virsh -c {uri} pool-list --all)");
                pools[name] = new PoolTarget(pool, IsFilePool(pool.Type));
                if (!pool.IsActive)
                {
                    throw new IOException($"libvirt: storage pool '{name}' on {uri} is not active (virsh -c {uri} pool-start {name})");
                }

                pool.Refresh(); // see volumes and free space as they are now, not as libvirt last looked
            }

            for (var i = 0; i < plan.Disks.Count; i++)
            {
                var d = plan.Disks[i];
                var target = pools[d.StorageTarget];
                if (d.Format == "qcow2" && !target.HoldsFiles)
                {
                    throw new NotSupportedException($"libvirt: storage pool '{d.StorageTarget}' is a {target.Pool.Type} pool, whose volumes are raw block devices: use -of raw");
                }

                using var existing = target.Pool.FindVolume(d.OutputFileName);
                if (existing is not null)
                {
                    throw new IOException($"libvirt: volume '{d.OutputFileName}' already exists in storage pool '{d.StorageTarget}' on {uri}; delete it (virsh vol-delete) or choose another pool");
                }
            }

            var first = pools[plan.Disks[0].StorageTarget];
            if (plan.Firmware.Efi && first.HoldsFiles)
            {
                using var vars = first.Pool.FindVolume(Planner.VarsFileName(plan.Name));
                if (vars is not null)
                {
                    throw new IOException($"libvirt: volume '{Planner.VarsFileName(plan.Name)}' (a UEFI variable store) already exists in storage pool '{plan.Disks[0].StorageTarget}' on {uri}; delete it (virsh vol-delete) or choose another pool");
                }
            }

            if (!spec.IgnoreSpace)
            {
                foreach (var group in plan.Disks.Select((d, i) => (d, i)).GroupBy(x => x.d.StorageTarget, StringComparer.Ordinal))
                {
                    var need = group.Sum(x => NeededBytes(x.d, x.i, context));
                    var available = pools[group.Key].Pool.Info().Available;
                    if (need > available)
                    {
                        throw new IOException($"libvirt: storage pool '{group.Key}' on {uri} has {ByteSize.Format(available)} free, the disks need {ByteSize.Format(need)} (--ignore-space to try anyway)");
                    }

                    context.Log.Info($"libvirt: pool {group.Key}: {ByteSize.Format(need)} needed, {ByteSize.Format(available)} free");
                }
            }

            return pools;
        }
        catch
        {
            foreach (var p in pools.Values)
            {
                p.Pool.Dispose();
            }

            throw;
        }
    }

    /// <summary>A raw disk may fill its virtual size; a qcow2 needs its data plus its tables (1/8192 of the data, a few clusters).</summary>
    private static long NeededBytes(DiskPlan d, int index, OutputContext context)
    {
        if (context.DiskSizes is null)
        {
            return d.Source.CapacityBytes ?? 0;
        }

        var sizes = context.DiskSizes(index);
        var bytes = d.Format == "qcow2" ? sizes.Data : sizes.Virtual;
        return bytes + (d.Format == "qcow2" ? (bytes / 8192) + (4L << 20) : 0);
    }

    private static void CheckNetworks(LibvirtConnection connection, ConversionPlan plan, string uri)
    {
        foreach (var nic in plan.Nics)
        {
            if (nic.TargetKind == NetworkTargetKind.Network)
            {
                using var network = connection.FindNetwork(nic.TargetName)
                    ?? throw new IOException($"libvirt: network '{nic.TargetName}' for ethernet{nic.Source.Index} not found on {uri} (virsh -c {uri} net-list --all; or --network SRC:NET)");
                if (!network.IsActive)
                {
                    throw new IOException($"libvirt: network '{nic.TargetName}' for ethernet{nic.Source.Index} on {uri} is not active (virsh -c {uri} net-start {nic.TargetName})");
                }
            }
            else if (!connection.HostInterfaceExists(nic.TargetName))
            {
                throw new IOException($"libvirt: bridge '{nic.TargetName}' for ethernet{nic.Source.Index} does not exist on the host of {uri} (or --bridge SRC:BR)");
            }
        }
    }

    /// <summary>Pools whose volumes are files (a qcow2 fits, holes stay holes); the others hold raw block devices or objects.</summary>
    private static bool IsFilePool(string type) => type is "dir" or "fs" or "netfs";

    /// <summary>Volume XML for virStorageVolCreateXML: the name, the capacity, the format; file pools start sparse.</summary>
    internal static string VolumeXml(string name, long capacity, string format, bool filePool)
    {
        var escaped = SecurityElement.Escape(name);
        var allocation = filePool ? 0 : capacity;
        var formatElement = filePool ? $"<target><format type='{format}'/></target>" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"<volume><name>{escaped}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>{allocation}</allocation>{formatElement}</volume>");
    }

    internal sealed record PoolTarget(StoragePool Pool, bool HoldsFiles);
}
