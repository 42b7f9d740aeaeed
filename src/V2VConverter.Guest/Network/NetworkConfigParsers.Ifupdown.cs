namespace V2VConverter.Guest.Network;

/// <summary>Debian's ifupdown: <c>/etc/network/interfaces</c> and <c>interfaces.d/*</c>.</summary>
public static partial class NetworkConfigParsers
{
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
}
