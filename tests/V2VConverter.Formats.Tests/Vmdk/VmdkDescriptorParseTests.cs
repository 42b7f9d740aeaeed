using System.Text;
using V2VConverter.Formats.Vmdk;

namespace V2VConverter.Formats.Tests.Vmdk;

public sealed class VmdkDescriptorParseTests
{
    private const string QemuStyle = """
        # Disk DescriptorFile
        version=1
        CID=ff14bf0d
        parentCID=ffffffff
        createType="twoGbMaxExtentSparse"

        # Extent description
        RW 4194304 SPARSE "x-s001.vmdk"
        RW 8192 SPARSE "x-s002.vmdk"

        # The Disk Data Base
        #DDB

        ddb.virtualHWVersion = "4"
        ddb.geometry.cylinders = "4169"
        ddb.geometry.heads = "16"
        ddb.geometry.sectors = "63"
        ddb.adapterType = "ide"
        ddb.uuid = "60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 87 3b f9"
        ddb.longContentID = "2ee5e9b5bd5c1fd4d3c0c86aff14bf0d"
        """;

    [Fact]
    public void Parses_header_extents_and_ddb()
    {
        var d = VmdkDescriptor.Parse(QemuStyle, "x.vmdk");
        Assert.Equal(1, d.Version);
        Assert.Equal(0xff14bf0du, d.Cid);
        Assert.Equal(VmdkDescriptor.NoParentCid, d.ParentCid);
        Assert.False(d.HasParent);
        Assert.Equal("twoGbMaxExtentSparse", d.CreateType);
        Assert.Equal(2, d.Extents.Count);
        Assert.Equal(new VmdkExtentLine(VmdkAccess.ReadWrite, 4194304, "SPARSE", "x-s001.vmdk", 0, 8), d.Extents[0]);
        Assert.Equal("ide", d.AdapterType);
        Assert.Equal("4", d.VirtualHWVersion);
        Assert.Equal("60 00 C2 9b 69 2f c9 76-74 c4 07 9e 10 87 3b f9", d.Uuid);
        Assert.Equal("2ee5e9b5bd5c1fd4d3c0c86aff14bf0d", d.LongContentId);
        Assert.Equal("16", d.GetDdb("ddb.geometry.heads"));
        Assert.Empty(d.Warnings);
    }

    [Fact]
    public void Crlf_unquoted_values_nul_padding_and_comments()
    {
        var text = "# c\r\n  version = 2 \r\nCID=0000abcd\r\nparentCID=12345678\r\ncreateType=streamOptimized\r\nparentFileNameHint=\"my parent.vmdk\"\r\n"
            + "RDONLY 100 FLAT \"name with spaces.bin\" 7\r\nNOACCESS 5 ZERO\r\nRW 9 VMFS \"v-flat.vmdk\"\r\nddb.adapterType=lsilogic\r\n";
        var bytes = Encoding.ASCII.GetBytes(text).Concat(new byte[600]).Concat(Encoding.ASCII.GetBytes("RW 1 FLAT \"after-nul\"\n")).ToArray();
        var d = VmdkDescriptor.Parse(bytes, "t");
        Assert.Equal(2, d.Version);
        Assert.Equal(0xabcdu, d.Cid);
        Assert.Equal(0x12345678u, d.ParentCid);
        Assert.True(d.HasParent);
        Assert.Equal("streamOptimized", d.CreateType);
        Assert.Equal("my parent.vmdk", d.ParentFileNameHint);
        Assert.Equal(3, d.Extents.Count);
        Assert.Equal(new VmdkExtentLine(VmdkAccess.ReadOnly, 100, "FLAT", "name with spaces.bin", 7, 7), d.Extents[0]);
        Assert.Equal(new VmdkExtentLine(VmdkAccess.NoAccess, 5, "ZERO", null, 0, 8), d.Extents[1]);
        Assert.Equal("VMFS", d.Extents[2].Type);
        Assert.Equal("lsilogic", d.AdapterType);
    }

    [Theory]
    [InlineData("monolithicSparse")]
    [InlineData("monolithicFlat")]
    [InlineData("twoGbMaxExtentFlat")]
    [InlineData("streamOptimized")]
    [InlineData("vmfs")]
    [InlineData("vmfsThin")]
    [InlineData("vmfsSparse")]
    [InlineData("vmfsPreallocated")]
    [InlineData("vmfsEagerZeroedThick")]
    [InlineData("custom")]
    public void Every_createType_is_kept_quoted_or_not(string createType)
    {
        Assert.Equal(createType, VmdkDescriptor.Parse($"createType=\"{createType}\"\n", "t").CreateType);
        Assert.Equal(createType, VmdkDescriptor.Parse($"createType={createType}\n", "t").CreateType);
    }

    [Fact]
    public void Windows_1252_encoding_decodes_file_names()
    {
        var head = Encoding.ASCII.GetBytes("version=1\nencoding=\"windows-1252\"\ncreateType=\"monolithicFlat\"\nRW 8 FLAT \"caf");
        byte[] bytes = [.. head, 0xE9, .. Encoding.ASCII.GetBytes("-flat.vmdk\" 0\n")];
        var d = VmdkDescriptor.Parse(bytes, "t");
        Assert.Equal("windows-1252", d.Encoding);
        Assert.Equal("café-flat.vmdk", d.Extents[0].FileName);

        var utf8 = VmdkDescriptor.Parse(Encoding.UTF8.GetBytes("encoding=\"UTF-8\"\nRW 8 FLAT \"café.bin\" 0\n"), "t");
        Assert.Equal("café.bin", utf8.Extents[0].FileName);

        var unknown = VmdkDescriptor.Parse(Encoding.UTF8.GetBytes("encoding=\"klingon\"\nRW 8 FLAT \"a.bin\" 0\n"), "t");
        Assert.Contains(unknown.Warnings, w => w.Contains("klingon", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_createType_defaults_to_custom_and_unknown_lines_are_warnings()
    {
        var d = VmdkDescriptor.Parse("RW 8 FLAT \"a\" 0\nthis is junk\n", "t");
        Assert.Equal("custom", d.CreateType);
        Assert.False(d.HasCreateType);
        Assert.Single(d.Warnings);
        Assert.Contains("line 2", d.Warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Descriptor_of_exactly_one_MiB_is_accepted()
    {
        var text = "createType=\"custom\"\nRW 8 ZERO\n#";
        var bytes = Encoding.ASCII.GetBytes(text + new string('x', VmdkLimits.MaxDescriptorBytes - text.Length));
        Assert.Single(VmdkDescriptor.Parse(bytes, "t").Extents);
    }

    /// <summary>Issue 11 point 13: a descriptor saying encoding="UTF-7" is read as UTF-8 with a warning, not a NotSupportedException.</summary>
    [Fact]
    public void A_utf7_descriptor_encoding_is_read_as_utf8_with_a_warning()
    {
        var d = VmdkDescriptor.Parse(System.Text.Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-7\"\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\n\nRW 2048 FLAT \"x-flat.vmdk\" 0\n"), "x.vmdk");
        Assert.Contains(d.Warnings, w => w.Contains("unknown descriptor encoding \"UTF-7\"", StringComparison.Ordinal));
    }
}
