using System.Xml;
using System.Xml.Linq;
using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Outputs.Libvirt;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>
/// Fills <see cref="BatchTargetFacts"/> for the planner: what the target offers, as far as it can be seen. -o local:
/// the free space of the output folder, the bridges and the OVMF files of this machine. -o libvirt (or a connection URI
/// with -o local): the domains, networks, storage pools (and their free space) and host bridges of the libvirt host,
/// and OVMF from its domain capabilities. What cannot be read (a connection that fails, an interface driver that is
/// missing) is logged as a warning and left null, so the plan still works offline and no concern is raised about it.
/// </summary>
public static class BatchTargetProbe
{
    public const string Local = "local";
    public const string Libvirt = "libvirt";

    /// <summary>Where Linux lists network devices; a bridge has a <c>bridge</c> folder.</summary>
    public const string SysClassNet = "/sys/class/net";

    public static BatchTargetFacts Probe(string outputMode, string? storage, string? connectionUri, ILogger log, OvmfFiles? firmware = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (outputMode is not (Local or Libvirt))
        {
            throw new ArgumentException($"output mode '{outputMode}': expected {Local} or {Libvirt}", nameof(outputMode));
        }

        firmware ??= OvmfFiles.Default;
        var facts = new BatchTargetFacts { OutputMode = outputMode, Storage = outputMode == Libvirt ? storage ?? LibvirtOutput.DefaultPool : storage };
        if (outputMode == Local)
        {
            var free = storage is null ? null : FolderFreeBytes(storage, log);
            facts = facts with
            {
                FreeBytes = free,
                FreeBytesByStorage = free is { } f ? new Dictionary<string, long>(StringComparer.Ordinal) { [storage!] = f } : null,
                Bridges = HostBridges(SysClassNet, log),
                Ovmf = firmware.Installed,
                OvmfSecureBoot = firmware.SecureBootInstalled,
            };
        }

        return outputMode == Libvirt || connectionUri is not null ? ProbeLibvirt(facts, connectionUri, firmware, log) : facts;
    }

