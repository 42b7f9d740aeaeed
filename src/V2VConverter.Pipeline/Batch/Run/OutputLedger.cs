using System.Security.Cryptography;
using Serilog;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Batch.Journal;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.Pipeline.Outputs.Local;

namespace V2VConverter.Pipeline.Batch.Run;

/// <summary>
/// What a VM's conversion creates, as the journal records it: planned before the first byte (so that a resumed run
/// removes what a killed attempt left under final names), completed with sizes and header digests (so that a resumed
/// run verifies a VM before it skips it). The output's own checks refused any existing name when the plan was
/// recorded, so everything at a planned name was made by this batch.
/// </summary>
public static class OutputLedger
{
    /// <summary>How much of a file's start is hashed: the header (qcow2's, and the first clusters).</summary>
    public const int DigestBytes = 64 * 1024;

    /// <summary>The outputs a conversion with <paramref name="plan"/> will create.</summary>
    public static IReadOnlyList<JournalOutput> Planned(string vm, ConversionPlan plan, string outputMode, string? connection)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var list = new List<JournalOutput>();
        if (outputMode == "libvirt")
        {
            list.AddRange(plan.Disks.Select(d => new JournalOutput(vm, "volume", $"{d.StorageTarget}/{d.OutputFileName}")));
            if (plan.Firmware.Efi && plan.Disks.Count > 0)
            {
                list.Add(new JournalOutput(vm, "vars-volume", $"{plan.Disks[0].StorageTarget}/{Planner.VarsFileName(plan.Name)}")); // only when entries were carried
            }

            list.Add(new JournalOutput(vm, "domain", plan.Name));
            return list;
        }

        list.AddRange(plan.Disks.Select(d => new JournalOutput(vm, "disk", d.OutputPath)));
        var folder = plan.Disks.Count > 0 ? plan.Disks[0].StorageTarget : ".";
        var xml = Path.Combine(folder, Planner.SafeFileName(plan.Name) + ".xml");
        if (plan.Firmware.Efi)
        {
            list.Add(new JournalOutput(vm, "vars", LocalOutput.VarsPath(folder, plan.Name))); // written only when boot entries were carried
        }

        list.Add(new JournalOutput(vm, "report", Path.ChangeExtension(xml, ".report.json")));
        list.Add(new JournalOutput(vm, "xml", xml));
        return list;
    }

    /// <summary>The planned outputs with what they hold now: sizes and header digests of files, volume capacities.</summary>
    public static IReadOnlyList<JournalOutput> Completed(IReadOnlyList<JournalOutput> planned, string? connection)
    {
        ArgumentNullException.ThrowIfNull(planned);
        return planned.Select(o => o.Kind switch
        {
            "disk" or "xml" or "report" or "vars" when File.Exists(o.Location) => o with { Size = new FileInfo(o.Location).Length, Digest = Digest(o.Location) },
            "volume" or "vars-volume" => o with { Size = VolumeCapacity(connection, o.Location) },
            _ => o,
        }).ToList();
    }

    /// <summary>Null when every completed output is still there as recorded, else what differs (one line).</summary>
    public static string? Verify(IReadOnlyList<JournalOutput> outputs, string? connection)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
        {
            return "no outputs were recorded";
        }

        foreach (var o in outputs)
        {
            switch (o.Kind)
            {
                case "vars" or "vars-volume" when o.Size is null:
                    break; // not written: nothing was carried
                case "disk" or "xml" or "report" or "vars":
                    if (!File.Exists(o.Location))
                    {
                        return $"{o.Location} is missing";
                    }

                    var size = new FileInfo(o.Location).Length;
                    if (o.Size is { } want && want != size)
                    {
                        return $"{o.Location} is {size} bytes, the journal recorded {want}";
                    }

                    if (o.Digest is { } digest && Digest(o.Location) != digest)
                    {
                        return $"{o.Location}: its first {DigestBytes / 1024} KiB changed since it was written";
                    }

                    break;
                case "volume" or "vars-volume":
                    if (VolumeCapacity(connection, o.Location) is not { } capacity)
                    {
                        return $"volume {o.Location} is missing";
                    }

                    if (o.Size is { } cap && cap != capacity)
                    {
                        return $"volume {o.Location} has {capacity} bytes, the journal recorded {cap}";
                    }

                    break;
                case "domain":
                    using (var conn = LibvirtConnection.Open(connection))
                    using (var dom = conn.FindDomain(o.Location))
                    {
                        if (dom is null)
                        {
                            return $"domain {o.Location} is not defined";
                        }
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>Removes what a killed or failed attempt left at its planned names (files, volumes, the domain). Logs each removal.</summary>
    public static void Remove(IReadOnlyList<JournalOutput> outputs, string? connection, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(log);
        foreach (var o in outputs)
        {
            switch (o.Kind)
            {
                case "disk" or "xml" or "report" or "vars" when File.Exists(o.Location):
                    File.Delete(o.Location);
                    log.Warn($"removed {o.Location}, left by an attempt that did not finish");
                    break;
                case "volume" or "vars-volume":
                    var slash = o.Location.IndexOf('/', StringComparison.Ordinal);
                    using (var conn = LibvirtConnection.Open(connection))
                    using (var pool = conn.FindPool(o.Location[..slash]))
                    using (var vol = pool?.FindVolume(o.Location[(slash + 1)..]))
                    {
                        if (vol is not null)
                        {
                            vol.Delete();
                            log.Warn($"removed volume {o.Location}, left by an attempt that did not finish");
                        }
                    }

                    break;
                case "domain":
                    using (var conn = LibvirtConnection.Open(connection))
                    using (var dom = conn.FindDomain(o.Location))
                    {
                        if (dom is not null)
                        {
                            if (dom.IsActive)
                            {
                                dom.Destroy();
                            }

                            dom.Undefine();
                            log.Warn($"undefined domain {o.Location}, left by an attempt that did not finish");
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>"sha256:HEX" of the file's first <see cref="DigestBytes"/>.</summary>
    public static string Digest(string path)
    {
        using var f = File.OpenRead(path);
        var buffer = new byte[DigestBytes];
        var n = f.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, n)));
    }

    private static long? VolumeCapacity(string? connection, string location)
    {
        var slash = location.IndexOf('/', StringComparison.Ordinal);
        using var conn = LibvirtConnection.Open(connection);
        using var pool = conn.FindPool(location[..slash]);
        if (pool is null)
        {
            return null;
        }

        pool.Refresh();
        using var vol = pool.FindVolume(location[(slash + 1)..]);
        return vol?.Info().Capacity;
    }
}
