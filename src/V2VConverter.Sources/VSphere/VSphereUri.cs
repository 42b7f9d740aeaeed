using System.Globalization;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>Which kind of vSphere endpoint a URI names.</summary>
public enum VSphereEndpointKind
{
    /// <summary><c>esx://</c>: an ESXi host talked to directly.</summary>
    Esx,

    /// <summary><c>vpx://</c>: a vCenter Server, with a datacenter (and optionally cluster/host) path.</summary>
    VCenter,
}

/// <summary>
/// A source URI in the form virt-v2v and libvirt write:
/// <c>esx://[user@]host[:port]/[?no_verify=1]</c> or
/// <c>vpx://[user@]vcenter[:port]/Datacenter[/Folder...]/Cluster/Host[?no_verify=1]</c>.
/// A malformed URI is a command-line mistake, so <see cref="Parse"/> throws
/// <see cref="UsageException"/> (exit code 2) with a message naming the exact problem.
/// A password inside the URI is refused: passwords never travel on the command line.
/// </summary>
public sealed record VSphereUri
{
    public const int DefaultPort = 443;

    public required VSphereEndpointKind Kind { get; init; }

    /// <summary>The user name from the URI (percent-decoded), or null when absent.</summary>
    public string? User { get; init; }

    /// <summary>Host name or address; IPv6 literals are kept without brackets.</summary>
    public required string Host { get; init; }

    public int Port { get; init; } = DefaultPort;

    /// <summary>Path segments after the host (vpx: Datacenter[/Folder...]/Cluster/Host), percent-decoded.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    /// <summary><c>?no_verify=1</c>: accept any server certificate (with a warning).</summary>
    public bool NoVerify { get; init; }

    /// <summary>The scheme as written: <c>esx</c> or <c>vpx</c>.</summary>
    public string Scheme => Kind == VSphereEndpointKind.Esx ? "esx" : "vpx";

    /// <summary>host:port, with brackets around IPv6 literals, as used in HTTP.</summary>
    public string Authority => (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The SOAP endpoint, <c>https://host:port/sdk</c>.</summary>
    public Uri SdkUri => new($"https://{Authority}/sdk");

    /// <summary>The base of datastore file URLs, <c>https://host:port/</c>.</summary>
    public Uri BaseUri => new($"https://{Authority}/");

    /// <summary>True for strings that start with a scheme this parser owns.</summary>
    public static bool IsVSphereUri(string text) =>
        text.StartsWith("esx://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("vpx://", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the text looks like any URI (has "scheme://"), so callers can report an unknown scheme.</summary>
    public static bool LooksLikeUri(string text)
    {
        var i = text.IndexOf("://", StringComparison.Ordinal);
        return i > 0 && text[..i].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }

    public static VSphereUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0)
        {
            throw Bad(text, "it has no scheme; write esx://host/ for an ESXi host or vpx://vcenter/Datacenter/Cluster/Host for a vCenter");
        }

        var scheme = text[..sep].ToLowerInvariant();
        var kind = scheme switch
        {
            "esx" => VSphereEndpointKind.Esx,
            "vpx" => VSphereEndpointKind.VCenter,
            _ => throw Bad(text, $"unknown scheme \"{text[..sep]}\"; use esx:// for an ESXi host or vpx:// for a vCenter"),
        };

        var rest = text[(sep + 3)..];
        string? query = null;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw Bad(text, "a fragment (#...) is not allowed");
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var pathText = slash >= 0 ? rest[(slash + 1)..] : "";

        string? user = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = authority[..at];
            authority = authority[(at + 1)..];
            if (userInfo.Contains(':', StringComparison.Ordinal))
            {
                throw Bad(Redact(text), "a password in the URI is not accepted; use ~/.netrc, --password-file FILE or the V2V_PASSWORD environment variable");
            }

            if (userInfo.Length == 0)
            {
                throw Bad(text, "the user name before '@' is empty");
            }

            user = Decode(text, userInfo, "user name");
        }

