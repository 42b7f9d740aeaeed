namespace V2VConverter.Guest.Network;

/// <summary>systemd-networkd <c>.network</c> files.</summary>
public static partial class NetworkConfigParsers
{
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
}
