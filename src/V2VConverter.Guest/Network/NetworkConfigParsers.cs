using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Network;

/// <summary>The network configuration systems a Linux guest can use.</summary>
public enum NetworkConfigSystem
{
    Ifupdown,
    Netplan,
    NetworkManager,
    Ifcfg,
    SystemdNetworkd,
}

/// <summary>
/// A physical interface the guest's network config refers to. <see cref="Name"/> is null when the
/// config binds by MAC only; <see cref="MacAddress"/> is lower-case colon form when the config names one.
/// </summary>
public sealed record ConfiguredInterface(string? Name, string? MacAddress, NetworkConfigSystem System, string File);

/// <summary>
/// Pure parsers: config file text in, the physical interfaces it names out. One file per system
/// (<c>NetworkConfigParsers.Ifupdown.cs</c>, <c>.Netplan.cs</c>, <c>.NetworkManager.cs</c>, <c>.Ifcfg.cs</c>,
/// <c>.Networkd.cs</c>); this one holds what they share.
/// </summary>
public static partial class NetworkConfigParsers
{
    /// <summary>Names of physical NICs: ethN, ensN, enpXsY, enoN, enxMAC, emN, pXpY. Bonds, bridges, VLANs, lo are not.</summary>
    public static bool IsPhysicalName(string name) => PhysicalRegex().IsMatch(name);

    public static string? NormalizeMac(string? mac)
    {
        if (string.IsNullOrWhiteSpace(mac))
        {
            return null;
        }

        mac = mac.Trim().Trim('"', '\'');
        if (mac.Contains(';', StringComparison.Ordinal))
        {
            // NetworkManager's old byte-list form: 0;80;86;58;113;12;
            var bytes = mac.Split(';', StringSplitOptions.RemoveEmptyEntries);
            if (bytes.Length != 6 || !bytes.All(b => byte.TryParse(b, out _)))
            {
                return null;
            }

            return string.Join(':', bytes.Select(b => byte.Parse(b, System.Globalization.CultureInfo.InvariantCulture).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        mac = mac.Replace('-', ':').ToLowerInvariant();
        return MacRegex().IsMatch(mac) ? mac : null;
    }

    private static Dictionary<(string Section, string Key), string> ParseIni(string text)
    {
        var d = new Dictionary<(string, string), string>();
        var section = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                section = line[1..^1].Trim();
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var key = line[..eq].Trim();
                var value = line[(eq + 1)..].Trim();
                // systemd: a repeated key appends to a list (names and MACs).
                d[(section, key)] = d.TryGetValue((section, key), out var prev) && value.Length > 0 ? prev + " " + value : value;
            }
        }

        return d;
    }

    private static string Unquote(string s)
    {
        s = s.Trim();
        return s.Length >= 2 && (s[0] == '"' && s[^1] == '"' || s[0] == '\'' && s[^1] == '\'') ? s[1..^1] : s;
    }

    private static string StripComment(string line)
    {
        var t = line.TrimStart();
        return t.StartsWith('#') ? "" : line;
    }

    private static string BaseName(string name)
    {
        // ens160:0 (alias) and ens160.10 (VLAN) both ride on ens160.
        var cut = name.IndexOfAny([':', '.']);
        return cut > 0 ? name[..cut] : name;
    }

    private static bool HasGlob(string s) => s.IndexOfAny(['*', '?', '[']) >= 0;

    [GeneratedRegex(@"^(?:eth[0-9]+|en[a-z][a-z0-9]+|em[0-9]+|p[0-9]+p[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex PhysicalRegex();

    [GeneratedRegex(@"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$", RegexOptions.CultureInvariant)]
    private static partial Regex MacRegex();
}
