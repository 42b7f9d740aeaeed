using System.Buffers.Binary;
using System.Text;
using V2VConverter.Formats.Tests.Vmdk.Helpers;
using V2VConverter.Formats.Vmdk;
using V2VConverter.TestSupport;
using static V2VConverter.Formats.Tests.Vmdk.Helpers.QemuFixtures;

namespace V2VConverter.Formats.Tests.Vmdk;

/// <summary>Issue 3 point 7: every bad input gives the documented exception type, naming the field.</summary>
public sealed class VmdkBadInputTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("vmdk-bad");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Opens, maps and reads the whole disk (as a conversion would).</summary>
    internal static void ReadAll(string path, VmdkOpenOptions? options = null)
    {
        using var disk = VmdkDisk.Open(path, options);
        _ = disk.GetExtents(0, disk.Length).Count();
        var buf = new byte[1 << 20];
        for (long pos = 0; pos < disk.Length; pos += buf.Length)
        {
            disk.Read(pos, buf.AsSpan(0, (int)Math.Min(buf.Length, disk.Length - pos)));
        }
    }

    private static T Fails<T>(Action action, params string[] needles)
        where T : Exception
    {
        var ex = Assert.Throws<T>(action);
        foreach (var n in needles)
        {
            Assert.True(ex.Message.Contains(n, StringComparison.Ordinal), $"\"{n}\" not in: {ex.Message}");
        }

        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    /// <summary>A qemu monolithicSparse of 40 MiB (2 grain tables) with data; returns its bytes and header.</summary>
    private (string Path, byte[] Bytes, SparseExtentHeader Header) Sparse()
    {
        Tool.Require("qemu-img");
        var src = MakeRawSource(_dir, 40 * MiB);
        var vmdk = Path.Combine(_dir, "base.vmdk");
        if (!File.Exists(vmdk))
        {
            Qemu("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", src, vmdk);
        }

        var bytes = File.ReadAllBytes(vmdk);
        return (vmdk, bytes, SparseExtentHeader.Parse(bytes));
    }

    private string Mutated(byte[] bytes, Action<byte[]> mutate, string name = "bad.vmdk")
    {
        var copy = (byte[])bytes.Clone();
        mutate(copy);
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, copy);
        return p;
    }

    private static void U32(byte[] b, long offset, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)offset), v);

    private static void U64(byte[] b, long offset, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)offset), v);

    [Fact]
    public void Huge_capacity_names_capacity()
    {
        var (_, bytes, _) = Sparse();
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U64(b, 12, 1UL << 40))), "\"capacity\"", "bad.vmdk");
    }

    [Fact]
    public void Grain_size_not_a_power_of_two_names_grainSize()
    {
        var (_, bytes, _) = Sparse();
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U64(b, 20, 100))), "\"grainSize\"", "100");
    }

    [Fact]
    public void Other_header_fields_out_of_range_are_named()
    {
        var (_, bytes, _) = Sparse();
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, 44, 1024))), "\"numGTEsPerGT\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b =>
        {
            U64(b, 12, 1UL << 30);
            U64(b, 20, 1);
            U32(b, 44, 1);
        })), "grain directory entries (bound");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U64(b, 36, 1 << 20))), "\"descriptorSize\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => b[75] = (byte)'\n')), "newline detection");
        Fails<NotSupportedException>(() => ReadAll(Mutated(bytes, b => U32(b, 4, 4))), "\"version\" 4");
        Fails<NotSupportedException>(() => ReadAll(Mutated(bytes, b => U32(b, 8, 0x10003))), "\"compressAlgorithm\" value 0");
        Fails<NotSupportedException>(() => ReadAll(Mutated(bytes, b =>
        {
            U32(b, 8, 0x10003);
            b[77] = 1;
        })), "compressed grains without markers");
    }

    [Fact]
    public void Grain_directory_beyond_end_of_file_names_gdOffset()
    {
        var (_, bytes, _) = Sparse();
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U64(b, 56, 1_000_000_000))), "\"gdOffset\"", "1000000000");
    }

    [Fact]
    public void Grain_table_beyond_end_of_file_names_the_grain_directory_entry()
    {
        var (_, bytes, h) = Sparse();

        // Both the primary and the redundant directory point past the end, so there is nothing to fall back to.
        var p = Mutated(bytes, b =>
        {
            U32(b, (long)h.GdOffset * 512, 0x00FFFFFF);
            U32(b, (long)h.RgdOffset * 512, 0x00FFFFFF);
        });
        Fails<InvalidDataException>(() => ReadAll(p), "grain directory entry 0", "16777215", "beyond the end of file");
    }

    [Fact]
    public void Grain_beyond_end_of_file_names_the_grain_table_entry()
    {
        var (_, bytes, h) = Sparse();
        var gt0 = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)h.GdOffset * 512));
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, gt0 * 512L, 0x7FFFFF00))), "grain table 0 entry 0", "beyond the end of file");
    }

    [Fact]
    public void Truncated_sparse_file_is_reported_as_truncated_grain()
    {
        var (_, bytes, _) = Sparse();
        var p = Path.Combine(_dir, "cut.vmdk");
        File.WriteAllBytes(p, bytes.AsSpan(0, bytes.Length - (100 * 1024)).ToArray());
        Fails<InvalidDataException>(() => ReadAll(p), "grain table", "truncated");
    }

    [Fact]
    public void Two_directory_entries_sharing_a_grain_table_are_overlapping_tables()
    {
        var (_, bytes, h) = Sparse();
        var p = Mutated(bytes, b =>
        {
            var gd = (int)h.GdOffset * 512;
            U32(b, gd + 4, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(gd)));
        });
        Fails<InvalidDataException>(() => ReadAll(p), "overlapping tables", "grain table");
    }

    [Fact]
    public void Grain_table_over_the_grain_directory_or_header_is_overlapping_tables()
    {
        var (_, bytes, h) = Sparse();
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, (long)h.GdOffset * 512, (uint)h.GdOffset))), "overlapping tables", "grain directory");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, (long)h.GdOffset * 512, 2))), "overlapping tables", "embedded descriptor");
    }

    [Fact]
    public void Grain_pointing_into_its_own_grain_table_is_a_cycle()
    {
        var (_, bytes, h) = Sparse();
        var gt0 = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)h.GdOffset * 512));
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, gt0 * 512L, gt0))), "grain table 0 entry 0", "overlaps the grain table");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, gt0 * 512L, 1))), "grain table 0 entry 0 has the bad value 1", "overlaps the");
    }

    [Fact]
    public void Descriptor_over_one_MiB_is_refused()
    {
        var p = Path.Combine(_dir, "big.vmdk");
        var text = "version=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"x.bin\" 0\n#" + new string('x', 1 << 20) + "\n";
        File.WriteAllText(p, text);
        Fails<InvalidDataException>(() => ReadAll(p), "\"descriptor size\"", "1048576");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse(Encoding.ASCII.GetBytes(text), "big"), "descriptor size");
    }

    [Fact]
    public void Extent_path_escaping_the_vm_folder_is_refused_unless_allowed()
    {
        var vm = Directory.CreateDirectory(Path.Combine(_dir, "vm")).FullName;
        File.WriteAllBytes(Path.Combine(_dir, "outside-flat.vmdk"), new byte[MiB]);
        var d = Path.Combine(vm, "d.vmdk");
        File.WriteAllText(d, "version=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"../outside-flat.vmdk\" 0\n");
        Fails<InvalidDataException>(() => ReadAll(d), "d.vmdk line 3", "\"extent file name\"", "escapes the VM folder", "--allow-absolute-extents");
        ReadAll(d, new VmdkOpenOptions { AllowAbsoluteExtents = true });

        File.WriteAllText(d, $"version=1\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"{Path.Combine(_dir, "outside-flat.vmdk")}\" 0\n");
        Fails<InvalidDataException>(() => ReadAll(d), "is absolute", "--allow-absolute-extents");
        ReadAll(d, new VmdkOpenOptions { AllowAbsoluteExtents = true });
    }

    [Fact]
    public void Parent_hint_escaping_the_vm_folder_is_refused_unless_allowed()
    {
        var vm = Directory.CreateDirectory(Path.Combine(_dir, "vm2")).FullName;
        File.WriteAllBytes(Path.Combine(_dir, "p-flat.vmdk"), new byte[MiB]);
        File.WriteAllText(Path.Combine(_dir, "p.vmdk"), "version=1\nCID=00000001\nparentCID=ffffffff\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"p-flat.vmdk\" 0\n");
        File.WriteAllBytes(Path.Combine(vm, "c-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        var c = Path.Combine(vm, "c.vmdk");
        File.WriteAllText(c, "version=1\nCID=00000002\nparentCID=00000001\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"../p.vmdk\"\nRW 2048 VMFSSPARSE \"c-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(c), "\"parentFileNameHint\"", "escapes", "--allow-absolute-extents");
        ReadAll(c, new VmdkOpenOptions { AllowAbsoluteExtents = true });
    }

    [Fact]
    public void Missing_extent_file_names_the_extent()
    {
        var d = Path.Combine(_dir, "m.vmdk");
        File.WriteAllText(d, "version=1\ncreateType=\"twoGbMaxExtentFlat\"\nRW 2048 FLAT \"m-f001.vmdk\" 0\n");
        var ex = Fails<InvalidDataException>(() => ReadAll(d), "m.vmdk line 3", "\"extent file name\"", "m-f001.vmdk", "does not exist");
        Assert.IsType<FileNotFoundException>(ex.InnerException);
    }

    [Fact]
    public void Corrupt_deflate_data_names_the_compressed_grain()
    {
        var grains = new Dictionary<long, byte[]> { [0] = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abc", 20000))) };
        var bytes = VmdkBuilder.VmwareStream(2048, grains);
        var p = Mutated(bytes, b =>
        {
            for (var i = (128 * 512) + 12 + 2; i < (128 * 512) + 12 + 40; i++)
            {
                b[i] ^= 0x5A;
            }
        });
        Fails<InvalidDataException>(() => ReadAll(p), "\"compressed grain data\"", "guest sector 0");
    }

    [Fact]
    public void Grain_marker_size_past_the_end_of_file_is_a_truncated_grain()
    {
        var grains = new Dictionary<long, byte[]> { [0] = VmdkBuilder.Random(65536, 1) };
        var bytes = VmdkBuilder.VmwareStream(2048, grains);
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, (128 * 512) + 8, 131000))), "\"grain marker size\"", "truncated grain");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, (128 * 512) + 8, 1 << 30))), "\"grain marker size\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U64(b, 128 * 512, 128))), "\"grain marker lba\"");
    }

    [Fact]
    public void Scanned_stream_with_a_grain_marker_beyond_capacity_names_the_lba()
    {
        var grains = new Dictionary<long, byte[]> { [0] = [1, 2, 3] };
        var bytes = VmdkBuilder.VmwareStream(2048, grains);
        var noFooter = bytes.AsSpan(0, bytes.Length - 1536).ToArray();
        Fails<InvalidDataException>(() => ReadAll(Mutated(noFooter, b => U64(b, 128 * 512, 1 << 20))), "\"grain marker lba\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(noFooter, b => U32(b, (130 * 512) + 12, 9))), "\"marker type\"");
    }

    [Fact]
    public void Cowd_fields_out_of_range_are_named()
    {
        var bytes = VmdkBuilder.Cowd(10000, new Dictionary<long, byte[]> { [1] = [1, 2, 3] });
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, 24, 0))), "\"numGDEntries\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, 20, 99999))), "\"gdOffset\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, 16, 3))), "\"grainSize\"");
        Fails<InvalidDataException>(() => ReadAll(Mutated(bytes, b => U32(b, 4 * 512, 4))), "overlapping tables");
        Fails<EndOfStreamException>(() => ReadAll(Mutated(bytes.AsSpan(0, 1000).ToArray(), _ => { })), "COWD header");
    }

    [Fact]
    public void Short_header_is_end_of_stream_and_empty_file_is_not_a_vmdk()
    {
        var (_, bytes, _) = Sparse();
        Fails<EndOfStreamException>(() => ReadAll(Mutated(bytes.AsSpan(0, 100).ToArray(), _ => { })), "sparse extent header");
        Fails<InvalidDataException>(() => ReadAll(Mutated([], _ => { }, "empty.vmdk")), "empty.vmdk", "extent description");
    }

    [Fact]
    public void SeSparse_and_device_backed_disks_are_refused_with_advice()
    {
        var d = Path.Combine(_dir, "se.vmdk");
        File.WriteAllText(d, "version=1\nCID=1\nparentCID=ffffffff\ncreateType=\"seSparse\"\nRW 2048 SESPARSE \"se-sesparse.vmdk\"\n");
        Fails<NotSupportedException>(() => ReadAll(d), "seSparse", "consolidate the snapshots", "vmkfstools -i");
        File.WriteAllText(d, "version=1\ncreateType=\"custom\"\nRW 2048 SESPARSE \"se-sesparse.vmdk\"\n");
        Fails<NotSupportedException>(() => ReadAll(d), "SESPARSE", "consolidate");
        var raw = new byte[4096];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, 0xCAFEBABE);
        Fails<NotSupportedException>(() => ReadAll(Mutated(raw, _ => { }, "se-sesparse.vmdk")), "seSparse", "consolidate");
        File.WriteAllText(d, "version=1\ncreateType=\"vmfsRawDeviceMap\"\nRW 2048 VMFSRDM \"x-rdm.vmdk\"\n");
        Fails<NotSupportedException>(() => ReadAll(d), "physical device");
        File.WriteAllText(d, "version=1\ncreateType=\"custom\"\nNOACCESS 2048 FLAT \"x.bin\" 0\n");
        Fails<NotSupportedException>(() => ReadAll(d), "NOACCESS");
    }

    [Fact]
    public void Parent_cid_mismatch_is_an_error_unless_ignored()
    {
        Tool.Require("qemu-img");
        var parent = Path.Combine(_dir, "cp.vmdk");
        var child = Path.Combine(_dir, "cc.vmdk");
        Qemu("create", "-q", "-f", "vmdk", parent, "4M");
        Qemu("create", "-q", "-f", "vmdk", "-b", "cp.vmdk", "-F", "vmdk", child);
        QemuIo(parent, "write -P 0x55 0 64k"); // changes the parent's CID after the snapshot
        Fails<InvalidDataException>(() => ReadAll(child), "\"parentCID\"", "--ignore-cid");
        ReadAll(child, new VmdkOpenOptions { IgnoreCid = true });
        using var disk = VmdkDisk.Open(child, new VmdkOpenOptions { IgnoreCid = true });
        Assert.Contains(disk.Warnings, w => w.Contains("--ignore-cid", StringComparison.Ordinal));
    }

    [Fact]
    public void Chain_cycles_and_depth_are_bounded()
    {
        File.WriteAllBytes(Path.Combine(_dir, "a-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        File.WriteAllBytes(Path.Combine(_dir, "b-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        File.WriteAllText(Path.Combine(_dir, "a.vmdk"), "version=1\nCID=0000000a\nparentCID=0000000b\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"b.vmdk\"\nRW 2048 VMFSSPARSE \"a-delta.vmdk\"\n");
        File.WriteAllText(Path.Combine(_dir, "b.vmdk"), "version=1\nCID=0000000b\nparentCID=0000000a\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"a.vmdk\"\nRW 2048 VMFSSPARSE \"b-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(Path.Combine(_dir, "a.vmdk")), "loops back", "\"parentFileNameHint\"");

        File.WriteAllText(Path.Combine(_dir, "self.vmdk"), "version=1\nCID=0000000c\nparentCID=0000000c\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"self.vmdk\"\nRW 2048 VMFSSPARSE \"a-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(Path.Combine(_dir, "self.vmdk")), "loops back");

        // A 4-layer chain: base flat + 3 deltas.
        File.WriteAllBytes(Path.Combine(_dir, "l0-flat.vmdk"), new byte[MiB]);
        File.WriteAllText(Path.Combine(_dir, "l0.vmdk"), "version=1\nCID=00000010\nparentCID=ffffffff\ncreateType=\"vmfs\"\nRW 2048 VMFS \"l0-flat.vmdk\"\n");
        for (var i = 1; i <= 3; i++)
        {
            File.WriteAllBytes(Path.Combine(_dir, $"l{i}-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]> { [i] = [(byte)i] }));
            File.WriteAllText(Path.Combine(_dir, $"l{i}.vmdk"), $"version=1\nCID={0x10 + i:x8}\nparentCID={0x10 + i - 1:x8}\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"l{i - 1}.vmdk\"\nRW 2048 VMFSSPARSE \"l{i}-delta.vmdk\"\n");
        }

        ReadAll(Path.Combine(_dir, "l3.vmdk"));
        Fails<InvalidDataException>(() => ReadAll(Path.Combine(_dir, "l3.vmdk"), new VmdkOpenOptions { MaxChainDepth = 3 }), "deeper than 3");
    }

    [Fact]
    public void Missing_parent_names_parentFileNameHint()
    {
        File.WriteAllBytes(Path.Combine(_dir, "o-delta.vmdk"), VmdkBuilder.Cowd(2048, new Dictionary<long, byte[]>()));
        var d = Path.Combine(_dir, "o.vmdk");
        File.WriteAllText(d, "version=1\nCID=00000001\nparentCID=00000002\ncreateType=\"vmfsSparse\"\nparentFileNameHint=\"gone.vmdk\"\nRW 2048 VMFSSPARSE \"o-delta.vmdk\"\n");
        Fails<InvalidDataException>(() => ReadAll(d), "\"parentFileNameHint\"", "gone.vmdk", "does not exist");
    }

    [Fact]
    public void Bad_descriptor_values_are_named()
    {
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("CID=xyz\n", "t"), "\"CID\"", "xyz");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("parentCID=12345678901\n", "t"), "\"parentCID\"");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("RW -5 FLAT \"x\"\n", "t"), "\"extent size\"");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("RW 5 FLAT \"x\" abc\n", "t"), "\"extent offset\"");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("RW 99999999999999999 FLAT \"x\"\n", "t"), "\"extent size\"");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("RW 5\n", "t"), "needs ACCESS SIZE TYPE");
        Fails<InvalidDataException>(() => VmdkDescriptor.Parse("version=x\n", "t"), "\"version\"");
    }

    private string Regression(string name)
    {
        var copy = Path.Combine(_dir, name + ".vmdk");
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "V2VConverter.Formats.Tests", "Vmdk", "Regressions", name), copy);
        return copy;
    }

    /// <summary>Issue 11 point 12: a cut stream whose grain marker says lba 2^63 + 128 (lba * 512 wrapped, then an index out of range).</summary>
    [Fact]
    public void A_stream_marker_lba_of_2_pow_63_is_the_bad_lba_not_an_internal_error() =>
        Fails<InvalidDataException>(() => ReadAll(Regression("IndexOutOfRangeException-ac9ddd217c31c4c5.bin")), "field \"grain marker lba\"", "9223372036854775936");

    /// <summary>Issue 11 point 12: rgdOffset = 2^64 - 1 (rgdOffset + size wrapped, then a negative file offset): the redundant directory is ignored with a warning.</summary>
    [Fact]
    public void An_rgd_offset_of_2_pow_64_minus_1_is_ignored_with_a_warning()
    {
        var path = Regression("ArgumentOutOfRangeException-dae7b77390e69903.bin");
        ReadAll(path);
        using var disk = VmdkDisk.Open(path);
        Assert.Contains(disk.Warnings, w => w.Contains("rgdOffset 18446744073709551615", StringComparison.Ordinal));
    }
}
