using System.Buffers.Binary;
using V2VConverter.Formats.Qcow2;

namespace V2VConverter.Formats.Tests.Qcow2;

public sealed class Qcow2HeaderTests
{
    private static Qcow2Header Sample() => new()
    {
        Version = 3,
        ClusterBits = 16,
        Size = 64UL << 20,
        L1Size = 1,
        L1TableOffset = 0x30000,
        RefcountTableOffset = 0x10000,
        RefcountTableClusters = 1,
        RefcountOrder = 4,
        HeaderLength = HeaderFields.V3WrittenLength,
    };

    private static byte[] Bytes(Qcow2Header h)
    {
        var b = new byte[512];
        h.WriteTo(b);
        return b;
    }

    [Fact]
    public void Round_trips_through_WriteTo_and_Parse()
    {
        var h = Sample();
        var parsed = Qcow2Header.Parse(Bytes(h));
        Assert.Equal(h, parsed);
        parsed.Validate("x.qcow2", 1 << 20);
    }

    [Fact]
    public void Fields_are_big_endian_at_the_spec_offsets()
    {
        var b = Bytes(Sample());
        Assert.Equal("QFI\u00fb", System.Text.Encoding.Latin1.GetString(b, 0, 4));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4)));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(20)));
        Assert.Equal(64UL << 20, BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(24)));
        Assert.Equal(0x30000UL, BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(40)));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(96)));
        Assert.Equal(112u, BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(100)));
    }

    [Fact]
    public void Bad_magic_names_the_field()
    {
        var b = Bytes(Sample());
        b[3] = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Qcow2Header.Parse(b));
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void Truncated_header_is_end_of_stream()
    {
        Assert.Throws<EndOfStreamException>(() => Qcow2Header.Parse(Bytes(Sample()).AsSpan(0, 50)));
        Assert.Throws<EndOfStreamException>(() => Qcow2Header.Parse(Bytes(Sample()).AsSpan(0, 90)));
        Assert.Throws<EndOfStreamException>(() => Qcow2Header.Parse([]));
    }

    [Theory]
    [InlineData("cluster_bits")]
    [InlineData("l1_size")]
    [InlineData("l1_table_offset")]
    [InlineData("header_length")]
    [InlineData("size")]
    public void Invalid_fields_are_named(string field)
    {
        var h = field switch
        {
            "cluster_bits" => Sample() with { ClusterBits = 30 },
            "l1_size" => Sample() with { L1Size = 100_000_000 },
            "l1_table_offset" => Sample() with { L1TableOffset = 0x30001 },
            "header_length" => Sample() with { HeaderLength = 105 },
            _ => Sample() with { Size = ulong.MaxValue },
        };
        var ex = Assert.Throws<InvalidDataException>(() => h.Validate("bad.qcow2", 1 << 20));
        Assert.Contains(field, ex.Message);
        Assert.Contains("bad.qcow2", ex.Message);
    }

    [Theory]
    [InlineData("backing")]
    [InlineData("crypt")]
    [InlineData("zstd")]
    [InlineData("unknown-incompatible")]
    [InlineData("extended-l2")]
    [InlineData("version")]
    public void Unsupported_features_are_refused(string what)
    {
        var h = what switch
        {
            "backing" => Sample() with { BackingFileOffset = 0x200, BackingFileSize = 8 },
            "crypt" => Sample() with { CryptMethod = 2 },
            "zstd" => Sample() with { IncompatibleFeatures = Qcow2Layout.IncompatCompressionType, CompressionType = 1 },
            "unknown-incompatible" => Sample() with { IncompatibleFeatures = 1UL << 40 },
            "extended-l2" => Sample() with { IncompatibleFeatures = Qcow2Layout.IncompatExtendedL2 },
            _ => Sample() with { Version = 4 },
        };
        Assert.Throws<NotSupportedException>(() => h.Validate("x.qcow2", 1 << 20));
    }

    [Fact]
    public void Required_l1_size_follows_the_spec()
    {
        Assert.Equal(1, Qcow2Header.RequiredL1Size(512UL << 20, 16));
        Assert.Equal(2, Qcow2Header.RequiredL1Size((512UL << 20) + 1, 16));
        Assert.Equal(8, Qcow2Header.RequiredL1Size(4UL << 30, 16));
        Assert.Equal(0, Qcow2Header.RequiredL1Size(0, 16));
        Assert.Equal(2048, Qcow2Header.RequiredL1Size(4UL << 30, 12)); // 4 KiB clusters: one L2 maps 2 MiB
    }
}
