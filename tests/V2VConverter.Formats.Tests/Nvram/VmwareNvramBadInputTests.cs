using System.Buffers.Binary;
using V2VConverter.Formats.Nvram;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Nvram;

/// <summary>Issue 16: malformed stores give InvalidDataException naming the origin, the field and its value.</summary>
public sealed class VmwareNvramBadInputTests
{
    private const string Origin = "/vms/bad/bad.nvram";
    private const int TotalLenAt = VmwareNvramWriter.FirstRecordOffset + 20;
    private const int NameLenAt = VmwareNvramWriter.FirstRecordOffset + 24;

    private static void Fails(byte[] file, params string[] needles)
    {
        var ex = Assert.Throws<InvalidDataException>(() => VmwareNvram.ReadBootState(file, Origin));
        Assert.StartsWith(Origin + ": ", ex.Message, StringComparison.Ordinal);
        foreach (var n in needles)
        {
            Assert.True(ex.Message.Contains(n, StringComparison.Ordinal), $"\"{n}\" not in: {ex.Message}");
        }
    }

    private static byte[] Patched(VmwareNvramWriter writer, int offset, uint value)
    {
        var file = writer.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(offset), value);
        return file;
    }

    private static VmwareNvramWriter OneOption() =>
        new VmwareNvramWriter().AddBootOption(1, "debian", @"\EFI\debian\shimx64.efi", 1, Guid.NewGuid(), 2048, 4096).SetBootOrder(1);

    [Fact]
    public void A_file_without_the_region_signature_is_not_a_UEFI_store()
    {
        var bios = new byte[9000];
        "MRVN"u8.CopyTo(bios);

        Fails(bios, "no VMWNVRAM variable region");
        Fails([], "no VMWNVRAM variable region");
    }

    [Fact]
    public void A_region_length_beyond_the_file_is_refused()
    {
        var beyond = (uint)(VmwareNvramWriter.TotalSize - VmwareNvramWriter.RegionOffset + 1);

        Fails(Patched(OneOption(), VmwareNvramWriter.RegionLengthOffset, beyond), "region length", $"bad value {beyond}");
    }

    [Fact]
    public void A_region_length_shorter_than_its_header_is_refused() =>
        Fails(Patched(OneOption(), VmwareNvramWriter.RegionLengthOffset, 8), "region length", "bad value 8");

    [Fact]
    public void A_record_whose_total_len_overruns_the_region_is_refused() =>
        Fails(Patched(OneOption(), TotalLenAt, 100000), $"record at offset 0x{VmwareNvramWriter.FirstRecordOffset:X}", "total_len", "bad value 100000");

    [Fact]
    public void A_total_len_shorter_than_the_name_is_refused() =>
        Fails(Patched(OneOption(), TotalLenAt, 4), "total_len", "bad value 4");

    [Theory]
    [InlineData(9u)]
    [InlineData(0u)]
    [InlineData(2048u)]
    public void A_bad_name_len_is_refused(uint nameLen) =>
        Fails(Patched(OneOption(), NameLenAt, nameLen), "name_len", $"bad value {nameLen}");

    [Fact]
    public void A_region_that_ends_inside_a_record_header_is_refused()
    {
        var file = OneOption().ToArray();
        var length = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(VmwareNvramWriter.RegionLengthOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(VmwareNvramWriter.RegionLengthOffset), length + 10);

        Fails(file, "only 10 bytes left", "record header", "region length");
    }

    [Fact]
    public void A_device_path_node_shorter_than_its_header_is_refused() =>
        Fails(WithRawBoot0001([0x04, 0x04, 0x02, 0x00, 0x7F, 0xFF, 0x04, 0x00]), "variable Boot0001", "field Length", "bad value 2");

    [Fact]
    public void A_device_path_node_past_the_list_is_refused() =>
        Fails(WithRawBoot0001([0x04, 0x04, 0x40, 0x00, 0x7F, 0xFF, 0x04, 0x00]), "variable Boot0001", "field Length", "bad value 64", "8-byte FilePathList");

    [Fact]
    public void A_FilePathListLength_past_the_option_is_refused()
    {
        byte[] option = [1, 0, 0, 0, 0xFF, 0x00, (byte)'x', 0, 0, 0, 0x7F, 0xFF, 0x04, 0x00];

        Fails(new VmwareNvramWriter().Add(VmwareNvram.EfiGlobalVariable, "Boot0001", 7, option).ToArray(), "Boot0001", "FilePathListLength", "bad value 255");
    }

    [Fact]
    public void A_description_without_a_terminator_is_refused()
    {
        byte[] option = [1, 0, 0, 0, 0x00, 0x00, (byte)'x', 0, (byte)'y', 0];

        Fails(new VmwareNvramWriter().Add(VmwareNvram.EfiGlobalVariable, "Boot0001", 7, option).ToArray(), "Boot0001", "Description");
    }

    [Fact]
    public void An_odd_BootOrder_is_refused() =>
        Fails(new VmwareNvramWriter().Add(VmwareNvram.EfiGlobalVariable, "BootOrder", 7, [1, 0, 2]).ToArray(), "BootOrder", "bad value 3");

    [Fact]
    public void A_file_over_the_bound_is_refused_before_it_is_read()
    {
        var dir = RepoPaths.NewTempDir("nvram-big");
        try
        {
            var path = Path.Combine(dir, "huge.nvram");
            using (var f = File.Create(path))
            {
                f.SetLength(VmwareNvram.MaxFileBytes + 1L);
            }

            var ex = Assert.Throws<InvalidDataException>(() => VmwareNvram.Read(path));

            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains($"{VmwareNvram.MaxFileBytes + 1L} bytes", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A store whose Boot0001 has description "x" and <paramref name="pathList"/> as its device path list.</summary>
    private static byte[] WithRawBoot0001(byte[] pathList)
    {
        byte[] option = [1, 0, 0, 0, (byte)pathList.Length, 0, (byte)'x', 0, 0, 0, .. pathList];
        return new VmwareNvramWriter().Add(VmwareNvram.EfiGlobalVariable, "Boot0001", 7, option).ToArray();
    }
}
