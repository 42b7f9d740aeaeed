using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Formats.Ova;

/// <summary>One digest of a manifest: the member it covers, its algorithm and its expected value (lower-case hex).</summary>
public readonly record struct ManifestEntry(string File, HashAlgorithmName Algorithm, string Digest, int Line);

/// <summary>
/// An OVF manifest (<c>.mf</c>): lines <c>SHA1(file)= hex</c>, <c>SHA256(file)= hex</c>, <c>SHA512(file)= hex</c>, as
/// ovftool and vSphere write them (the space after '=' may be missing or doubled; the hex may be upper case; CRLF
/// line ends). An unparsable line is a warning (logged and kept in <see cref="Warnings"/>), never a failure.
/// </summary>
public sealed partial class OvaManifest
{
    /// <summary>Largest manifest read into memory.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The sentence reported for a signed OVA: the .cert is not checked.</summary>
    public const string SignatureNotVerified = "signature not verified";

    private readonly Dictionary<string, ManifestEntry> _entries;

    private OvaManifest(string source, Dictionary<string, ManifestEntry> entries, IReadOnlyList<string> warnings)
    {
        Source = source;
        _entries = entries;
        Warnings = warnings;
    }

    /// <summary>The manifest's name, as used in messages.</summary>
    public string Source { get; }

    public IReadOnlyCollection<ManifestEntry> Entries => _entries.Values;

    /// <summary>The lines that could not be parsed, as warning sentences (also logged).</summary>
    public IReadOnlyList<string> Warnings { get; }

    [GeneratedRegex(@"^\s*(SHA1|SHA256|SHA512)\s*\((.+)\)\s*=\s*([0-9A-Fa-f]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();

    /// <summary>Parses manifest text. <paramref name="source"/> names it in messages.</summary>
    public static OvaManifest Parse(string text, string source, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        log ??= LogExtensions.None;
        var entries = new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);
        var warnings = new List<string>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var lineNo = i + 1;
            var m = LinePattern().Match(line);
            string? problem = null;
            if (!m.Success)
            {
                problem = $"manifest line {lineNo} is not \"SHAn(file)= hex\" and is ignored: \"{ArchiveLimits.Printable(line)}\"";
            }
            else
            {
                var algorithm = new HashAlgorithmName(m.Groups[1].Value);
                var digest = m.Groups[3].Value.ToLowerInvariant();
                var expectedLength = DigestBytes(algorithm) * 2;
                var file = m.Groups[2].Value;
                if (digest.Length != expectedLength)
                {
                    problem = $"manifest line {lineNo}: the {algorithm.Name} digest of \"{ArchiveLimits.Printable(file)}\" has {digest.Length} hex digits, not {expectedLength}: ignored";
                }
                else if (entries.TryGetValue(file, out var previous) && DigestBytes(previous.Algorithm) >= DigestBytes(algorithm))
                {
                    // Two digests of one file: the stronger one is kept (and both would have to match anyway).
                }
                else
                {
                    entries[file] = new ManifestEntry(file, algorithm, digest, lineNo);
                }
            }

            if (problem is not null)
            {
                warnings.Add(problem);
                log.Warn(problem, source, lineNo);
            }
        }

        return new OvaManifest(source, entries, warnings);
    }

    /// <summary>Reads and parses the manifest member of an archive (bounded to <see cref="MaxBytes"/>).</summary>
    public static OvaManifest Read(Stream member, string source, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member.CanSeek && member.Length > MaxBytes)
        {
            throw new InvalidDataException($"{source}: the manifest has the bad size {member.Length} bytes (bound {MaxBytes})");
        }

        var buffer = new byte[MaxBytes + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = member.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += n;
        }

        if (total > MaxBytes)
        {
            throw new InvalidDataException($"{source}: the manifest is larger than {MaxBytes} bytes (bound)");
        }

        return Parse(Encoding.UTF8.GetString(buffer, 0, total), source, log);
    }

    /// <summary>
    /// Finds the manifest of an OVA (the <c>.mf</c> member; when several, the one named after the <c>.ovf</c>) and
    /// parses it. A missing manifest is a warning and returns null. A <c>.cert</c> member is reported as
    /// "signature not verified" (a warning): the signature is never checked.
    /// </summary>
    public static OvaManifest? Load(OvaArchive archive, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        log ??= LogExtensions.None;
        var members = archive.Listing.Members;
        foreach (var cert in members.Where(m => m.Name.EndsWith(".cert", StringComparison.OrdinalIgnoreCase)))
        {
            log.Warn($"{cert.Name}: {SignatureNotVerified}", archive.Path);
        }

        var manifests = members.Where(m => m.Name.EndsWith(".mf", StringComparison.OrdinalIgnoreCase)).ToList();
        if (manifests.Count == 0)
        {
            log.Warn("no manifest (.mf): the members' checksums cannot be verified", archive.Path);
            return null;
        }

        var ovf = members.FirstOrDefault(m => m.Name.EndsWith(".ovf", StringComparison.OrdinalIgnoreCase));
        var chosen = manifests.Count > 1 && ovf.Name is not null
            ? manifests.FirstOrDefault(m => string.Equals(System.IO.Path.ChangeExtension(m.Name, ".ovf"), ovf.Name, StringComparison.Ordinal), manifests[0])
            : manifests[0];
        // A deflated zip member is inflated in memory, bounded as any manifest.
        using Stream stream = chosen.IsReadableInPlace ? archive.OpenMember(chosen) : new System.IO.Compression.DeflateStream(archive.OpenStored(chosen), System.IO.Compression.CompressionMode.Decompress);
        return Read(stream, $"{archive.Path}/{chosen.Name}", log);
    }

    /// <summary>The digest the manifest gives for a file (a member name), or null when it lists none.</summary>
    public ManifestEntry? For(string file) => _entries.TryGetValue(file, out var e) ? e : null;

    internal static int DigestBytes(HashAlgorithmName algorithm) =>
        algorithm.Name switch
        {
            "SHA1" => SHA1.HashSizeInBytes,
            "SHA256" => SHA256.HashSizeInBytes,
            "SHA512" => SHA512.HashSizeInBytes,
            _ => throw new NotSupportedException($"digest algorithm {algorithm.Name} is not supported"),
        };
}
