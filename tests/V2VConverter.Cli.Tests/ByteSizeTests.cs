using System.Globalization;
using V2VConverter.Model;

namespace V2VConverter.Cli.Tests;

/// <summary>The one byte-size formatter used by progress bars, <c>disk info</c> and <c>inventory</c>.</summary>
public sealed class ByteSizeTests
{
    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1L, "1 B")]
    [InlineData(512L, "512 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(1126L, "1.1 KiB")]
    [InlineData(1048575L, "1 MiB")]
    [InlineData(10L * 1024 * 1024, "10 MiB")]
    [InlineData(1610612736L, "1.5 GiB")]
    [InlineData(13314398618L, "12.4 GiB")]
    [InlineData(16L << 30, "16 GiB")]
    [InlineData(1L << 40, "1 TiB")]
    [InlineData(3L << 50, "3 PiB")]
    [InlineData(long.MaxValue, "8 EiB")]
    [InlineData(-1536L, "-1.5 KiB")]
    [InlineData(long.MinValue, "-8 EiB")]
    public void Formats_with_iec_units_and_at_most_one_decimal(long bytes, string expected)
    {
        Assert.Equal(expected, ByteSize.Format(bytes));
    }

    [Fact]
    public void Ignores_the_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1.5 GiB", ByteSize.Format(1610612736L));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
