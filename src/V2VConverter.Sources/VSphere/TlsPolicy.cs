using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// How the server certificate is checked: against the system CAs (default), pinned to a
/// SHA-1 or SHA-256 fingerprint (<c>--thumbprint</c>), or not at all (<c>?no_verify=1</c>, with
/// a warning). The callback remembers why it rejected a certificate, so the caller can turn
/// .NET's generic handshake failure into <see cref="Failure"/>'s one clear message.
/// </summary>
public sealed class TlsPolicy
{
    private readonly byte[]? _pin;
    private readonly string _host;
    private volatile string? _failure;

    public TlsPolicy(string host, bool noVerify, string? thumbprint)
    {
        _host = host;
        NoVerify = noVerify;
        if (thumbprint is not null && noVerify)
        {
            throw new UsageException("--thumbprint and ?no_verify=1 contradict each other: pinning checks the certificate, no_verify skips the check; drop one");
        }

        if (thumbprint is not null)
        {
            _pin = ParseThumbprint(thumbprint);
            PinnedAlgorithm = _pin.Length == SHA1.HashSizeInBytes ? "SHA-1" : "SHA-256";
        }
    }

    public bool NoVerify { get; }

    /// <summary>"SHA-1" or "SHA-256" when a thumbprint is pinned, else null.</summary>
    public string? PinnedAlgorithm { get; }

    /// <summary>Why the last certificate was rejected, or null.</summary>
    public string? Failure => _failure;

    /// <summary>Parses colon-hex (or plain hex) SHA-1 (20 bytes) or SHA-256 (32 bytes).</summary>
    public static byte[] ParseThumbprint(string text)
    {
        var hex = new string(text.Where(c => c is not (':' or ' ' or '-')).ToArray());
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new UsageException($"--thumbprint \"{text}\" is not a hexadecimal fingerprint (write it as AA:BB:CC:...)");
        }

        return bytes.Length is SHA1.HashSizeInBytes or SHA256.HashSizeInBytes
            ? bytes
            : throw new UsageException($"--thumbprint \"{text}\" has {bytes.Length} bytes; a SHA-1 fingerprint has 20 and a SHA-256 fingerprint 32");
    }

    /// <summary>Colon-separated upper-case hex, as vSphere and openssl print fingerprints.</summary>
    public static string ColonHex(ReadOnlySpan<byte> bytes) => string.Join(':', bytes.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    public static string Sha256Of(X509Certificate cert) => ColonHex(SHA256.HashData(cert.GetRawCertData()));

    /// <summary>The <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (NoVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            _failure = $"the server {_host} presented no TLS certificate";
            return false;
        }

        if (_pin is not null)
        {
            var raw = certificate.GetRawCertData();
            var actual = _pin.Length == SHA1.HashSizeInBytes ? SHA1.HashData(raw) : SHA256.HashData(raw);
            if (CryptographicOperations.FixedTimeEquals(actual, _pin))
            {
                return true;
            }

            _failure = $"the TLS certificate of {_host} does not match --thumbprint: expected {PinnedAlgorithm} {ColonHex(_pin)}, the server presented {PinnedAlgorithm} {ColonHex(actual)}";
            return false;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        var why = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            why.Add("its name does not match the host");
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
            why.Add("it is not signed by a trusted CA" + (status.Length > 0 ? $" ({string.Join(", ", status)})" : ""));
        }

        _failure = $"the TLS certificate of {_host} is not trusted: {string.Join("; ", why)}. "
            + $"Its SHA-256 fingerprint is {Sha256Of(certificate)}; if that is right, pin it with --thumbprint, add its CA to the system store, or add ?no_verify=1 to the URI (insecure)";
        return false;
    }

    /// <summary>Turns a handshake failure into the remembered reason, or returns null when it was not ours.</summary>
    public Exception? Translate(Exception ex)
    {
        var failure = _failure;
        if (failure is null)
        {
            return null;
        }

        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException)
            {
                return new AuthenticationException(failure, ex);
            }
        }

        return null;
    }
}
