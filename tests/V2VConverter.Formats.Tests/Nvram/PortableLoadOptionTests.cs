using V2VConverter.Formats.Nvram;

namespace V2VConverter.Formats.Tests.Nvram;

/// <summary>
/// Issue 16: a VMware boot entry carried to a new machine. Its device path starts with VMware's PCI/SCSI topology, which a
/// KVM domain does not have; the portable form keeps the hard-drive node on (the short form firmware matches by the GPT
/// partition GUID), with attributes, description and optional data byte for byte. The expected bytes are spelt out here
/// from the UEFI spec's layout.
/// </summary>
public sealed class PortableLoadOptionTests
{
    private const string Short =
        "01000000" + "6200" + "640065006200690061006E000000" // ACTIVE, FilePathListLength 98, "debian"
        + "04012A00" + "01000000" + "0008000000000000" + "0000100000000000" + "28732AC11FF8D211BA4B00A0C93EC93B" + "0202" // HD(1,GPT,...)
        + "04043400" + "5C004500460049005C00640065006200690061006E005C007300680069006D00780036003400" + "2E006500660069000000" // \EFI\debian\shimx64.efi
        + "7FFF0400" + "DEADBEEF"; // End, OptionalData

    /// <summary>The same option as VMware writes it: PciRoot(0x0)/Pci(0x10,0x0)/Scsi(0x0,0x0)/HD(...)/File(...).</summary>
    private static string Vmware => Short[..8] + "7C00" + Short[12..40] // FilePathListLength 98 + 12 + 6 + 8 = 124
        + "02010C00" + "D041030A" + "00000000" // ACPI PciRoot(0)
        + "01010600" + "0010" // PCI function 0, device 0x10
        + "03020800" + "0000" + "0000" // SCSI target 0, LUN 0
        + Short[40..];

    [Fact]
    public void A_vmware_entry_loses_its_pci_and_scsi_prefix_and_keeps_everything_else_byte_for_byte()
    {
        var entry = EfiLoadOption.Parse(System.Convert.FromHexString(Vmware), "guest.nvram: variable Boot0001").ToBootEntry(1);

        Assert.Equal(@"\EFI\debian\shimx64.efi", entry.FilePath);
        Assert.Equal(Short, System.Convert.ToHexString(entry.PortableLoadOption!));
    }

    [Fact]
    public void A_short_form_entry_is_carried_unchanged_and_a_device_entry_is_not_carried()
    {
        Assert.Equal(Short, System.Convert.ToHexString(EfiLoadOption.Parse(System.Convert.FromHexString(Short), "x").ToBootEntry(1).PortableLoadOption!));

        // "EFI VMware Virtual SCSI Hard Drive (0.0)": PciRoot/Pci/Scsi, no partition, no file.
        var device = "01000000" + "1E00" + "4500460049000000" + "02010C00D041030A00000000" + "010106000010" + "0302080000000000" + "7FFF0400";
        Assert.Null(EfiLoadOption.Parse(System.Convert.FromHexString(device), "x").ToBootEntry(2).PortableLoadOption);
    }
}
