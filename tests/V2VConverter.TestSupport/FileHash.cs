using System.Security.Cryptography;

namespace V2VConverter.TestSupport;

/// <summary>A file's SHA-256 as hex, streamed: the tests' proof that a source was never written.</summary>
public static class FileHash
{
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f));
    }
}
