using System.Globalization;
using V2VConverter.Mapping.Config;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>The mapping options shared by inspect, xml and convert.</summary>
public static class PlanArgs
{
    public const string Usage = "[--bridge SRC:BR]... [--network SRC:NET]... [-os DIR] [-of qcow2|raw] [--mapping FILE]... [--config FILE] [--tuning PROFILE] [--set KEY=VALUE]... [--templates DIR]";

    public static PlanRequest Read(ArgReader args, CliContext context, bool compatibilityMode = false)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var n = 0;
        foreach (var (option, kind) in new[] { ("--bridge", "bridge"), ("--network", "network") })
        {
            foreach (var v in args.Values(option, option == "--bridge" ? "-b" : "-n"))
            {
                var colon = v.LastIndexOf(':');
                string source, target;
                if (colon < 0)
                {
                    // "--network NET" alone: the default for every source network (virt-v2v's -n OUT).
                    if (v.Length == 0)
                    {
                        throw new UsageException($"{option} needs SRC:{kind.ToUpperInvariant()} or {kind.ToUpperInvariant()}");
                    }

                    overrides["networks:default"] = $"{kind}:{v}";
                    continue;
                }

                source = v[..colon];
                target = v[(colon + 1)..];
                if (source.Length == 0 || target.Length == 0)
                {
                    throw new UsageException($"{option} \"{v}\": expected SRC:{kind.ToUpperInvariant()}");
                }

                var id = $"cli-{kind}-{++n}";
                overrides[$"networks:rules:{id}:priority"] = (1_000_000 + n).ToString(CultureInfo.InvariantCulture);
                overrides[$"networks:rules:{id}:match"] = source;
                overrides[$"networks:rules:{id}:target"] = $"{kind}:{target}";
            }
        }

        foreach (var kv in args.Values("--set"))
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0)
            {
                throw new UsageException($"--set \"{kv}\": expected KEY=VALUE (for example networks:default=bridge:br0)");
            }

            overrides[kv[..eq]] = kv[(eq + 1)..];
        }

        if (args.Value("--tuning") is { } tuning)
        {
            overrides["tuning:profile"] = tuning;
        }

        var outputDir = args.Value("-os", "--output-storage");
        var format = args.Value("-of", "--output-format")?.ToLowerInvariant();
        if (format is not null and not ("qcow2" or "raw"))
        {
            throw new UsageException($"-of \"{format}\": the output format is qcow2 or raw");
        }

        var mappings = args.Values("--mapping").Select(context.ResolvePath).ToList();
        var config = args.Value("--config") is { } c ? context.ResolvePath(c) : null;
        var templates = args.Value("--templates") is { } t ? context.ResolvePath(t) : null;
        var mappingsDir = args.Value("--mappings-dir") is { } md ? context.ResolvePath(md) : null;
        var env = context.Environment ?? Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        return new PlanRequest
        {
            Mapping = new MappingSources
            {
                MappingsDirectory = mappingsDir,
                ConfigFile = config,
                UserMappingFiles = mappings,
                Environment = env,
                CommandLine = overrides,
            },
            Options = new PlanOptions
            {
                OutputDirectory = outputDir is null ? null : context.ResolvePath(outputDir),
                OutputFormat = format,
                CompatibilityMode = compatibilityMode,
            },
            TemplatesDirectory = templates,
        };
    }
}
