namespace V2VConverter.Pipeline.Contracts;

/// <summary>
/// A VM's firmware variable store where its source keeps it (VMware's <c>NAME.nvram</c>: a file beside a local .vmx, or a
/// datastore file). Read on demand: only UEFI conversions need it.
/// </summary>
public interface IFirmwareStore
{
    /// <summary>Where it is, for messages: a path or "[ds] dir/NAME.nvram".</summary>
    string Origin { get; }

    /// <summary>The whole file, at most <paramref name="maxBytes"/>. Throws <see cref="FileNotFoundException"/> when it does not exist.</summary>
    byte[] Read(long maxBytes, CancellationToken ct);
}

/// <summary>A firmware store in a local file.</summary>
public sealed class LocalFirmwareStore(string path) : IFirmwareStore
{
    public string Origin => path;

    public byte[] Read(long maxBytes, CancellationToken ct)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (f.Length > maxBytes)
        {
            throw new InvalidDataException($"{path}: {f.Length} bytes, over the {maxBytes} an NVRAM file may have");
        }

        var bytes = new byte[f.Length];
        f.ReadExactly(bytes);
        return bytes;
    }
}
