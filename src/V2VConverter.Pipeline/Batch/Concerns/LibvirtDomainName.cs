using System.Globalization;
using System.Text;
using V2VConverter.Mapping.Plan;

namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>What is wrong with a domain name: whether libvirt (or its qemu driver) refuses it, and why.</summary>
public sealed record DomainNameProblem(bool Refused, string Reason);

/// <summary>
/// What libvirt accepts as a domain name. Its schema (domaincommon.rng, <c>objectNameWithSlash</c>: <c>[^\n]+</c>) and
/// the define path refuse an empty name (VIR_ERR_NO_NAME) and a newline (<c>virXMLCheckIllegalChars("name", ..., "\n")</c>
/// in every driver's DefineXML), and the domain parser refuses '/' ("name ... cannot contain '/'", checked with libvirt
/// 9.0's test driver). The qemu driver stores the definition as <c>NAME.xml</c>, so a name longer than
/// <see cref="MaxBytes"/> UTF-8 bytes fails when it is saved (NAME_MAX is 255). Other control characters and leading or
/// trailing blanks are accepted, but shells and virsh mishandle them: a warning.
/// </summary>
public static class LibvirtDomainName
{
    /// <summary>NAME_MAX (255) less ".xml".</summary>
    public const int MaxBytes = 251;

    /// <summary>The problem with <paramref name="name"/>, or null when libvirt takes it as it is.</summary>
    public static DomainNameProblem? Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return new DomainNameProblem(true, "is empty: libvirt needs a name");
        }

        if (name.Contains('/', StringComparison.Ordinal))
        {
            return new DomainNameProblem(true, "contains '/', which libvirt refuses in a domain name");
        }

        if (name.Contains('\n', StringComparison.Ordinal))
        {
            return new DomainNameProblem(true, "contains a newline, which libvirt refuses in a domain name");
        }

        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
        {
            return new DomainNameProblem(true, $"is {bytes} bytes long: the qemu driver cannot store a name longer than {MaxBytes} bytes (NAME.xml)");
        }

        if (name.Any(char.IsControl))
        {
            return new DomainNameProblem(false, "contains control characters: libvirt accepts them, but virsh and shells mishandle them");
        }

        if (name.Trim().Length != name.Length)
        {
            return new DomainNameProblem(false, "starts or ends with blanks: libvirt accepts them, but virsh and shells mishandle them");
        }

        return null;
    }

    /// <summary>
    /// A name libvirt takes as it is, made from <paramref name="name"/> (or <paramref name="fallback"/>, the source
    /// name, when that is blank): the file-safe form the converter gives its output files.
    /// </summary>
    public static string Suggest(string name, string fallback)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fallback);
        return Planner.SafeFileName(string.IsNullOrWhiteSpace(name) ? fallback : name);
    }

    /// <summary>The name with control characters shown as escapes (\n, \t, \x1B), for one-line messages.</summary>
    public static string Printable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var s = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            s.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\x" + ((int)c).ToString("X2", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return s.ToString();
    }
}
