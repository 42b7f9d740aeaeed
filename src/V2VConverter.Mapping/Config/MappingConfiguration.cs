using Microsoft.Extensions.Configuration;
using V2VConverter.Model.IO;

namespace V2VConverter.Mapping.Config;

/// <summary>Where the rules come from, lowest precedence first.</summary>
public sealed record MappingSources
{
    /// <summary>A directory holding the default mapping files; null uses the copies embedded in the build.</summary>
    public string? MappingsDirectory { get; init; }

    /// <summary>virt-v2v.conf (INI, or JSON when it ends in .json); null to look in the usual places.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>User plug-in mapping files (--mapping), JSON or INI, applied in order over the defaults and the conf file.</summary>
    public IReadOnlyList<string> UserMappingFiles { get; init; } = [];

    /// <summary>Environment variables to read (V2V_ prefix, "__" separates key parts); null for the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Command-line settings (--set key=value, and options such as --bridge turned into keys). Highest precedence.</summary>
    public IReadOnlyDictionary<string, string?> CommandLine { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// Loads mapping rules through Microsoft.Extensions.Configuration: default mapping files, then
/// virt-v2v.conf, then user mapping files, then V2V_* environment variables, then the command line.
/// </summary>
public static class MappingConfiguration
{
    public const string EnvironmentPrefix = "V2V_";

    /// <summary>A mapping or configuration file larger than this is refused before it is parsed.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    public static readonly string[] DefaultFiles = ["guest-os.json", "networks.json", "storage.json", "devices.json", "firmware.json", "tuning.json"];

    public static IConfigurationRoot Load(MappingSources sources, out IReadOnlyList<string> loadedFiles)
    {
        var files = new List<string>();
        var builder = new ConfigurationBuilder();
        var labels = new List<string>(); // labels[i] names builder.Sources[i], for errors
        foreach (var name in DefaultFiles)
        {
            if (name == "guest-os.json")
            {
                continue; // read by the guest OS catalog
            }

            if (sources.MappingsDirectory is not null && File.Exists(Path.Combine(sources.MappingsDirectory, name)))
            {
                var path = Path.GetFullPath(Path.Combine(sources.MappingsDirectory, name));
                AddFile(builder, path);
                files.Add(path);
            }
            else
            {
                builder.AddJsonStream(OpenEmbedded(name));
                files.Add($"(built-in) mappings/{name}");
            }

            labels.Add(files[^1]);
        }

        var conf = sources.ConfigFile ?? FindConfigFile(sources.Environment);
        if (conf is not null)
        {
            if (!File.Exists(conf))
            {
                throw new FileNotFoundException($"{conf}: configuration file not found", conf);
            }

            AddFile(builder, conf);
            files.Add(conf);
            labels.Add(conf);
        }

        foreach (var f in sources.UserMappingFiles)
        {
            if (!File.Exists(f))
            {
                throw new FileNotFoundException($"{f}: mapping file not found", f);
            }

            AddFile(builder, Path.GetFullPath(f));
            files.Add(Path.GetFullPath(f));
            labels.Add(files[^1]);
        }

        if (sources.Environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            builder.AddInMemoryCollection(sources.Environment
                .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                .Select(kv => new KeyValuePair<string, string?>(kv.Key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal), kv.Value)));
        }

        labels.Add("V2V_* environment variables");
        builder.AddInMemoryCollection(sources.CommandLine);
        labels.Add("the command line (--set, --bridge, --network, --tuning)");
        loadedFiles = files;
        try
        {
            var root = builder.Build();
            CheckRuleKeys(root, labels);
            return root;
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"mapping configuration: {ex.Message}");
        }
    }

    /// <summary>Keys a rule may hold besides its conditions: its priority, its values, and comments.</summary>
    public static readonly IReadOnlySet<string> RuleValueKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "priority", "target", "model", "bus", "type", "mode", "offset", "enabled", "pool", "directory", "format", "description", "comment", "_comment",
    };

    /// <summary>
    /// Every key of every rule must be a condition the engine tests or a value it reads: a misspelt
    /// condition would otherwise be skipped and widen the rule. The error names the file that set it.
    /// </summary>
    private static void CheckRuleKeys(IConfigurationRoot root, IReadOnlyList<string> labels)
    {
        foreach (var rules in Descendants(root).Where(s => string.Equals(s.Key, "rules", StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var rule in rules.GetChildren())
            {
                foreach (var key in rule.GetChildren())
                {
                    if (Rules.RuleSet.ConditionKeys.Contains(key.Key) || RuleValueKeys.Contains(key.Key))
                    {
                        continue;
                    }

                    var providers = root.Providers.ToList();
                    var origin = Enumerable.Range(0, providers.Count).Reverse().FirstOrDefault(i => providers[i].TryGet(key.Path, out _) || providers[i].GetChildKeys([], key.Path).Any(), -1);
                    var where = origin >= 0 && origin < labels.Count ? labels[origin] : "mapping configuration";
                    throw new InvalidDataException(
                        $"{where}: rule {rule.Path.Replace(':', '.')}: unknown key \"{key.Key}\" (conditions: {string.Join(", ", Rules.RuleSet.ConditionKeys.Order(StringComparer.Ordinal))}; values: {string.Join(", ", RuleValueKeys.Where(k => k[0] != '_'))})");
                }
            }
        }
    }

    private static IEnumerable<IConfigurationSection> Descendants(IConfiguration c)
    {
        foreach (var child in c.GetChildren())
        {
            yield return child;
            foreach (var d in Descendants(child))
            {
                yield return d;
            }
        }
    }

    /// <summary>$V2V_CONFIG, then ~/.config/v2v/virt-v2v.conf, then /etc/v2v/virt-v2v.conf.</summary>
    public static string? FindConfigFile(IReadOnlyDictionary<string, string?>? env)
    {
        string? Get(string k) => env is null ? System.Environment.GetEnvironmentVariable(k) : env.TryGetValue(k, out var v) ? v : null;
        var explicitPath = Get("V2V_CONFIG");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        var home = Get("XDG_CONFIG_HOME") ?? (Get("HOME") is { } h ? Path.Combine(h, ".config") : null);
        foreach (var candidate in new[] { home is null ? null : Path.Combine(home, "v2v", "virt-v2v.conf"), "/etc/v2v/virt-v2v.conf" })
        {
            if (candidate is not null && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static void AddFile(ConfigurationBuilder builder, string path)
    {
        // Parse eagerly so a broken file is reported by name. Bounded; a FIFO or a device is refused.
        var text = InputFile.ReadAllText(path, MaxFileBytes);
        var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var probe = new ConfigurationBuilder();
        try
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                probe.AddJsonStream(new MemoryStream(stream.ToArray())).Build();
                builder.AddJsonStream(stream);
            }
            else
            {
                probe.AddIniStream(new MemoryStream(stream.ToArray())).Build();
                builder.AddIniStream(stream);
            }
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {ex.Message.ReplaceLineEndings(" ")}");
        }
    }

    public static Stream OpenEmbedded(string name) =>
        typeof(MappingConfiguration).Assembly.GetManifestResourceStream("mappings/" + name)
        ?? throw new InvalidOperationException($"embedded mapping file {name} is missing from the build");
}
