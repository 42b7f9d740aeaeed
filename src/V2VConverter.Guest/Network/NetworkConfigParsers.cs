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

/// <summary>Pure parsers: config file text in, the physical interfaces it names out.</summary>
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

    /// <summary>ifupdown: <c>/etc/network/interfaces</c> and <c>interfaces.d/*</c>.</summary>
    public static IReadOnlyList<ConfiguredInterface> ParseIfupdown(string file, string text)
    {
        var found = new List<ConfiguredInterface>();
        string? current = null;
        var macs = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new List<string>();
        void Add(string n)
        {
            n = BaseName(n);
            if (IsPhysicalName(n) && !names.Contains(n))
            {
                names.Add(n);
            }
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = StripComment(raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var tok = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            switch (tok[0])
            {
                case "iface" when tok.Length >= 2:
                    current = BaseName(tok[1]);
                    Add(tok[1]);
                    break;
                case "auto" or "allow-hotplug" or "allow-auto" or "mapping":
                case var a when a.StartsWith("allow-", StringComparison.Ordinal):
                    foreach (var n in tok.Skip(1))
                    {
                        Add(n);
                    }

                    break;
                case "bond-slaves" or "slaves" or "bridge_ports" or "bridge-ports" or "vlan-raw-device" or "vlan_raw_device" or "bond-primary":
                    foreach (var n in tok.Skip(1))
                    {
                        Add(n);
                    }

                    break;
                case "hwaddress" when current is not null:
                    var mac = NormalizeMac(tok.Length >= 3 && tok[1] == "ether" ? tok[2] : tok.Length >= 2 ? tok[1] : null);
                    if (mac is not null)
                    {
                        macs[current] = mac;
                    }

                    break;
            }
        }

        foreach (var n in names)
        {
            found.Add(new ConfiguredInterface(n, macs.GetValueOrDefault(n), NetworkConfigSystem.Ifupdown, file));
        }

        return found;
    }

    /// <summary>
    /// netplan YAML (<c>/etc/netplan/*.yaml</c>): the IDs under <c>network: ethernets:</c>, with
    /// <c>match: macaddress:</c>/<c>match: name:</c> and <c>set-name:</c>. An indentation reader, enough for netplan's block style.
    /// </summary>
    public static IReadOnlyList<ConfiguredInterface> ParseNetplan(string file, string text)
    {
        var found = new List<ConfiguredInterface>();
        var lines = text.Split('\n').Select(l => StripComment(l.TrimEnd('\r'))).Where(l => l.Trim().Length > 0).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var (ind, key, _) = YamlKey(lines[i]);
            if (key != "ethernets")
            {
                continue;
            }

            var childIndent = -1;
            string? id = null, setName = null, matchName = null, mac = null;
            var inMatch = -1;
            void Flush()
            {
                if (id is null)
                {
                    return;
                }

                var name = setName ?? (matchName is not null && !HasGlob(matchName) ? matchName : null) ?? (mac is null && matchName is null ? id : null);
                found.Add(new ConfiguredInterface(name, mac, NetworkConfigSystem.Netplan, file));
                id = setName = matchName = mac = null;
            }

            for (var j = i + 1; j < lines.Count; j++)
            {
                var (ci, ck, cv) = YamlKey(lines[j]);
                if (ci <= ind)
                {
                    break;
                }

                if (childIndent < 0)
                {
                    childIndent = ci;
                }

                if (ci == childIndent)
                {
                    Flush();
                    id = ck;
                    inMatch = -1;
                    continue;
                }

                if (ck == "match")
                {
                    inMatch = ci;
                    continue;
                }

                if (inMatch >= 0 && ci <= inMatch)
                {
                    inMatch = -1;
                }

                switch (ck)
                {
                    case "set-name":
                        setName = Unquote(cv);
                        break;
                    case "macaddress" when inMatch >= 0:
                        mac = NormalizeMac(cv);
                        break;
                    case "name" when inMatch >= 0:
                        matchName = Unquote(cv);
                        break;
                }
            }

            Flush();
        }

        return found;
    }

    /// <summary>NetworkManager keyfile (<c>/etc/NetworkManager/system-connections/*.nmconnection</c>), ethernet connections only.</summary>
    public static IReadOnlyList<ConfiguredInterface> ParseNetworkManagerKeyfile(string file, string text)
    {
        var ini = ParseIni(text);
        var type = ini.GetValueOrDefault(("connection", "type"));
        if (type is not null && type is not "ethernet" and not "802-3-ethernet")
        {
            return [];
        }

        var name = ini.GetValueOrDefault(("connection", "interface-name"));
        var mac = NormalizeMac(ini.GetValueOrDefault(("ethernet", "mac-address")) ?? ini.GetValueOrDefault(("802-3-ethernet", "mac-address")));
        if (name is null && mac is null)
        {
            return [];
        }

        return [new ConfiguredInterface(name, mac, NetworkConfigSystem.NetworkManager, file)];
    }

    /// <summary>Red Hat/SUSE <c>ifcfg-*</c>: DEVICE (or the file name), HWADDR; bridges, bonds, VLANs and lo are skipped.</summary>
    public static IReadOnlyList<ConfiguredInterface> ParseIfcfg(string file, string text)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                vars[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
            }
        }

        var type = vars.GetValueOrDefault("TYPE");
        if (type is not null && !type.Equals("Ethernet", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var fromFile = Path.GetFileName(file);
        fromFile = fromFile.StartsWith("ifcfg-", StringComparison.Ordinal) ? fromFile[6..] : null;
        var name = vars.GetValueOrDefault("DEVICE") ?? vars.GetValueOrDefault("INTERFACE") ?? fromFile;
        if (name is not null)
        {
            name = BaseName(name);
        }

        var mac = NormalizeMac(vars.GetValueOrDefault("HWADDR") ?? vars.GetValueOrDefault("LLADDR"));
        if (name is not null && !IsPhysicalName(name))
        {
            return [];
        }

        return name is null && mac is null ? [] : [new ConfiguredInterface(name, mac, NetworkConfigSystem.Ifcfg, file)];
    }

    /// <summary>systemd-networkd <c>.network</c> files: <c>[Match] Name=</c> (globs are skipped) and <c>MACAddress=</c>.</summary>
    public static IReadOnlyList<ConfiguredInterface> ParseNetworkd(string file, string text)
    {
        var ini = ParseIni(text);
        var names = (ini.GetValueOrDefault(("Match", "Name")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(n => !HasGlob(n) && IsPhysicalName(n)).ToList();
        var macs = (ini.GetValueOrDefault(("Match", "MACAddress")) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(NormalizeMac).Where(m => m is not null).ToList();
        var result = new List<ConfiguredInterface>();
        foreach (var n in names)
        {
            result.Add(new ConfiguredInterface(n, macs.Count == 1 ? macs[0] : null, NetworkConfigSystem.SystemdNetworkd, file));
        }

        if (names.Count == 0)
        {
            result.AddRange(macs.Select(m => new ConfiguredInterface(null, m, NetworkConfigSystem.SystemdNetworkd, file)));
        }

        return result;
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

    private static (int Indent, string? Key, string Value) YamlKey(string line)
    {
        var ind = line.Length - line.TrimStart(' ').Length;
        var t = line.Trim();
        if (t.StartsWith("- ", StringComparison.Ordinal))
        {
            return (ind, null, t[2..]);
        }

        var colon = t.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return (ind, null, t);
        }

        return (ind, Unquote(t[..colon].Trim()), t[(colon + 1)..].Trim());
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
