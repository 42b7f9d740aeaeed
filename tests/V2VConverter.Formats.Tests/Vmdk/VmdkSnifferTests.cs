using System.Text;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>The one VMDK detector: binary magics and descriptor text.</summary>
public sealed class VmdkSnifferTests
{
    public static TheoryData<string, byte[], VmdkFileKind> Heads => new()
    {
        { "hosted sparse", "KDMV\u0001\0\0\0"u8.ToArray(), VmdkFileKind.HostedSparse },
        { "cowd", "COWD\u0001\0\0\0"u8.ToArray(), VmdkFileKind.Cowd },
        { "sesparse", [0xBE, 0xBA, 0xFE, 0xCA, 0, 0, 0, 0], VmdkFileKind.SeSparse },
        { "banner", Encoding.ASCII.GetBytes("# Disk DescriptorFile\nversion=1\nCID=fffffffe\n"), VmdkFileKind.Descriptor },
        { "banner in lower case", Encoding.ASCII.GetBytes("# disk descriptorfile\n"), VmdkFileKind.Descriptor },
        { "no banner", Encoding.ASCII.GetBytes("\n# comment\nversion=1\r\ncreateType=\"monolithicFlat\"\n"), VmdkFileKind.Descriptor },
        { "keys in any order", Encoding.ASCII.GetBytes("createType=\"vmfs\"\nversion=1\n"), VmdkFileKind.Descriptor },
        { "version without createType", Encoding.ASCII.GetBytes("version=1 but not a descriptor"), VmdkFileKind.NotVmdk },
        { "text after the first NUL is not read", [.. "version=1\n\0"u8, .. "createType=\"x\"\n"u8], VmdkFileKind.NotVmdk },
        { "qcow2", [(byte)'Q', (byte)'F', (byte)'I', 0xFB, 0, 0, 0, 3], VmdkFileKind.NotVmdk },
        { "magic too short", "KDM"u8.ToArray(), VmdkFileKind.NotVmdk },
        { "seSparse needs 8 bytes", [0xBE, 0xBA, 0xFE, 0xCA], VmdkFileKind.NotVmdk },
        { "empty", [], VmdkFileKind.NotVmdk },
        { "zeros", new byte[4096], VmdkFileKind.NotVmdk },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Detects_the_kind_from_the_first_bytes(string name, byte[] head, VmdkFileKind expected)
    {
        var actual = VmdkSniffer.Detect(head);
        Assert.True(actual == expected, $"{name}: {actual}, expected {expected}");
    }

    [Fact]
    public void Binary_detection_ignores_descriptor_text()
    {
        Assert.Equal(VmdkFileKind.NotVmdk, VmdkSniffer.DetectBinary(Encoding.ASCII.GetBytes("# Disk DescriptorFile\n")));
        Assert.Equal(VmdkFileKind.HostedSparse, VmdkSniffer.DetectBinary("KDMV"u8));
    }

    [Fact]
    public void Descriptor_keys_past_the_probe_window_are_not_seen()
    {
        var head = Encoding.ASCII.GetBytes(new string('#', VmdkSniffer.ProbeBytes) + "\nversion=1\ncreateType=\"monolithicFlat\"\n");
        Assert.Equal(VmdkFileKind.NotVmdk, VmdkSniffer.Detect(head));
    }

    [Fact]
    public void The_magics_are_the_header_parsers_magics()
    {
        Assert.Equal(SparseExtentHeader.MagicNumber, VmdkSniffer.HostedSparseMagic);
        Assert.Equal(CowdHeader.MagicNumber, VmdkSniffer.CowdMagic);
        var sparse = new byte[512];
        new SparseExtentHeader { Version = 1, Capacity = 2048, GrainSize = 128, NumGtesPerGt = 512, GdOffset = 1, OverHead = 128 }.WriteTo(sparse);
        Assert.Equal(VmdkFileKind.HostedSparse, VmdkSniffer.Detect(sparse));
    }

    [Theory]
    [InlineData(VmdkFileKind.HostedSparse, true)]
    [InlineData(VmdkFileKind.Cowd, true)]
    [InlineData(VmdkFileKind.Descriptor, true)]
    [InlineData(VmdkFileKind.SeSparse, false)]
    [InlineData(VmdkFileKind.NotVmdk, false)]
    public void Supported_kinds(VmdkFileKind kind, bool supported)
    {
        Assert.Equal(supported, VmdkSniffer.IsSupported(kind));
    }

    [Fact]
    public void Detects_a_file_by_path()
    {
        var dir = RepoPaths.NewTempDir();
        try
        {
            var desc = Path.Combine(dir, "d.vmdk");
            File.WriteAllText(desc, "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n");
            var empty = Path.Combine(dir, "empty.vmdk");
            File.WriteAllBytes(empty, []);
            var cowd = Path.Combine(dir, "c.vmdk");
            File.WriteAllBytes(cowd, [.. "COWD"u8, .. new byte[2044]]);
            Assert.Equal(VmdkFileKind.Descriptor, VmdkSniffer.Detect(desc));
            Assert.Equal(VmdkFileKind.NotVmdk, VmdkSniffer.Detect(empty));
            Assert.Equal(VmdkFileKind.Cowd, VmdkSniffer.Detect(cowd));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