        var (host, port) = ParseHostPort(text, authority);

        var segments = pathText.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => Decode(text, s, "path"))
            .ToArray();
        if (kind == VSphereEndpointKind.Esx && segments.Length > 0)
        {
            throw Bad(text, $"an esx:// URI names a host only; remove the path \"/{pathText}\" (use vpx:// for a vCenter inventory path)");
        }

        if (kind == VSphereEndpointKind.VCenter && segments.Length == 0)
        {
            throw Bad(text, "a vpx:// URI needs the datacenter path: vpx://user@vcenter/Datacenter[/Folder...]/Cluster/Host");
        }

        var noVerify = false;
        if (!string.IsNullOrEmpty(query))
        {
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = eq >= 0 ? pair[..eq] : pair;
                var value = eq >= 0 ? pair[(eq + 1)..] : "";
                switch (key)
                {
                    case "no_verify":
                        noVerify = value switch
                        {
                            "1" => true,
                            "0" => false,
                            _ => throw Bad(text, $"no_verify must be 0 or 1, not \"{value}\""),
                        };
                        break;
                    default:
                        throw Bad(text, $"unknown parameter \"{key}\" (only no_verify=1 is understood)");
                }
            }
        }

        return new VSphereUri { Kind = kind, User = user, Host = host, Port = port, Path = segments, NoVerify = noVerify };
    }

    /// <summary>The URI written back in canonical form (never contains a password).</summary>
    public override string ToString()
    {
        var user = User is null ? "" : Uri.EscapeDataString(User) + "@";
        var port = Port == DefaultPort ? "" : ":" + Port.ToString(CultureInfo.InvariantCulture);
        var host = Host.Contains(':') ? $"[{Host}]" : Host;
        var path = string.Join('/', Path.Select(Uri.EscapeDataString));
        return $"{Scheme}://{user}{host}{port}/{path}{(NoVerify ? "?no_verify=1" : "")}";
    }

    private static (string Host, int Port) ParseHostPort(string text, string authority)
    {
        if (authority.Length == 0)
        {
            throw Bad(text, "the host is missing (expected esx://host/ or vpx://vcenter/Datacenter/...)");
        }

        string host;
        string? portText = null;
        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Bad(text, "an IPv6 address opened with '[' is not closed with ']'");
            }

            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw Bad(text, $"unexpected \"{after}\" after the IPv6 address");
                }

                portText = after[1..];
            }
        }
        else
        {
            var colon = authority.IndexOf(':', StringComparison.Ordinal);
            host = colon >= 0 ? authority[..colon] : authority;
            portText = colon >= 0 ? authority[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw Bad(text, "the host is missing (expected esx://host/ or vpx://vcenter/Datacenter/...)");
        }

        if (host.Any(c => char.IsWhiteSpace(c) || c is '%' or '\\'))
        {
            throw Bad(text, $"the host \"{host}\" contains a character not allowed in a host name");
        }

        var port = DefaultPort;
        if (portText is not null)
        {
            if (portText.Length == 0)
            {
                throw Bad(text, $"a colon after the host \"{host}\" must be followed by a port number (write {host}:443 or drop the colon)");
            }

            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw Bad(text, $"the port \"{portText}\" is not a number from 1 to 65535");
            }
        }

        return (host, port);
    }

    private static string Decode(string text, string part, string what)
    {
        try
        {
            return Uri.UnescapeDataString(part);
        }
        catch (UriFormatException)
        {
            throw Bad(text, $"the {what} \"{part}\" has a bad %-escape");
        }
    }

    private static string Redact(string text)
    {
        var sep = text.IndexOf("://", StringComparison.Ordinal);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (sep < 0 || at < sep)
        {
            return text;
        }

        var colon = text.IndexOf(':', sep + 3);
        return colon > 0 && colon < at ? text[..colon] + ":***" + text[at..] : text;
    }

    private static UsageException Bad(string text, string why) => new($"bad source URI \"{text}\": {why}");
}
