using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using V2VConverter.Model.Vm;

namespace V2VConverter.Model.Catalog;

/// <summary>
/// Classifies <c>guestOS</c> (VMX) and <c>guestId</c> (vSphere) values, from the data in
/// <c>mappings/guest-os.json</c> (embedded; a user file can replace it).
/// </summary>
public sealed class GuestOsCatalog
{
    private readonly IReadOnlyList<(Entry Entry, Regex Regex)> _rules;

    private GuestOsCatalog(IReadOnlyList<Entry> entries) =>
        _rules = entries.Select(e => (e, new Regex("^(?:" + e.Pattern + ")$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))).ToList();

    public static GuestOsCatalog Default { get; } = LoadEmbedded();

    public static GuestOsCatalog Parse(string json, string origin)
    {
        Document? doc;
        try
        {
            doc = JsonSerializer.Deserialize<Document>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{origin}: not valid guest OS JSON: {ex.Message}");
        }

        if (doc?.GuestOs is null || doc.GuestOs.Count == 0)
        {
            throw new InvalidDataException($"{origin}: guestOs: no entries");
        }

        foreach (var e in doc.GuestOs)
        {
            if (string.IsNullOrEmpty(e.Id) || string.IsNullOrEmpty(e.Pattern))
            {
                throw new InvalidDataException($"{origin}: guestOs: every entry needs an id and a pattern");
            }
        }

        return new GuestOsCatalog(doc.GuestOs);
    }

    /// <summary>Classifies an id. <paramref name="rule"/> is the catalog entry that decided ("guest-os#rhel"), or null.</summary>
    public GuestOs Lookup(string? rawId, out string? rule)
    {
        rule = null;
        var id = (rawId ?? "").Trim();
        var normalized = Normalize(id, out var is64);
        var arch = is64 ? GuestArchitecture.X86_64 : GuestArchitecture.I686;
        if (normalized.Length == 0)
        {
            return GuestOs.Unknown(id.Length == 0 ? "(none)" : id, arch);
        }

        foreach (var (entry, regex) in _rules)
        {
            var m = regex.Match(normalized);
            if (!m.Success)
            {
                continue;
            }

            rule = $"guest-os#{entry.Id}";
            var version = entry.Version ?? "";
            if (version.Contains('$'))
            {
                version = m.Result(version);
            }

            return new GuestOs(id, ParseFamily(entry.Family), entry.Distribution ?? "unknown", version, arch, entry.Virtio, entry.Description ?? entry.Id!)
            {
                Legacy = entry.Legacy,
            };
        }

        return GuestOs.Unknown(id, arch);
    }

    /// <summary>"rhel7_64Guest" and "rhel7-64" both become "rhel7" with is64 true; "winNetStandard" stays.</summary>
    public static string Normalize(string id, out bool is64)
    {
        var s = id.Trim();
        if (s.EndsWith("Guest", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^5];
        }

        is64 = false;
        foreach (var suffix in new[] { "-64", "_64", "64" })
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && s.Length > suffix.Length)
            {
                // "windows7srv-64", "darwin64", "ubuntu64"; but not a bare version like "rhel6" or "other4xlinux-64"→"other4xlinux".
                is64 = true;
                s = s[..^suffix.Length];
                break;
            }
        }

        if (s.EndsWith("Guest", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^5];
        }

        if (s.EndsWith("_", StringComparison.Ordinal) || s.EndsWith("-", StringComparison.Ordinal))
        {
            s = s[..^1];
        }

        return s.ToLowerInvariant();
    }

    private static GuestFamily ParseFamily(string? f) => (f ?? "").ToLowerInvariant() switch
    {
        "linux" => GuestFamily.Linux,
        "windows" => GuestFamily.Windows,
        "bsd" => GuestFamily.Bsd,
        "solaris" => GuestFamily.Solaris,
        "darwin" => GuestFamily.Darwin,
        "other" => GuestFamily.Other,
        _ => GuestFamily.Unknown,
    };

    private static GuestOsCatalog LoadEmbedded()
    {
        using var s = typeof(GuestOsCatalog).Assembly.GetManifestResourceStream("guest-os.json")
            ?? throw new InvalidOperationException("embedded resource guest-os.json is missing from the build");
        using var r = new StreamReader(s);
        return Parse(r.ReadToEnd(), "mappings/guest-os.json");
    }

    private sealed class Document
    {
        [JsonPropertyName("guestOs")]
        public List<Entry>? GuestOs { get; set; }
    }

    private sealed class Entry
    {
        public string? Id { get; set; }

        public string? Pattern { get; set; }

        public string? Family { get; set; }

        public string? Distribution { get; set; }

        public string? Version { get; set; }

        public bool Virtio { get; set; }

        public bool Legacy { get; set; }

        public string? Description { get; set; }
    }
}
