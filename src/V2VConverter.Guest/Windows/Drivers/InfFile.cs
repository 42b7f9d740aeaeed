using System.Globalization;
using System.Text;

namespace V2VConverter.Guest.Windows.Drivers;

/// <summary>
/// A Windows driver INF, parsed for what registering a boot driver needs: the [Version] values, the hardware IDs of
/// the models for an architecture, and the services the install sections add.
/// </summary>
/// <remarks>
/// Text: UTF-16 with BOM, UTF-16LE without BOM, UTF-8 (BOM or not) or ANSI (read as Latin-1); ';' starts a comment
/// outside quotes; a line ending in '\' continues on the next; repeated sections are merged; section names and keys
/// are case-insensitive. Every value is split on commas outside quotes, unquoted and trimmed, then %token% is replaced
/// by the token's [Strings] value (a [Strings.LLLL] section fills in tokens [Strings] lacks); %% is '%'; an unknown
/// token such as the directory id %12% stays as written. Files over 4 MiB, binary data, an unterminated section
/// header, a missing [Version] section and a non-numeric service number throw <see cref="InvalidDataException"/>
/// naming the file.
/// </remarks>
public sealed class InfFile
{
    private readonly string _name;
    private readonly List<(string Name, List<InfLine> Lines)> _sections;
    private readonly Dictionary<string, string> _strings = new(StringComparer.OrdinalIgnoreCase);

    private InfFile(string name, List<(string Name, List<InfLine> Lines)> sections)
    {
        _name = name;
        _sections = sections;
        foreach (var (section, lines) in sections.Where(s => IsStrings(s.Name)).OrderBy(s => s.Name.Length))
        {
            foreach (var line in lines.Where(l => l.Key is not null))
            {
                _strings.TryAdd(line.Key!, line.Value);
            }
        }

        if (Lines("Version") is null)
        {
            throw new InvalidDataException($"INF '{name}' has no [Version] section");
        }

        Services = ReadServices();
    }

    /// <summary>The device setup class (<c>SCSIAdapter</c>, <c>Net</c>, <c>System</c>), [Version] Class.</summary>
    public string? Class => Section("Version", "Class");

    /// <summary>The setup class GUID with its braces, [Version] ClassGuid.</summary>
    public string? ClassGuid => Section("Version", "ClassGuid");

    /// <summary>The provider with %strings% substituted ("Red Hat, Inc.").</summary>
    public string? Provider => Section("Version", "Provider");

    /// <summary>"date,version" as written ("07/26/2024,100.95.104.26200").</summary>
    public string? DriverVer => Section("Version", "DriverVer");

    /// <summary>[Version] CatalogFile, or the first decorated <c>CatalogFile.NTxxx</c> when there is no plain one.</summary>
    public string? CatalogFile => Section("Version", "CatalogFile")
        ?? Lines("Version")!.Where(l => l.Key?.StartsWith("CatalogFile.", StringComparison.OrdinalIgnoreCase) == true)
                            .Select(Join).FirstOrDefault();

    /// <summary>Every service of every <c>*.Services</c> section's AddService lines, first one per name (case-insensitive); a null service (empty name) is left out.</summary>
    public IReadOnlyList<InfService> Services { get; }

    /// <summary>Parses an INF from its bytes; <paramref name="nameForMessages"/> names it in exceptions.</summary>
    public static InfFile Parse(ReadOnlySpan<byte> bytes, string nameForMessages)
    {
        ArgumentNullException.ThrowIfNull(nameForMessages);
        var text = InfText.Decode(bytes, nameForMessages);
        return new InfFile(nameForMessages, InfText.Parse(text, nameForMessages));
    }

