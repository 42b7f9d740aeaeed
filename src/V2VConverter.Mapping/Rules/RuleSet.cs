using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Rules;

/// <summary>What a rule's conditions are tested against.</summary>
public sealed record RuleFacts(GuestOs Guest, string? Source = null, string? Name = null, string? ConnectionType = null);

/// <summary>A matched rule: its id ("devices.nic#virtio-capable") and its values.</summary>
public sealed record RuleMatch(string Id, IConfigurationSection Values)
{
    public string? Get(string key) => Values[key];
}

/// <summary>
/// A category of rules from configuration (e.g. devices:nic:rules). Condition keys: guestVirtio, family,
/// legacy, source, os, match, connectionType. The matching rule with the highest priority wins (then id order).
/// </summary>
public sealed class RuleSet(IConfiguration configuration, string path)
{
    /// <summary>The condition keys the engine tests; any other key of a rule must be a value (checked when the rules load).</summary>
    public static readonly IReadOnlySet<string> ConditionKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "guestVirtio", "family", "legacy", "source", "os", "match", "connectionType", "vnet",
    };

    public string Path { get; } = path;

    public RuleMatch? Decide(RuleFacts facts)
    {
        var rules = configuration.GetSection(Path + ":rules").GetChildren()
            .Select(r => (Rule: r, Priority: int.TryParse(r["priority"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0))
            .OrderByDescending(r => r.Priority)
            .ThenBy(r => r.Rule.Key, StringComparer.Ordinal);
        foreach (var (rule, _) in rules)
        {
            if (Matches(rule, facts))
            {
                return new RuleMatch($"{Path.Replace(':', '.')}#{rule.Key}", rule);
            }
        }

        return null;
    }

    private static bool Matches(IConfigurationSection rule, RuleFacts facts)
    {
        foreach (var cond in rule.GetChildren())
        {
            if (!ConditionKeys.Contains(cond.Key) || cond.Value is null)
            {
                continue;
            }

            var ok = cond.Key.ToLowerInvariant() switch
            {
                "guestvirtio" => bool.TryParse(cond.Value, out var b) && b == facts.Guest.HasVirtioDrivers,
                "legacy" => bool.TryParse(cond.Value, out var l) && l == facts.Guest.Legacy,
                "family" => string.Equals(cond.Value, facts.Guest.Family.ToString(), StringComparison.OrdinalIgnoreCase),
                "source" => Glob(cond.Value, facts.Source),
                "os" => Glob(cond.Value, facts.Guest.VmxId),
                "match" => Glob(cond.Value, facts.Name),
                "connectiontype" => Glob(cond.Value, facts.ConnectionType),
                "vnet" => Glob(cond.Value, facts.Name),
                _ => true,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Case-insensitive shell-style match: '*', '?', and classes such as [0-9], [abc] or [!x].</summary>
    public static bool Glob(string pattern, string? value)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (value is null)
        {
            return false;
        }

        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var close = c == '[' ? pattern.IndexOf(']', i + 2) : -1;
            if (c == '*')
            {
                regex.Append(".*");
            }
            else if (c == '?')
            {
                regex.Append('.');
            }
            else if (close > i + 1)
            {
                var body = pattern[(i + 1)..close];
                var negate = body.StartsWith('!');
                regex.Append('[').Append(negate ? "^" : "").Append(Regex.Escape(negate ? body[1..] : body).Replace("\\-", "-", StringComparison.Ordinal)).Append(']');
                i = close;
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return Regex.IsMatch(value, regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
