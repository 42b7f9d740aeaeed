namespace V2VConverter.Guest.Network;

/// <summary>NetworkManager keyfiles.</summary>
public static partial class NetworkConfigParsers
{
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
}
