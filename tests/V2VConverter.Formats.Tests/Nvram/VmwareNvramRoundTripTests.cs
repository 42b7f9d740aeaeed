using System.Text;
using V2VConverter.Formats.Nvram;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Nvram;

/// <summary>Issue 16: a store built like VMware's reads back into the boot state it was built from.</summary>
public sealed class VmwareNvramRoundTripTests
{
    private const string Origin = "[ds1] vm/vm.nvram";
    private const string ScsiDevice = "EFI VMware Virtual SCSI Hard Drive (0.0)";
    private static readonly Guid Esp = new("3a6f0c2e-8d4b-4c1f-9e2a-5b7d1c0e9f11");
    private static readonly Guid WinEsp = new("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    private static VmwareNvramWriter Typical() => new VmwareNvramWriter()
        .WithTypicalNoise()
        .AddDeviceBootOption(0, ScsiDevice)
        .AddBootOption(1, "debian", @"\EFI\debian\shimx64.efi", 1, Esp, 2048, 1048576)
        .AddBootOption(2, "old grub", @"\EFI\old\grubx64.efi", 1, Esp, 2048, 1048576, active: false)
        .AddBootOption(3, "Windows Boot Manager", @"\EFI\Microsoft\Boot\bootmgfw.efi", 2, WinEsp, 1050624, 204800)
        .SetBootOrder(0, 1, 2)
        .SetBootOrder(3, 1);

    [Fact]
    public void Boot_options_read_back_with_description_path_partition_and_guid()
    {
        var state = VmwareNvram.ReadBootState(Typical().ToArray(), Origin);

        Assert.Equal(Origin, state.Origin);
        Assert.Equal([0, 1, 2, 3], state.Entries.Select(e => e.Number));
        var debian = state.Entries[1];
        Assert.Equal("Boot0001", debian.Name);
        Assert.Equal("debian", debian.Description);
        Assert.True(debian.Active);
        Assert.Equal(@"\EFI\debian\shimx64.efi", debian.FilePath);
        Assert.Equal(1, debian.Partition);
        Assert.Equal(Esp, debian.PartitionGuid);
        Assert.True(debian.LoadsFile);
        var windows = state.Entries[3];
        Assert.Equal(@"\EFI\Microsoft\Boot\bootmgfw.efi", windows.FilePath);
        Assert.Equal(2, windows.Partition);
        Assert.Equal(WinEsp, windows.PartitionGuid);
    }

    [Fact]
    public void The_last_BootOrder_record_of_the_append_log_wins()
    {
        var bytes = Typical().ToArray();

        Assert.Equal([3, 1], VmwareNvram.ReadBootState(bytes, Origin).BootOrder);
        var orders = VmwareNvram.ReadVariables(bytes, Origin).Where(v => v.Name == "BootOrder").ToList();
        Assert.Single(orders);
        Assert.Equal(new byte[] { 3, 0, 1, 0 }, orders[0].Data);
    }

    [Fact]
    public void An_inactive_option_is_read_as_inactive()
    {
        var old = VmwareNvram.ReadBootState(Typical().ToArray(), Origin).Entries.Single(e => e.Number == 2);

        Assert.False(old.Active);
        Assert.Equal(@"\EFI\old\grubx64.efi", old.FilePath);
    }

    [Fact]
    public void A_device_only_option_has_no_file_and_does_not_load_one()
    {
        var device = VmwareNvram.ReadBootState(Typical().ToArray(), Origin).Entries[0];

        Assert.Equal(ScsiDevice, device.Description);
        Assert.Null(device.FilePath);
        Assert.Null(device.Partition);
        Assert.Null(device.PartitionGuid);
        Assert.False(device.LoadsFile);
    }

    [Fact]
    public void Ordered_follows_BootOrder_then_the_others_by_number()
    {
        var state = VmwareNvram.ReadBootState(Typical().ToArray(), Origin);

        Assert.Equal([3, 1, 0, 2], state.Ordered.Select(e => e.Number));
    }

    [Fact]
    public void Noise_variables_are_read_and_a_Boot_name_of_another_vendor_is_not_a_boot_option()
    {
        var bytes = Typical().Add(VmwareNvramWriter.MemoryTypeInformationGuid, "Boot0007", 7, [0xDE, 0xAD]).ToArray();

        var vars = VmwareNvram.ReadVariables(bytes, Origin);
        var lang = vars.Single(v => v.Name == "Lang");
        Assert.Equal(VmwareNvram.EfiGlobalVariable, lang.VendorGuid);
        Assert.Equal(7u, lang.Attributes);
        Assert.Equal("eng\0", Encoding.ASCII.GetString(lang.Data));
        Assert.Equal(VmwareNvramWriter.MemoryTypeInformationGuid, vars.Single(v => v.Name == "MemoryTypeInformation").VendorGuid);
        Assert.DoesNotContain(VmwareNvram.ReadBootState(bytes, Origin).Entries, e => e.Number == 7);
    }

    [Fact]
    public void A_store_without_BootOrder_has_an_empty_order_and_orders_by_number()
    {
        var bytes = new VmwareNvramWriter()
            .AddBootOption(2, "b", @"\EFI\b\b.efi", 1, Esp, 34, 100)
            .AddBootOption(1, "a", @"\EFI\a\a.efi", 1, Esp, 34, 100)
            .ToArray();

        var state = VmwareNvram.ReadBootState(bytes, Origin);

        Assert.Empty(state.BootOrder);
        Assert.Equal([1, 2], state.Ordered.Select(e => e.Number));
    }

    [Fact]
    public void Read_takes_a_file_and_names_it_as_the_origin()
    {
        var dir = RepoPaths.NewTempDir("nvram");
        try
        {
            var path = Path.Combine(dir, "vm.nvram");
            Typical().Write(path);
            Assert.Equal(VmwareNvramWriter.TotalSize, new FileInfo(path).Length);

            var state = VmwareNvram.Read(path);

            Assert.Equal(path, state.Origin);
            Assert.Equal([3, 1], state.BootOrder);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("Boot0001", 1)]
    [InlineData("Boot000A", 10)]
    [InlineData("Boot000a", 10)]
    [InlineData("BootFFFF", 0xFFFF)]
    [InlineData("BootOrder", null)]
    [InlineData("BootNext", null)]
    [InlineData("Boot001", null)]
    [InlineData("Boot00001", null)]
    [InlineData("boot0001", null)]
    [InlineData("Boot+001", null)]
    [InlineData("Boot 001", null)]
    public void Boot_names_are_Boot_and_exactly_four_hex_digits(string name, int? number) =>
        Assert.Equal(number, VmwareNvram.BootNumber(name));
}
