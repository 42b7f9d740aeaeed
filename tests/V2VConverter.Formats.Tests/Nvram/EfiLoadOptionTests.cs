using System.Text;
using V2VConverter.Formats.Nvram;

namespace V2VConverter.Formats.Tests.Nvram;

/// <summary>Issue 16: EFI_LOAD_OPTION and device paths decoded from bytes laid out by the UEFI spec, not by the test writer.</summary>
public sealed class EfiLoadOptionTests
{
    private const string Where = "vm.nvram: variable Boot0001";

    /// <summary>Boot0001 "debian" -> HD(1,GPT,c12a7328-...,0x800,0x100000)/\EFI\debian\grubx64.efi, optional data DEADBEEF.</summary>
    private static readonly byte[] GoldenBoot0001 = System.Convert.FromHexString(string.Concat(
        "01000000", // Attributes: LOAD_OPTION_ACTIVE
        "6200", // FilePathListLength: 42 + 52 + 4 = 98
        "640065006200690061006E000000", // Description "debian\0", UCS-2
        "04012A00", // Media / Hard Drive, Length 42
        "01000000", // PartitionNumber 1
        "0008000000000000", // PartitionStart 0x800
        "0000100000000000", // PartitionSize 0x100000
        "28732AC11FF8D211BA4B00A0C93EC93B", // Signature: GUID c12a7328-f81f-11d2-ba4b-00a0c93ec93b, mixed endian
        "02", // MBRType: GPT
        "02", // SignatureType: GUID
        "04043400", // Media / File Path, Length 52
        "5C004500460049005C0064006500620069006100", // \EFI\debia
        "6E005C006700720075006200780036003400", // n\grubx64
        "2E006500660069000000", // .efi\0
        "7FFF0400", // End of entire device path
        "DEADBEEF")); // OptionalData

    [Fact]
    public void A_spec_encoded_load_option_decodes_field_by_field()
    {
        var option = EfiLoadOption.Parse(GoldenBoot0001, Where);

        Assert.Equal(1u, option.Attributes);
        Assert.Equal("debian", option.Description);
        Assert.Equal(@"\EFI\debian\grubx64.efi", option.FilePathList.FilePath);
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, option.OptionalData);
        Assert.Equal(2, option.FilePathList.Nodes.Count);
        var hd = option.FilePathList.HardDrive!;
        Assert.Equal(1u, hd.PartitionNumber);
        Assert.Equal(0x800ul, hd.PartitionStart);
        Assert.Equal(0x100000ul, hd.PartitionSize);
        Assert.Equal(EfiHardDriveNode.MbrTypeGpt, hd.MbrType);
        Assert.Equal(new Guid("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"), hd.PartitionGuid);
    }

    [Fact]
    public void A_spec_encoded_load_option_becomes_the_model_entry()
    {
        var entry = EfiLoadOption.Parse(GoldenBoot0001, Where).ToBootEntry(1);

        Assert.Equal("Boot0001", entry.Name);
        Assert.True(entry.Active);
        Assert.Equal(@"\EFI\debian\grubx64.efi", entry.FilePath);
        Assert.Equal(1, entry.Partition);
        Assert.Equal(new Guid("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"), entry.PartitionGuid);
        Assert.True(entry.LoadsFile);
    }

    [Fact]
    public void Consecutive_file_path_nodes_are_joined_and_normalised()
    {
        byte[] list = [.. FilePathNode(@"\EFI\"), .. FilePathNode("debian/grubx64.efi"), .. EndNode()];

        Assert.Equal(@"\EFI\debian\grubx64.efi", EfiDevicePath.Parse(list, Where).FilePath);
    }

    [Fact]
    public void Nodes_after_the_end_of_the_first_instance_are_not_read()
    {
        byte[] list = [.. EndNode(), .. FilePathNode(@"\EFI\other.efi"), .. EndNode()];

        var path = EfiDevicePath.Parse(list, Where);

        Assert.Empty(path.Nodes);
        Assert.Null(path.FilePath);
    }

    [Fact]
    public void An_MBR_partition_has_a_number_but_no_guid()
    {
        var hd = System.Convert.FromHexString(string.Concat(
            "04012A00", "02000000", "0008000000000000", "0000100000000000",
            "78563412000000000000000000000000", // MBR disk signature 0x12345678
            "01", "01"));
        byte[] list = [.. hd, .. FilePathNode(@"\EFI\BOOT\BOOTX64.EFI"), .. EndNode()];

        var path = EfiDevicePath.Parse(list, Where);

        Assert.Equal(2u, path.HardDrive!.PartitionNumber);
        Assert.Null(path.HardDrive.PartitionGuid);
    }

    [Fact]
    public void A_hard_drive_node_too_short_for_its_fields_is_refused()
    {
        byte[] list = [0x04, 0x01, 0x08, 0x00, 1, 0, 0, 0, .. EndNode()];

        var ex = Assert.Throws<InvalidDataException>(() => EfiDevicePath.Parse(list, Where));

        Assert.StartsWith(Where, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Hard Drive", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Length has the bad value 8", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] FilePathNode(string path)
    {
        var text = Encoding.Unicode.GetBytes(path + "\0");
        return [0x04, 0x04, (byte)(text.Length + 4), 0x00, .. text];
    }

    private static byte[] EndNode() => [0x7F, 0xFF, 0x04, 0x00];
}
