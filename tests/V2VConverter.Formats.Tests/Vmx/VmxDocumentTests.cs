using System.Text;
using V2VConverter.Formats.Vmx;

namespace V2VConverter.Formats.Tests.Vmx;

public class VmxDocumentTests
{
    static VmxDocumentTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static VmxDocument Parse(string text) => VmxDocument.Parse(Encoding.UTF8.GetBytes(text), "t.vmx");

    [Fact]
    public void Keys_are_case_insensitive()
    {
        var d = Parse("DisplayName = \"a\"\nMEMSIZE = \"512\"\n");
        Assert.Equal("a", d.Get("displayname"));
        Assert.Equal(512, d.GetInt64("memSize", 0));
    }

    [Fact]
    public void Comments_blank_lines_and_shebang_are_skipped()
    {
        var d = Parse("#!/usr/bin/vmware\n\n  # a comment\r\nfoo = \"bar\"\r\n\n");
        Assert.Equal(1, d.Count);
        Assert.Equal("bar", d.Get("foo"));
        Assert.Equal(4, d.GetEntry("foo")!.Line);
    }

    [Fact]
    public void Hex_escapes_are_decoded()
    {
        var d = Parse("annotation = \"line1|0Aline2 |22quoted|22 pipe|7C\"\n");
        Assert.Equal("line1\nline2 \"quoted\" pipe|", d.Get("annotation"));
    }

    [Fact]
    public void Escaped_utf8_bytes_form_characters()
    {
        // "中" is E4 B8 AD in UTF-8; some writers escape every non-ASCII byte.
        var d = Parse(".encoding = \"UTF-8\"\ndisplayName = \"|E4|B8|AD\"\n");
        Assert.Equal("中", d.Get("displayName"));
    }

    [Fact]
    public void Unquoted_values_are_accepted()
    {
        var d = Parse("memsize = 2048\nfoo=bar baz\n");
        Assert.Equal("2048", d.Get("memsize"));
        Assert.Equal("bar baz", d.Get("foo"));
    }

    [Fact]
    public void Duplicate_key_last_wins_with_a_warning_naming_both_lines()
    {
        var d = Parse("memsize = \"512\"\nx = \"1\"\nMemSize = \"1024\"\n");
        Assert.Equal("1024", d.Get("memsize"));
        var w = Assert.Single(d.Warnings);
        Assert.Contains("t.vmx:3", w);
        Assert.Contains("line 1", w);
    }

    [Theory]
    [InlineData("windows-1252", "Caf\u00e9 \u20ac", new byte[] { 0x43, 0x61, 0x66, 0xE9, 0x20, 0x80 })]
    [InlineData("GBK", "\u4e2d\u6587", new byte[] { 0xD6, 0xD0, 0xCE, 0xC4 })]
    [InlineData("Big5", "\u4e2d\u6587", new byte[] { 0xA4, 0xA4, 0xA4, 0xE5 })]
    [InlineData("Shift_JIS", "\u65e5\u672c", new byte[] { 0x93, 0xFA, 0x96, 0x7B })]
    public void Encoding_key_is_honoured(string encoding, string expected, byte[] nameBytes)
    {
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.ASCII.GetBytes($".encoding = \"{encoding}\"\ndisplayName = \""));
        bytes.AddRange(nameBytes);
        bytes.AddRange(Encoding.ASCII.GetBytes("\"\n"));
        var d = VmxDocument.Parse(bytes.ToArray(), "t.vmx");
        Assert.Equal(expected, d.Get("displayName"));
    }

    [Fact]
    public void Non_utf8_without_encoding_is_an_error_with_the_line()
    {
        var bytes = Encoding.ASCII.GetBytes("a = \"1\"\ndisplayName = \"Caf").Concat(new byte[] { 0xE9 }).Concat(Encoding.ASCII.GetBytes("\"\n")).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => VmxDocument.Parse(bytes, "t.vmx"));
        Assert.Contains("t.vmx:2", ex.Message);
        Assert.Contains(".encoding", ex.Message);
    }

    /// <summary>Issue 11 point 13: .NET refuses UTF-7 with a NotSupportedException that links to a web page; the user gets the file, line and key.</summary>
    [Theory]
    [InlineData("utf-7")]
    [InlineData("no-such-charset")]
    public void An_encoding_the_tool_does_not_read_names_the_file_line_and_key(string name)
    {
        var ex = Assert.Throws<InvalidDataException>(() => VmxDocument.Parse(Encoding.ASCII.GetBytes($"config.version = \"8\"\n.encoding = \"{name}\"\ndisplayName = \"x\"\n"), "t.vmx"));
        Assert.StartsWith($"t.vmx:2: .encoding = \"{name}\" is not an encoding this tool reads", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("aka.ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unterminated_quote_names_key_and_line()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse("a = \"1\"\nb = \"oops\n"));
        Assert.Contains("t.vmx:2", ex.Message);
        Assert.Contains("b", ex.Message);
        Assert.Contains("unterminated", ex.Message);
    }

    [Fact]
    public void Binary_garbage_is_refused()
    {
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        bytes[100] = 0;
        var ex = Assert.Throws<InvalidDataException>(() => VmxDocument.Parse(bytes, "t.vmx"));
        Assert.Contains("t.vmx", ex.Message);
    }

    [Fact]
    public void Line_without_equals_is_an_error()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse("displayName = \"x\"\nthis is not a key value line\n"));
        Assert.Contains("t.vmx:2", ex.Message);
    }

    [Fact]
    public void Oversized_content_is_refused_before_parsing()
    {
        var ex = Assert.Throws<InvalidDataException>(() => VmxDocument.Parse(new byte[VmxDocument.MaxFileBytes + 1], "big.vmx"));
        Assert.Contains("at most", ex.Message);
    }

    [Fact]
    public void Oversized_file_is_refused_without_reading_it()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var f = File.OpenWrite(path))
            {
                f.SetLength(50L * 1024 * 1024);
            }

            var ex = Assert.Throws<InvalidDataException>(() => VmxDocument.Load(path));
            Assert.Contains(path, ex.Message);
            Assert.Contains("52428800 bytes", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    public void Booleans(string text, bool expected) => Assert.Equal(expected, Parse($"x.present = \"{text}\"\n").GetBool("x.present", !expected));

    [Fact]
    public void Bad_number_names_key_and_line()
    {
        var ex = Assert.Throws<InvalidDataException>(() => Parse("\nmemsize = \"lots\"\n").GetInt64("memsize", 0));
        Assert.Contains("t.vmx:2", ex.Message);
        Assert.Contains("memsize", ex.Message);
    }

    [Fact]
    public void Empty_input_is_an_empty_document()
    {
        Assert.Equal(0, VmxDocument.Parse([], "e.vmx").Count);
    }
}
