namespace V2VConverter.Guest.Network;

/// <summary>Ubuntu's netplan YAML.</summary>
public static partial class NetworkConfigParsers
{
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
}