    /// <summary>Free bytes of the file system that holds <paramref name="folder"/> (or its nearest existing parent).</summary>
    internal static long? FolderFreeBytes(string folder, ILogger log)
    {
        try
        {
            var dir = Path.GetFullPath(folder);
            while (!Directory.Exists(dir))
            {
                dir = Path.GetDirectoryName(dir) ?? Path.GetPathRoot(dir)!;
            }

            var free = new DriveInfo(dir).AvailableFreeSpace;
            log.Info($"target: {folder}: {ConcernText.Size(free)} free (file system of {dir})");
            return free;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"target: cannot read the free space of {folder}: {e.Message}; the plan does not check the space");
            return null;
        }
    }

    /// <summary>The bridges of this machine: the entries of <paramref name="sysClassNet"/> that have a <c>bridge</c> folder.</summary>
    internal static IReadOnlySet<string>? HostBridges(string sysClassNet, ILogger log)
    {
        try
        {
            var bridges = Directory.EnumerateFileSystemEntries(sysClassNet)
                .Where(entry => Directory.Exists(Path.Combine(entry, "bridge")))
                .Select(Path.GetFileName)
                .OfType<string>()
                .ToHashSet(StringComparer.Ordinal);
            log.Info($"target: host bridges: {ConcernText.List(bridges)}");
            return bridges;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warn($"target: cannot list the host bridges in {sysClassNet}: {e.Message}; the plan does not check bridges");
            return null;
        }
    }

    private static BatchTargetFacts ProbeLibvirt(BatchTargetFacts facts, string? uri, OvmfFiles firmware, ILogger log)
    {
        var local = IsLocalUri(uri);
        LibvirtConnection connection;
        try
        {
            connection = LibvirtConnection.Open(uri);
        }
        catch (LibvirtException e)
        {
            log.Warn($"target: {e.Message}; the plan does not check the domains, networks, pools or space of the target");
            return facts.OutputMode == Libvirt && local
                ? facts with { Bridges = HostBridges(SysClassNet, log), Ovmf = firmware.Installed, OvmfSecureBoot = firmware.SecureBootInstalled }
                : facts;
        }

        using (connection)
        {
            local = IsLocalUri(connection.Uri);
            var domains = Try(connection.ListDomainNames, "domains", connection, log);
            var networks = Try(connection.ListNetworkNames, "networks", connection, log);
            var pools = Try(() => PoolFreeBytes(connection, log), "storage pools", connection, log);
            facts = facts with
            {
                Domains = domains?.ToHashSet(StringComparer.Ordinal),
                Networks = networks?.ToHashSet(StringComparer.Ordinal),
                Pools = pools?.Keys.ToHashSet(StringComparer.Ordinal),
            };
            if (facts.OutputMode == Local)
            {
                return facts;
            }

            var free = pools?.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.Value, StringComparer.Ordinal);
            var bridges = Try(connection.ListHostBridgeNames, "host bridges", connection, log);
            var (ovmf, secure) = DomainCapabilitiesOvmf(connection, firmware, log);
            return facts with
            {
                FreeBytes = free is not null && free.TryGetValue(facts.Storage!, out var f) ? f : null,
                FreeBytesByStorage = free,
                Bridges = bridges?.ToHashSet(StringComparer.Ordinal) ?? (local ? HostBridges(SysClassNet, log) : null),
                Ovmf = ovmf ?? (local ? firmware.Installed : null),
                OvmfSecureBoot = secure ?? (local ? firmware.SecureBootInstalled : null),
            };
        }
    }

    /// <summary>Every pool by name, with its available bytes when it is active (refreshed first when it can be).</summary>
    private static Dictionary<string, long?> PoolFreeBytes(LibvirtConnection connection, ILogger log)
    {
        var result = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var name in connection.ListPoolNames())
        {
            using var pool = connection.FindPool(name);
            if (pool is not { IsActive: true })
            {
                log.Info($"target: storage pool '{name}' is not active: its free space is unknown");
                result[name] = null;
                continue;
            }

            try
            {
                pool.Refresh();
            }
            catch (LibvirtException e)
            {
                log.Info($"target: {e.Message}; using the pool's last known size");
            }

            result[name] = pool.Info().Available;
            log.Info($"target: storage pool '{name}': {ConcernText.Size(result[name]!.Value)} free");
        }

        return result;
    }

    /// <summary>
    /// OVMF as the host's domain capabilities list it (<c>os/loader/value</c>, for a q35 machine, kvm then qemu): true
    /// when the mapping's loader is listed; null when it is not (libvirt lists only the firmware it has descriptors for,
    /// so absence proves nothing) or the capabilities cannot be read.
    /// </summary>
    private static (bool? Ovmf, bool? SecureBoot) DomainCapabilitiesOvmf(LibvirtConnection connection, OvmfFiles firmware, ILogger log)
    {
        foreach (var virtType in (string[])["kvm", "qemu"])
        {
            try
            {
                var loaders = LoaderValues(connection.DomainCapabilities(virtType, "x86_64", "q35"));
                log.Info($"target: {virtType} domain capabilities list the UEFI loaders {ConcernText.List(loaders)}");
                return (loaders.Contains(firmware.Code) ? true : null, loaders.Contains(firmware.SecureBootCode) ? true : null);
            }
            catch (Exception e) when (e is LibvirtException or XmlException)
            {
                log.Info($"target: {virtType} domain capabilities: {e.Message}");
            }
        }

        return (null, null);
    }

    /// <summary>The <c>domainCapabilities/os/loader/value</c> paths of a domain capabilities document.</summary>
    internal static IReadOnlySet<string> LoaderValues(string domainCapabilities) =>
        XDocument.Parse(domainCapabilities).Root?.Element("os")?.Element("loader")?.Elements("value").Select(v => v.Value.Trim()).ToHashSet(StringComparer.Ordinal)
        ?? [];

    /// <summary>A URI without a host (qemu:///system, test:///default), or none (libvirt's default): this machine.</summary>
    internal static bool IsLocalUri(string? uri) =>
        uri is null || (System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.Host.Length == 0);

    private static T? Try<T>(Func<T> read, string what, LibvirtConnection connection, ILogger log)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is LibvirtException or XmlException)
        {
            log.Warn($"target: cannot list the {what} of {connection.Uri}: {e.Message}; the plan does not check them");
            return null;
        }
    }
}
