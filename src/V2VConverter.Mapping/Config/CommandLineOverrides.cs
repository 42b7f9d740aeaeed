using System.Globalization;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Mapping.Config;

/// <summary>The mapping options of the command line (--bridge, --network, --set, --tuning) as rule overrides; shared by convert and batch plans.</summary>
public static class CommandLineOverrides
{
    /// <summary>The overrides, highest priority (<see cref="MappingSources.CommandLine"/>); a malformed value is a <see cref="UsageException"/>.</summary>
    public static Dictionary<string, string?> Build(IReadOnlyList<string> bridges, IReadOnlyList<string> networks, IReadOnlyList<string> sets, string? tuning)
    {
        ArgumentNullException.ThrowIfNull(bridges);
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(sets);

        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var n = 0;
        foreach (var (option, kind, values) in new[] { ("--bridge", "bridge", bridges), ("--network", "network", networks) })
        {
            foreach (var v in values)
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

        foreach (var kv in sets)
        {
            var eq = kv.IndexOf('=');
            if (eq <= 0)
            {
                throw new UsageException($"--set \"{kv}\": expected KEY=VALUE (for example networks:default=bridge:br0)");
            }

            overrides[kv[..eq]] = kv[(eq + 1)..];
        }

        if (tuning is not null)
        {
            overrides["tuning:profile"] = tuning;
        }

        return overrides;
    }
}
