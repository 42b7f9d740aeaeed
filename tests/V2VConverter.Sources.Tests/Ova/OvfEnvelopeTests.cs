using System.Net;
using System.Net.Sockets;
using System.Text;
using V2VConverter.Sources.Ova;
using V2VConverter.TestSupport;
using static V2VConverter.Sources.Tests.Ova.OvfTestDocuments;

namespace V2VConverter.Sources.Tests.Ova;

/// <summary>Issue 13 point 6: the OVF descriptor parser never resolves an entity, bounds its input and names what it refuses.</summary>
public sealed class OvfEnvelopeTests : IDisposable
{
    private const string CanaryText = "CANARY-ovf-xxe-7f3a9c";

    private readonly string _dir = RepoPaths.NewTempDir("ovf-envelope");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text, string name = "t.ovf")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Ovf1_and_ovf2_namespaces_are_both_read()
    {
        Assert.Equal(1, OvfEnvelope.Load(Write(Envelope())).Version);
        Assert.Equal(2, OvfEnvelope.Load(Write(Envelope(ns: "http://schemas.dmtf.org/ovf/envelope/2"))).Version);
        Assert.Equal(2, OvfEnvelope.Load(Golden("ovf2-storageitem-nvme")).Version);
    }

    [Theory]
    [InlineData("SYSTEM \"file://{canary}\"")]
    [InlineData("SYSTEM \"{canary}\"")]
    public void External_file_entity_is_never_resolved(string systemId)
    {
        var canary = Path.Combine(_dir, "canary.txt");
        File.WriteAllText(canary, CanaryText);
        var prolog = $"<!DOCTYPE Envelope [ <!ENTITY xxe {systemId.Replace("{canary}", canary, StringComparison.Ordinal)}> ]>";
        var text = Envelope(prolog: prolog).Replace("<Name>t</Name>", "<Name>&xxe;</Name>", StringComparison.Ordinal);
        var path = Write(text);
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(path));
        Assert.Contains("DTD", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(CanaryText, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(CanaryText, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Network_entity_and_external_dtd_make_no_connection()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var variants = new[]
        {
            $"<!DOCTYPE Envelope [ <!ENTITY xxe SYSTEM \"http://127.0.0.1:{port}/secret\"> ]>",
            $"<!DOCTYPE Envelope SYSTEM \"http://127.0.0.1:{port}/ovf.dtd\">",
            $"<!DOCTYPE Envelope [ <!ENTITY % remote SYSTEM \"http://127.0.0.1:{port}/p.dtd\"> %remote; ]>",
            "<!DOCTYPE Envelope [ <!ENTITY xxe SYSTEM \"http://127.0.0.1:9/secret\"> ]>",
        };
        // A parser that did fetch would hang on the silent listener: bound the whole check in time.
        var check = Task.Run(() =>
        {
            foreach (var prolog in variants)
            {
                var text = Envelope(prolog: prolog).Replace("<Name>t</Name>", "<Name>&xxe;</Name>", StringComparison.Ordinal);
                var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Parse(Encoding.UTF8.GetBytes(text), "net.ovf"));
                Assert.Contains("net.ovf", ex.Message, StringComparison.Ordinal);
            }
        }, TestContext.Current.CancellationToken);
        await check.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken); // TimeoutException: parsing waited on the network

        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(listener.Pending(), "the parser connected to the entity's URL");
    }

    [Fact]
    public void Internal_entity_expansion_is_refused_too()
    {
        var prolog = "<!DOCTYPE Envelope [ <!ENTITY a \"aaaaaaaaaa\"> <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"> ]>";
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Parse(Encoding.UTF8.GetBytes(Envelope(prolog: prolog).Replace("<Name>t</Name>", "<Name>&b;</Name>", StringComparison.Ordinal)), "lol.ovf"));
        Assert.Contains("DTD", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside.vmdk", "points outside the package")]
    [InlineData("disks/../../outside.vmdk", "points outside the package")]
    [InlineData("..\\outside.vmdk", "points outside the package")]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("\\\\server\\share\\d.vmdk", "absolute path")]
    [InlineData("C:/disks/d.vmdk", "absolute path")]
    [InlineData("http://127.0.0.1:9/d.vmdk", "URL")]
    [InlineData("file:///etc/passwd", "URL")]
    public void Reference_outside_the_package_is_refused_naming_it(string href, string reason)
    {
        var path = Write(Envelope(href: href));
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(path));
        Assert.Contains($"ovf:href = \"{href}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_in_a_subfolder_of_the_package_is_accepted()
    {
        Assert.Equal("disks/d1.vmdk", OvfEnvelope.Load(Write(Envelope(href: "disks/d1.vmdk"))).Files[0].Href);
    }

    [Fact]
    public void Unknown_compression_is_refused_and_identity_is_none()
    {
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(Write(Envelope(fileAttributes: "ovf:compression=\"lzma\""))));
        Assert.Contains("ovf:compression = \"lzma\"", ex.Message, StringComparison.Ordinal);
        Assert.Null(OvfEnvelope.Load(Write(Envelope(fileAttributes: "ovf:compression=\"identity\""))).Files[0].Compression);
        Assert.Equal("gzip", OvfEnvelope.Load(Write(Envelope(fileAttributes: "ovf:compression=\"gzip\""))).Files[0].Compression);
    }

    [Theory]
    [InlineData("<Envelope><References>", "not well-formed")]
    [InlineData("<Envelope xmlns=\"urn:other\"/>", "is not OVF 1.x")]
    [InlineData("<Foo/>", "is not an OVF <Envelope>")]
    [InlineData("", "empty")]
    public void Malformed_descriptor_is_invalid_data_naming_the_file(string text, string expected)
    {
        var path = Write(text);
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ovf_0_9_is_not_supported()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OvfEnvelope.Parse(Encoding.UTF8.GetBytes("<Envelope xmlns=\"http://www.vmware.com/schema/ovf/1/envelope\"/>"), "old.ovf"));
        Assert.Contains("OVF 0.9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_capacity_is_refused_naming_attribute_and_value()
    {
        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(Write(Envelope().Replace("ovf:capacity=\"1\"", "ovf:capacity=\"-5\"", StringComparison.Ordinal))));
        Assert.Contains("ovf:capacity = \"-5\"", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(Write(Envelope().Replace("ovf:capacity=\"1\"", "ovf:capacity=\"999999999\"", StringComparison.Ordinal))));
        Assert.Contains("64 TiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Descriptor_beyond_16_MiB_is_refused_before_it_is_parsed()
    {
        var path = Path.Combine(_dir, "huge.ovf");
        using (var f = File.Create(path))
        {
            f.SetLength(OvfEnvelope.MaxBytes + 1L);
        }

        var ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Load(path));
        Assert.Contains("beyond the bound of 16777216 bytes", ex.Message, StringComparison.Ordinal);

        // An unseekable stream (a tar member being read) stops at the bound too.
        using var unseekable = new UnseekableStream(new MemoryStream(new byte[OvfEnvelope.MaxBytes + 100]));
        ex = Assert.Throws<InvalidDataException>(() => OvfEnvelope.Read(unseekable, "member.ovf"));
        Assert.Contains("member.ovf", ex.Message, StringComparison.Ordinal);
        Assert.True(unseekable.BytesRead <= OvfEnvelope.MaxBytes + 81920L);
    }

    [Theory]
    [InlineData("byte", 1L)]
    [InlineData("bytes", 1L)]
    [InlineData("byte * 2^10", 1L << 10)]
    [InlineData("byte * 2^20", 1L << 20)]
    [InlineData("byte*2^30", 1L << 30)]
    [InlineData("byte * 10^6", 1_000_000L)]
    [InlineData("byte * 1024", 1024L)]
    [InlineData("KiloBytes", 1L << 10)]
    [InlineData("MegaBytes", 1L << 20)]
    [InlineData("GigaBytes", 1L << 30)]
    [InlineData("MB", 1L << 20)]
    public void Allocation_units_are_parsed(string units, long bytes) => Assert.Equal(bytes, OvfUnits.BytesPer(units));

    [Theory]
    [InlineData("hertz * 10^6")]
    [InlineData("byte * 2^99")]
    [InlineData("byte * 3^2")]
    [InlineData("byte * 0")]
    [InlineData("")]
    public void Bad_allocation_units_are_a_format_error(string units) => Assert.Throws<FormatException>(() => OvfUnits.BytesPer(units));

    private sealed class UnseekableStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