    /// <summary>
    /// The hardware IDs (the first ID of each model line, in order, without duplicates) of the models sections the
    /// [Manufacturer] entries name for <paramref name="arch"/>: every section decorated for the platform
    /// (<c>NTamd64</c> for "x86_64", <c>NTx86</c> for "i386", each with any <c>.major.minor.type.suite.build</c>
    /// TargetOSVersion tail, or plain <c>NT</c>); when an entry has no such decoration, its undecorated section.
    /// </summary>
    public IReadOnlyList<string> HardwareIds(string arch)
    {
        var platform = arch switch
        {
            "x86_64" => "NTamd64",
            "i386" => "NTx86",
            _ => throw new ArgumentException($"architecture must be \"x86_64\" or \"i386\", not \"{arch}\"", nameof(arch)),
        };
        var ids = new List<string>();
        foreach (var entry in Lines("Manufacturer") ?? [])
        {
            var models = Substitute(entry.Fields[0]);
            var decorations = entry.Fields.Skip(1).Select(Substitute).Where(d => d.Length > 0 && MatchesPlatform(d, platform)).ToList();
            var sections = decorations.Count > 0 ? decorations.Select(d => $"{models}.{d}").ToList() : [models];
            foreach (var line in sections.SelectMany(s => Lines(s) ?? []))
            {
                if (line.Fields.Count >= 2 && Substitute(line.Fields[1]) is { Length: > 0 } id
                    && !ids.Contains(id, StringComparer.OrdinalIgnoreCase))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    /// <summary>Bound on an INF file's size.</summary>
    public const int MaxBytes = InfText.MaxBytes;

    /// <summary>The install section (DDInstall) a model line for <paramref name="arch"/> gives <paramref name="hardwareId"/>: the configuration Windows records for the device; null when no model line names it.</summary>
    public string? InstallSection(string hardwareId, string arch)
    {
        var platform = arch == "x86_64" ? "NTamd64" : "NTx86";
        foreach (var entry in Lines("Manufacturer") ?? [])
        {
            var models = Substitute(entry.Fields[0]);
            var decorations = entry.Fields.Skip(1).Select(Substitute).Where(d => d.Length > 0 && MatchesPlatform(d, platform)).ToList();
            var sections = decorations.Count > 0 ? decorations.Select(d => $"{models}.{d}").ToList() : [models];
            var line = sections.SelectMany(s => Lines(s) ?? []).FirstOrDefault(l => l.Fields.Count >= 2 && string.Equals(Substitute(l.Fields[1]), hardwareId, StringComparison.OrdinalIgnoreCase));
            if (line is not null)
            {
                return Substitute(line.Fields[0]);
            }
        }

        return null;
    }

    /// <summary>The first value of <paramref name="key"/> in section <paramref name="name"/> (both case-insensitive): its fields, unquoted, trimmed, %substituted% and joined by commas; null when absent.</summary>
    public string? Section(string name, string key)
    {
        var line = Lines(name)?.FirstOrDefault(l => string.Equals(l.Key, key, StringComparison.OrdinalIgnoreCase));
        return line is null ? null : Join(line);
    }

    public override string ToString() => $"INF '{_name}' ({Class}, {Services.Count} services)";

    private static bool IsStrings(string section) =>
        string.Equals(section, "Strings", StringComparison.OrdinalIgnoreCase) || section.StartsWith("Strings.", StringComparison.OrdinalIgnoreCase);

    private static bool MatchesPlatform(string decoration, string platform)
    {
        var dot = decoration.IndexOf('.', StringComparison.Ordinal);
        var head = dot < 0 ? decoration : decoration[..dot];
        return string.Equals(head, platform, StringComparison.OrdinalIgnoreCase) || string.Equals(head, "NT", StringComparison.OrdinalIgnoreCase);
    }

    private List<InfLine>? Lines(string section) =>
        _sections.FirstOrDefault(s => string.Equals(s.Name, section, StringComparison.OrdinalIgnoreCase)).Lines;

    private string Join(InfLine line) => string.Join(",", line.Fields.Select(Substitute));

    private List<InfService> ReadServices()
    {
        var services = new List<InfService>();
        foreach (var (section, lines) in _sections.Where(s => s.Name.EndsWith(".Services", StringComparison.OrdinalIgnoreCase)))
        {
            foreach (var line in lines.Where(l => string.Equals(l.Key, "AddService", StringComparison.OrdinalIgnoreCase)))
            {
                var name = Substitute(line.Fields[0]);
                if (name.Length == 0 || services.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                var install = line.Fields.Count > 2 ? Substitute(line.Fields[2]) : "";
                services.Add(new InfService(
                    name,
                    Number(install, "ServiceType"),
                    Number(install, "StartType"),
                    Number(install, "ErrorControl"),
                    install.Length == 0 ? null : Section(install, "ServiceBinary"),
                    install.Length == 0 ? null : Section(install, "LoadOrderGroup")));
            }
        }

        return services;
    }

    private int? Number(string section, string key)
    {
        var text = section.Length == 0 ? null : Section(section, key);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n);
        return ok ? n : throw new InvalidDataException($"INF '{_name}' [{section}] {key}: '{text}' is not a number");
    }

    private string Substitute(string text)
    {
        var first = text.IndexOf('%', StringComparison.Ordinal);
        if (first < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length;)
        {
            var close = text[i] == '%' ? text.IndexOf('%', i + 1) : -1;
            if (text[i] != '%' || close < 0)
            {
                sb.Append(text[i++]);
                continue;
            }

            var token = text[(i + 1)..close];
            sb.Append(token.Length == 0 ? "%" : _strings.TryGetValue(token, out var v) ? v : $"%{token}%");
            i = close + 1;
        }

        return sb.ToString();
    }
}
