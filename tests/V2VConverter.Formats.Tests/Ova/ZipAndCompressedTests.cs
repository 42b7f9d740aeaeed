using System.Globalization;
using V2VConverter.Formats.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

public sealed class ZipAndCompressedTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ova-zip");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string MakeZip =
        """
        import sys, zipfile, os
        src, out = sys.argv[1], sys.argv[2]
        with zipfile.ZipFile(out, 'w') as z:
            for name in sys.argv[3:]:
                method = zipfile.ZIP_DEFLATED if name.endswith('.vmdk') else zipfile.ZIP_STORED
                z.write(os.path.join(src, name), name, compress_type=method)
        """;

    [Fact]
    public void Zip_members_are_listed_like_python_zipfile_stored_in_place_deflated_flagged()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var zip = Path.Combine(_dir, "vm.ova");
        OvaFixtures.Python(MakeZip, src, zip, "disk1.vmdk", OvaFixtures.LongName, "vm.ovf", "empty.txt");

        var listing = ZipCentralDirectory.List(zip, cancellationToken: Ct);
        Assert.Equal(OvaFixtures.ZipListing(zip), listing.Members.Select(m => (m.Name, m.Size)).ToList());
        Assert.Equal(MemberStorage.Deflated, listing.Find("disk1.vmdk")!.Value.Storage);
        Assert.Equal(MemberStorage.Deflated, listing.Find(OvaFixtures.LongName)!.Value.Storage);
        var ovf = listing.Find("vm.ovf")!.Value;
        Assert.Equal(MemberStorage.Stored, ovf.Storage);

        // A stored member is (offset, length) in the zip file itself.
        var raw = File.ReadAllBytes(zip);
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "vm.ovf")), raw.AsSpan((int)ovf.DataOffset, (int)ovf.Size).ToArray());

        using var ova = OvaArchive.Open(zip, cancellationToken: Ct);
        Assert.Equal(ArchiveFormat.Zip, ova.Container);
        var disk = ova.Listing.Find("disk1.vmdk")!.Value;
        Assert.Throws<ArgumentException>(() => ova.OpenMember(disk));
        var temp = Path.Combine(_dir, "tmp");
        Directory.CreateDirectory(temp);
        var inflated = ova.ExtractToTemp(disk, temp, cancellationToken: Ct);
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "disk1.vmdk")), File.ReadAllBytes(inflated));
        ova.Dispose();
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public void Zip64_sizes_and_offsets_beyond_4_GiB_are_read()
    {
        // A hand-made zip64 archive: a stored 5 GiB member (a hole, so nothing is written) and a small member after
        // it, whose local header offset only fits the zip64 extra field; a zip64 end record and locator.
        var zip = Path.Combine(_dir, "big.ova");
        const long big = (5L << 30) + 7;
        OvaFixtures.Python(
            """
            import sys, struct
            out, size = sys.argv[1], int(sys.argv[2])
            cd = b''
            with open(out, 'wb') as f:
                def member(name, size, data):
                    global cd
                    off = f.tell(); n = name.encode()
                    z64 = struct.pack('<HHQQ', 1, 16, size, size)
                    f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(z64)) + n + z64)
                    if data is None: f.seek(size, 1)
                    else: f.write(data)
                    cz = struct.pack('<HHQQQ', 1, 24, size, size, off)
                    cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(cz), 0, 0, 0, 0, 0xFFFFFFFF) + n + cz
                member('disk-big.vmdk', size, None)
                member('vm.ovf', 5, b'<x/>\n')
                cdoff = f.tell(); f.write(cd); z64at = f.tell()
                f.write(struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, 2, 2, len(cd), cdoff))
                f.write(struct.pack('<IIQI', 0x07064b50, 0, z64at, 1))
                f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
            """,
            zip, big.ToString(CultureInfo.InvariantCulture));

        var listing = ZipCentralDirectory.List(zip, cancellationToken: Ct);
        Assert.Equal(OvaFixtures.ZipListing(zip), listing.Members.Select(m => (m.Name, m.Size)).ToList());
        Assert.Equal(big, listing.Members[0].Size);
        Assert.True(listing.Members[1].DataOffset > big);
        using var ova = OvaArchive.Open(zip, cancellationToken: Ct);
        using var s = ova.OpenMember(ova.Listing.Members[1]);
        Assert.Equal("<x/>\n"u8.ToArray(), OvaFixtures.ReadAll(s));
    }

    [Theory]
    [InlineData("../evil.vmdk", "\"..\" component")]
    [InlineData("/abs/evil.vmdk", "absolute member name")]
    public void Zip_names_that_escape_are_refused(string name, string why)
    {
        var zip = Path.Combine(_dir, "evil.ova");
        OvaFixtures.Python("import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  z.writestr(sys.argv[2], b'xyz')", zip, name);
        var e = Assert.Throws<InvalidDataException>(() => ZipCentralDirectory.List(zip, cancellationToken: Ct));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zip_symlink_is_skipped()
    {
        var zip = Path.Combine(_dir, "link.ova");
        OvaFixtures.Python(
            """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], 'w') as z:
                z.writestr('vm.ovf', b'x')
                i = zipfile.ZipInfo('disk1.vmdk'); i.create_system = 3; i.external_attr = (0o120777 << 16)
                z.writestr(i, b'/etc/shadow')
            """,
            zip);
        var listing = ZipCentralDirectory.List(zip, cancellationToken: Ct);
        Assert.Equal(["vm.ovf"], listing.Members.Select(m => m.Name).ToArray());
        Assert.Contains("link", Assert.Single(listing.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_zip_is_an_end_of_stream()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var zip = Path.Combine(_dir, "cut.ova");
        OvaFixtures.Python(MakeZip, src, zip, "vm.ovf", "disk1.vmdk");
        using (var f = new FileStream(zip, FileMode.Open))
        {
            f.SetLength(f.Length / 2);
        }

        Assert.Throws<EndOfStreamException>(() => ZipCentralDirectory.List(zip, cancellationToken: Ct));
    }

    [Theory]
    [InlineData("gzip", ArchiveFormat.Gzip)]
    [InlineData("xz", ArchiveFormat.Xz)]
    public void A_compressed_ova_is_detected_by_magic_and_unpacked_once_to_a_removed_temp_tar(string tool, ArchiveFormat format)
    {
        if (!Tool.Exists(tool))
        {
            Assert.Skip($"{tool} is not installed");
        }

        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "gnu", "vm.ovf", "disk1.vmdk", OvaFixtures.LongName);
        Tool.Check(tool, "-k", tar);
        var compressed = Path.Combine(_dir, "plain-name.ova"); // no .gz/.xz: the magic bytes decide
        File.Move(tar + (tool == "gzip" ? ".gz" : ".xz"), compressed);
        Assert.Equal(format, OvaArchive.Detect(compressed));

        Assert.Throws<ArgumentException>(() => OvaArchive.Open(compressed, cancellationToken: Ct));
        var temp = Path.Combine(_dir, "tmp");
        Directory.CreateDirectory(temp);
        using (var ova = OvaArchive.Open(compressed, temp, cancellationToken: Ct))
        {
            Assert.Equal(format, ova.Container);
            Assert.NotNull(ova.UnpackedTar);
            Assert.StartsWith(temp, ova.UnpackedTar, StringComparison.Ordinal);
            Assert.Equal(OvaFixtures.TarListing(tar), ova.Listing.Members.Select(m => (m.Name, m.Size)).ToList());
            using var s = ova.OpenMember(ova.Listing.Find("disk1.vmdk")!.Value);
            Assert.Equal(File.ReadAllBytes(Path.Combine(src, "disk1.vmdk")), OvaFixtures.ReadAll(s));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }

    [Fact]
    public void A_damaged_gzip_ova_is_invalid_data_and_leaves_no_temp_file()
    {
        Tool.Require("gzip");
        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "gnu", "vm.ovf", "disk1.vmdk");
        Tool.Check("gzip", "-k", tar);
        var bytes = File.ReadAllBytes(tar + ".gz");
        for (var i = 100; i < 400; i++)
        {
            bytes[i] ^= 0x5A;
        }

        File.WriteAllBytes(tar + ".gz", bytes);
        var temp = Path.Combine(_dir, "tmp");
        Directory.CreateDirectory(temp);
        Assert.ThrowsAny<InvalidDataException>(() => OvaArchive.Open(tar + ".gz", temp, cancellationToken: Ct));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp));
    }
}
