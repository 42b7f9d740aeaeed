using System.Globalization;
using System.Text.RegularExpressions;

namespace V2VConverter.Sources.Ova;

/// <summary>
/// OVF allocation units (DSP0004 programmatic units, as <c>rasd:AllocationUnits</c> and <c>ovf:capacityAllocationUnits</c>
/// write them): <c>byte</c>, <c>byte * 2^20</c>, <c>byte*2^30</c>, <c>byte * 10^6</c>, <c>byte * 1024</c>, and the
/// named forms VirtualBox and older tools write (<c>KiloBytes</c>, <c>MegaBytes</c>, <c>GigaBytes</c>, <c>MB</c>...).
/// </summary>
public static partial class OvfUnits
{
    /// <summary>The largest disk capacity accepted: 64 TiB, VMware's own limit for a virtual disk.</summary>
    public const long MaxDiskBytes = 64L << 40;

    /// <summary>How many bytes one unit is; a FormatException (saying why) for anything else.</summary>
    public static long BytesPer(string units)
    {
        ArgumentNullException.ThrowIfNull(units);
        var s = units.Trim();
        var named = s.ToLowerInvariant() switch
        {
            "byte" or "bytes" or "b" => 1L,
            "kilobyte" or "kilobytes" or "kb" or "kib" => 1L << 10,
            "megabyte" or "megabytes" or "mb" or "mib" => 1L << 20,
            "gigabyte" or "gigabytes" or "gb" or "gib" => 1L << 30,
            "terabyte" or "terabytes" or "tb" or "tib" => 1L << 40,
            _ => 0L,
        };
        if (named != 0)
        {
            return named;
        }

        var m = Programmatic().Match(s);
        if (!m.Success)
        {
            throw new FormatException("expected byte, byte * 2^N, byte * 10^N, byte * N or KiloBytes/MegaBytes/GigaBytes");
        }

        long result = 1;
        foreach (Capture c in m.Groups["factor"].Captures)
        {
            var f = c.Value.Replace(" ", "", StringComparison.Ordinal);
            long factor;
            var caret = f.IndexOf('^', StringComparison.Ordinal);
            if (caret > 0)
            {
                var b = long.Parse(f[..caret], CultureInfo.InvariantCulture);
                var e = int.Parse(f[(caret + 1)..], CultureInfo.InvariantCulture);
                if (b is not (2 or 10) || e > (b == 2 ? 50 : 15))
                {
                    throw new FormatException($"factor {f} is not 2^0..2^50 or 10^0..10^15");
                }

                factor = 1;
                for (var i = 0; i < e; i++)
                {
                    factor *= b;
                }
            }
            else if (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out factor) || factor is 0 or > 1L << 50)
            {
                throw new FormatException($"factor {f} is not a number from 1 to 2^50");
            }

            if (result > (1L << 50) / factor)
            {
                throw new FormatException("the unit is larger than 2^50 bytes");
            }

            result *= factor;
        }

        return result;
    }

    [GeneratedRegex(@"^bytes?(?:\s*\*\s*(?<factor>[0-9]{1,16}(?:\s*\^\s*[0-9]{1,3})?))*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Programmatic();
}

/// <summary>The rule for a file name an OVF refers to: a plain name inside the package, never absolute, never "..".</summary>
public static class OvfReference
{
    /// <summary>Throws InvalidDataException naming the file, line, reference and name when <paramref name="href"/> leaves the package.</summary>
    public static void Check(string origin, int line, string id, string href)
    {
        ArgumentNullException.ThrowIfNull(href);
        string? problem = null;
        if (href.Length == 0)
        {
            problem = "is empty";
        }
        else if (href.Contains('\0', StringComparison.Ordinal) || href.Any(char.IsControl))
        {
            problem = "contains a control character";
        }
        else if (href.StartsWith('/') || href.StartsWith('\\') || Path.IsPathRooted(href) || (href.Length >= 2 && href[1] == ':'))
        {
            problem = "is an absolute path; only names inside the package are read";
        }
        else if (href.Contains("://", StringComparison.Ordinal) || href.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            problem = "is a URL; only names inside the package are read";
        }
        else if (href.Split('/', '\\').Any(seg => seg == ".."))
        {
            problem = "contains \"..\" and points outside the package";
        }

        if (problem is not null)
        {
            throw new InvalidDataException($"{origin}: line {line}: <File> ovf:id \"{id}\": ovf:href = \"{href}\" {problem}");
        }
    }
}
