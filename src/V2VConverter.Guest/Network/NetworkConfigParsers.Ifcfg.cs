namespace V2VConverter.Guest.Network;

/// <summary>Red Hat/SUSE <c>ifcfg-*</c> files.</summary>
public static partial class NetworkConfigParsers
{
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
}
