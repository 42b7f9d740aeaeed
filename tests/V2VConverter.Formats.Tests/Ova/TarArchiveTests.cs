using V2VConverter.Formats.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

public sealed class TarArchiveTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ova-tar");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("ustar")]
    [InlineData("gnu")]
    [InlineData("pax")]
    [InlineData("v7")]
    public void Lists_members_like_tar_tvf_and_reads_them_in_place(string format)
    {
        var src = OvaFixtures.MakeFiles(_dir);
        // Shuffled order: the disk first, the .ovf last; v7 cannot hold the long name.
        string[] order = format == "v7" ? ["disk1.vmdk", "empty.txt", "vm.ovf"] : ["disk1.vmdk", OvaFixtures.LongName, "empty.txt", "vm.ovf"];
        var tar = OvaFixtures.Tar(_dir, src, format, order);

        var listing = TarArchive.List(tar, cancellationToken: Ct);
        var oracle = OvaFixtures.TarListing(tar);
        Assert.Equal(oracle, listing.Members.Select(m => (m.Name, m.Size)).ToList());
        Assert.Equal(order, listing.Members.Select(m => m.Name).ToArray());
        Assert.Empty(listing.Skipped);

        using var ova = OvaArchive.Open(tar, cancellationToken: Ct);
        Assert.Equal(ArchiveFormat.Tar, ova.Container);
        foreach (var m in ova.Listing.Members)
        {
            Assert.True(m.IsReadableInPlace);
            using var s = ova.OpenMember(m);
            Assert.Equal(File.ReadAllBytes(Path.Combine(src, m.Name)), OvaFixtures.ReadAll(s));
        }
    }

    [Theory]
    [InlineData("GNU_FORMAT")]
    [InlineData("PAX_FORMAT")]
    public void A_member_over_8_GiB_is_listed_with_its_size(string format)
    {
        // The header is written by python's tarfile (base-256 size for GNU, a pax "size" record for pax); the
        // 9 GiB of data is a hole, so the file is sparse and nothing is written.
        var tar = Path.Combine(_dir, "big.ova");
        const long big = (9L << 30) + 123;
        OvaFixtures.Python(
            """
            import sys, tarfile, io
            fmt = getattr(tarfile, sys.argv[2]); size = int(sys.argv[3])
            with open(sys.argv[1], 'wb') as f:
                t = tarfile.TarInfo('disk-big.vmdk'); t.size = size
                f.write(t.tobuf(fmt)); f.seek(size, 1)
                f.write(b'\0' * ((512 - size % 512) % 512))
                t2 = tarfile.TarInfo('vm.ovf'); t2.size = 5
                f.write(t2.tobuf(fmt)); f.write(b'<x/>\n' + b'\0' * 507)
                f.write(b'\0' * 1024)
            """,
            tar, format, big.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var listing = TarArchive.List(tar, cancellationToken: Ct);
        Assert.Equal(OvaFixtures.TarListing(tar), listing.Members.Select(m => (m.Name, m.Size)).ToList());
        Assert.Equal(big, listing.Members[0].Size);
        using var ova = OvaArchive.Open(tar, cancellationToken: Ct);
        using var s = ova.OpenMember(ova.Listing.Members[1]);
        Assert.Equal("<x/>\n"u8.ToArray(), OvaFixtures.ReadAll(s));
    }

    [Fact]
    public void A_member_whose_data_is_cut_is_an_end_of_stream_naming_archive_and_member()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "gnu", "vm.ovf", "disk1.vmdk");
        using (var f = new FileStream(tar, FileMode.Open))
        {
            f.SetLength(2048 + 100_000);
        }

        var e = Assert.Throws<EndOfStreamException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains(tar, e.Message, StringComparison.Ordinal);
        Assert.Contains("\"disk1.vmdk\" is cut", e.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, Tool.Run("tar", ["-tf", tar]).ExitCode); // the oracle agrees it is broken
    }

    [Fact]
    public void A_cut_header_is_an_end_of_stream_naming_the_member_before_it()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "ustar", "vm.ovf", "disk1.vmdk");
        using (var f = new FileStream(tar, FileMode.Open))
        {
            f.SetLength(1024 + 200);
        }

        var e = Assert.Throws<EndOfStreamException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains("tar header at offset 1024 is cut (200 of 512 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("\"vm.ovf\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_end_of_file_after_a_complete_member_ends_the_archive()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "ustar", "vm.ovf", "disk1.vmdk");
        using (var f = new FileStream(tar, FileMode.Open))
        {
            f.SetLength(1536 + TarArchiveRoundUp(300_001)); // vm.ovf (header + 1 block), disk1 header + data, no zero blocks
        }

        Assert.Equal(["vm.ovf", "disk1.vmdk"], TarArchive.List(tar, cancellationToken: Ct).Members.Select(m => m.Name).ToArray());
        Assert.Equal(0, Tool.Run("tar", ["-tf", tar]).ExitCode);
    }

    private static long TarArchiveRoundUp(long n) => (n + 511) / 512 * 512;

    [Fact]
    public void A_damaged_header_fails_its_checksum()
    {
        var src = OvaFixtures.MakeFiles(_dir);
        var tar = OvaFixtures.Tar(_dir, src, "pax", "vm.ovf", "disk1.vmdk");
        var bytes = File.ReadAllBytes(tar);
        bytes[1] ^= 0x20; // a bit of the first header's name

        File.WriteAllBytes(tar, bytes);

        var e = Assert.Throws<InvalidDataException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains("field \"chksum\"", e.Message, StringComparison.Ordinal);
        Assert.Contains(tar, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../evil.vmdk", "\"..\" component")]
    [InlineData("ok/../../evil.vmdk", "\"..\" component")]
    [InlineData("/etc/evil.vmdk", "absolute member name")]
    public void Names_that_escape_are_refused(string name, string why)
    {
        var tar = Path.Combine(_dir, "evil.ova");
        OvaFixtures.Python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as tf:
                ok = tarfile.TarInfo('vm.ovf'); ok.size = 3; tf.addfile(ok, io.BytesIO(b'abc'))
                t = tarfile.TarInfo(sys.argv[2]); t.size = 3; tf.addfile(t, io.BytesIO(b'xyz'))
            """,
            tar, name);
        Assert.Contains(name, Tool.Check("tar", "-tf", tar).StdOut, StringComparison.Ordinal); // really in the archive

        var e = Assert.Throws<InvalidDataException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Links_and_devices_are_skipped_with_a_reason_and_never_followed()
    {
        var tar = Path.Combine(_dir, "links.ova");
        OvaFixtures.Python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as tf:
                ok = tarfile.TarInfo('vm.ovf'); ok.size = 3; tf.addfile(ok, io.BytesIO(b'abc'))
                s = tarfile.TarInfo('disk1.vmdk'); s.type = tarfile.SYMTYPE; s.linkname = '/etc/shadow'; tf.addfile(s)
                h = tarfile.TarInfo('disk2.vmdk'); h.type = tarfile.LNKTYPE; h.linkname = 'vm.ovf'; tf.addfile(h)
                c = tarfile.TarInfo('null'); c.type = tarfile.CHRTYPE; c.devmajor = 1; c.devminor = 3; tf.addfile(c)
                d = tarfile.TarInfo('sub'); d.type = tarfile.DIRTYPE; tf.addfile(d)
            """,
            tar);

        var listing = TarArchive.List(tar, cancellationToken: Ct);
        Assert.Equal(["vm.ovf"], listing.Members.Select(m => m.Name).ToArray());
        Assert.Equal(
            [("disk1.vmdk", "a symbolic link (links are never followed)"), ("disk2.vmdk", "a hard link (links are never followed)"), ("null", "a character device"), ("sub", "a directory")],
            listing.Skipped.Select(s => (s.Name, s.Reason)).ToArray());

        var log = new TestLog();
        using var ova = OvaArchive.Open(tar, log: log.Logger, cancellationToken: Ct);
        Assert.Equal(3, log.Warnings.Count);
        Assert.Contains(log.Warnings, w => w.Message.Contains("\"disk1.vmdk\" skipped: it is a symbolic link", StringComparison.Ordinal));
    }

    [Fact]
    public void A_duplicate_name_is_refused()
    {
        var tar = Path.Combine(_dir, "dup.ova");
        OvaFixtures.Python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT) as tf:
                for body in (b'one', b'two'):
                    t = tarfile.TarInfo('./disk1.vmdk'); t.size = 3; tf.addfile(t, io.BytesIO(body))
            """,
            tar);
        var e = Assert.Throws<InvalidDataException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains("\"disk1.vmdk\" appears twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_an_archive_and_empty_input_are_clear_errors()
    {
        var junk = Path.Combine(_dir, "junk.ova");
        File.WriteAllText(junk, new string('x', 2000));
        var e = Assert.Throws<InvalidDataException>(() => OvaArchive.Open(junk, cancellationToken: Ct));
        Assert.Contains("field \"magic\"", e.Message, StringComparison.Ordinal);

        var e2 = Assert.Throws<InvalidDataException>(() => TarArchive.List(junk, cancellationToken: Ct));
        Assert.Contains("field \"chksum\"", e2.Message, StringComparison.Ordinal);

        var empty = Path.Combine(_dir, "empty.ova");
        File.WriteAllBytes(empty, []);
        Assert.Empty(TarArchive.List(empty, cancellationToken: Ct).Members);
        Assert.Throws<InvalidDataException>(() => OvaArchive.Open(empty, cancellationToken: Ct));
    }

    [Fact]
    public void Pax_global_headers_are_ignored_and_a_pax_path_overrides_the_short_name()
    {
        var tar = Path.Combine(_dir, "pax.ova");
        OvaFixtures.Python(
            """
            import sys, tarfile, io
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global record'}) as tf:
                t = tarfile.TarInfo('d\u00efsk-\u00e9t\u00e9.vmdk'); t.size = 4; tf.addfile(t, io.BytesIO(b'disk'))
                o = tarfile.TarInfo('vm.ovf'); o.size = 3; tf.addfile(o, io.BytesIO(b'ovf'))
            """,
            tar);
        Assert.Equal((byte)'g', File.ReadAllBytes(tar)[156]); // the first entry really is a global header

        var listing = TarArchive.List(tar, cancellationToken: Ct);
        Assert.Equal(OvaFixtures.TarListing(tar), listing.Members.Select(m => (m.Name, m.Size)).ToList());
        Assert.Equal("d\u00efsk-\u00e9t\u00e9.vmdk", listing.Members[0].Name);
    }

    [Fact]
    public void A_gnu_sparse_member_is_not_supported()
    {
        var src = Path.Combine(_dir, "sparse");
        Directory.CreateDirectory(src);
        using (var f = new FileStream(Path.Combine(src, "disk1.vmdk"), FileMode.CreateNew))
        {
            f.SetLength(4 << 20);
            f.Position = 1 << 20;
            f.Write("data"u8);
        }

        var tar = Path.Combine(_dir, "sparse.ova");
        Tool.Check("tar", "-cf", tar, "--format=gnu", "--sparse", "-C", src, "disk1.vmdk");
        var e = Assert.Throws<NotSupportedException>(() => TarArchive.List(tar, cancellationToken: Ct));
        Assert.Contains("\"disk1.vmdk\" is a GNU sparse file", e.Message, StringComparison.Ordinal);
    }
}
