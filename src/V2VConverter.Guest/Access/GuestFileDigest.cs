using System.Security.Cryptography;

namespace V2VConverter.Guest.Access;

/// <summary>SHA-256 of a guest file read through the daemon (boot loaders compared before one replaces another).</summary>
public static class GuestFileDigest
{
    /// <summary>The file's SHA-256; a file over <paramref name="maxBytes"/> is an <see cref="InvalidDataException"/> naming it.</summary>
    public static byte[] Sha256(IGuestFileSystem guest, string path, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(guest);
        using var stream = guest.OpenRead(path);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            total += n;
            if (total > maxBytes)
            {
                throw new InvalidDataException($"{path}: over the {maxBytes >> 20} MiB a boot loader may have");
            }

            sha.AppendData(buffer, 0, n);
        }

        return sha.GetHashAndReset();
    }
}
