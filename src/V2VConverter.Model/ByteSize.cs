using System.Globalization;

namespace V2VConverter.Model;

/// <summary>
/// The one human-readable byte count: IEC units (1 KiB = 1024 B), invariant culture, at most one
/// decimal ("512 B", "1.5 GiB", "16 GiB"). Exact counts belong in JSON output, not here.
/// </summary>
public static class ByteSize
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    public static string Format(long bytes) =>
        bytes < 0 ? "-" + Format((ulong)-(bytes + 1) + 1) : Format((ulong)bytes);

    private static string Format(ulong bytes)
    {
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        // 1023.96 KiB rounds to 1024.0: show it as 1 MiB, not "1024 KiB".
        value = Math.Round(value, 1, MidpointRounding.AwayFromZero);
        if (value >= 1024 && unit < Units.Length - 1)
        {
            value = Math.Round(value / 1024, 1, MidpointRounding.AwayFromZero);
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {Units[unit]}");
    }
}
