using V2VConverter.Guest.Inspection;

using V2VConverter.Tests.Shared;

namespace V2VConverter.Guest.Tests.Inspection;

/// <summary>The text of <c>v2v inspect --guest</c> (the JSON is pinned by Pipeline.Tests' GuestInspectionSectionTests).</summary>
public sealed class GuestInspectionPrinterTests
{
    internal static GuestInspection Sample(string? hostname = "deb12") => GuestInspectionSample.Sample(hostname);

    [Fact]
    public void Text_shows_the_identity()
    {
        var text = GuestInspectionPrinter.ToText(Sample());
        Assert.Contains("  os                linux / debian 12.4 / x86_64\n", text, StringComparison.Ordinal);
        Assert.Contains("  product           Debian GNU/Linux 12 (bookworm)\n", text, StringComparison.Ordinal);
        Assert.Contains("  hostname          deb12\n", text, StringComparison.Ordinal);
        Assert.Contains("  root              /dev/sda1\n", text, StringComparison.Ordinal);
        Assert.Contains("  hostname          -\n", GuestInspectionPrinter.ToText(Sample(hostname: null)), StringComparison.Ordinal);
    }
}
