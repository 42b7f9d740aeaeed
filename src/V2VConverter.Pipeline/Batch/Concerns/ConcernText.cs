using V2VConverter.Model;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>How the concern messages name things, so every rule says it the same way.</summary>
internal static class ConcernText
{
    /// <summary>"disk scsi0:1 ([ds1] web/web_1.vmdk)".</summary>
    internal static string Disk(BatchDiskFacts disk) => $"disk {disk.Key} ({disk.FileName})";

    /// <summary>"NIC 0 (network 'VM Network')" or "NIC 0".</summary>
    internal static string Nic(BatchNicFacts nic) =>
        nic.Network is { Length: > 0 } n ? $"NIC {nic.Index} (network '{n}')" : $"NIC {nic.Index}";

    internal static string Size(long bytes) => ByteSize.Format(bytes);

    /// <summary>"'a', 'b'" (at most <paramref name="most"/> names, then "..."), or "none".</summary>
    internal static string List(IEnumerable<string> names, int most = 8)
    {
        var sorted = names.Order(StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
        {
            return "none";
        }

        var shown = string.Join(", ", sorted.Take(most).Select(n => $"'{n}'"));
        return sorted.Count > most ? $"{shown} ... ({sorted.Count} in all)" : shown;
    }

    internal static string Plural(int n, string one, string many) => n == 1 ? $"{n} {one}" : $"{n} {many}";
}
