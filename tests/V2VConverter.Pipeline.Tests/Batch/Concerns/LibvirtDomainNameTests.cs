using System.Text;
using V2VConverter.Pipeline.Batch.Concerns;

namespace V2VConverter.Pipeline.Tests.Batch.Concerns;

/// <summary>The names libvirt refuses, those it takes with a warning, and the suggestions, which are always clean.</summary>
public sealed class LibvirtDomainNameTests
{
    [Theory]
    [InlineData("web01")]
    [InlineData("Web Server (prod)")]
    [InlineData("ünï-cödé")]
    [InlineData(".hidden")]
    public void Names_libvirt_takes_have_no_problem(string name)
    {
        Assert.Null(LibvirtDomainName.Check(name));
    }

    [Fact]
    public void The_qemu_driver_limit_is_counted_in_utf8_bytes()
    {
        Assert.Null(LibvirtDomainName.Check(new string('a', LibvirtDomainName.MaxBytes)));
        var tooLong = new string('é', (LibvirtDomainName.MaxBytes / 2) + 1); // 252 bytes in 126 characters
        var problem = LibvirtDomainName.Check(tooLong);
        Assert.NotNull(problem);
        Assert.True(problem.Refused);
        Assert.Contains("252 bytes", problem.Reason, StringComparison.Ordinal);

        var suggestion = LibvirtDomainName.Suggest(tooLong, "x");
        Assert.Null(LibvirtDomainName.Check(suggestion));
        Assert.True(Encoding.UTF8.GetByteCount(suggestion) <= LibvirtDomainName.MaxBytes);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\nb")]
    [InlineData("")]
    [InlineData("bell\a")]
    [InlineData("  ")]
    public void Every_suggestion_is_a_name_libvirt_takes(string name)
    {
        Assert.NotNull(LibvirtDomainName.Check(name));
        var suggestion = LibvirtDomainName.Suggest(name, "source vm");
        Assert.Null(LibvirtDomainName.Check(suggestion));
    }

    [Fact]
    public void Printable_escapes_control_characters()
    {
        Assert.Equal("a\\nb\\tc\\x07", LibvirtDomainName.Printable("a\nb\tc\a"));
    }
}
