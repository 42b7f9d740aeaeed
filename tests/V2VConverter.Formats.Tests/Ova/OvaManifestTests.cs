using V2VConverter.Formats.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

public sealed class OvaManifestTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ova-mf");
    private readonly string _src;

    public OvaManifestTests()
    {
        _src = OvaFixtures.MakeFiles(_dir);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The digest as the real sha1sum/sha256sum/sha512sum prints it.</summary>
    private string Sum(string tool, string file) => Tool.Check(tool, Path.Combine(_src, file)).StdOut.Split(' ')[0];

    private static string Flip(string hex) => (hex[0] == '0' ? "1" : "0") + hex[1..];

    /// <summary>An OVA (ustar, .ovf first as the spec wants) with the given manifest text, or none.</summary>
    private string Ova(string? manifest, bool cert = false)
    {
        List<string> members = ["vm.ovf"];
        if (manifest is not null)
        {
            File.WriteAllText(Path.Combine(_src, "vm.mf"), manifest);
            members.Add("vm.mf");
        }

        if (cert)
        {
            File.WriteAllText(Path.Combine(_src, "vm.cert"), "SHA256(vm.mf)= 00\n-----BEGIN CERTIFICATE-----\n");
            members.Add("vm.cert");
        }

        members.Add("disk1.vmdk");
        return OvaFixtures.Tar(_dir, _src, "ustar", [.. members]);
    }

    /// <summary>Reads the disk member in place through the verifying reader, front to back, then verifies.</summary>
    private static VerifyingStream ReadInOrder(OvaArchive ova, OvaManifest mf)
    {
        var member = ova.Listing.Find("disk1.vmdk")!.Value;
        var v = new VerifyingStream(ova.OpenMember(member), mf.For("disk1.vmdk")!.Value, $"{ova.Path}/disk1.vmdk");
        var buf = new byte[4096 + 17];
        while (v.Read(buf, 0, buf.Length) > 0)
        {
        }

        return v;
    }

    [Theory]
    [InlineData("sha1sum", "SHA1")]
    [InlineData("sha256sum", "SHA256")]
    [InlineData("sha512sum", "SHA512")]
    public void A_good_manifest_verifies_in_the_same_pass_with_no_catch_up(string tool, string algorithm)
    {
        var mf = $"{algorithm}(vm.ovf)= {Sum(tool, "vm.ovf")}\n{algorithm}(disk1.vmdk)= {Sum(tool, "disk1.vmdk")}\n";
        var log = new TestLog();
        using var ova = OvaArchive.Open(Ova(mf), cancellationToken: Ct);
        var manifest = OvaManifest.Load(ova, log.Logger)!;
        Assert.Empty(log.Warnings);
        Assert.Equal(2, manifest.Entries.Count);

        using var v = ReadInOrder(ova, manifest);
        v.Verify(cancellationToken: Ct);
        Assert.Equal(300_001, v.HashedBytes);
        Assert.Equal(0, v.CatchUpBytes);
    }

    [Theory]
    [InlineData("sha1sum", "SHA1")]
    [InlineData("sha256sum", "SHA256")]
    public void A_bad_digest_is_an_error_naming_the_file_and_both_digests(string tool, string algorithm)
    {
        var good = Sum(tool, "disk1.vmdk");
        var bad = Flip(good);
        using var ova = OvaArchive.Open(Ova($"{algorithm}(disk1.vmdk)= {bad}\n"), cancellationToken: Ct);
        var manifest = OvaManifest.Load(ova)!;
        using var v = ReadInOrder(ova, manifest);
        var e = Assert.Throws<InvalidDataException>(() => v.Verify(cancellationToken: Ct));
        Assert.Contains("disk1.vmdk", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{algorithm} digest mismatch", e.Message, StringComparison.Ordinal);
        Assert.Contains($"says {bad}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"has {good}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upper_case_hex_and_ovftool_spacing_are_accepted()
    {
        var upper = Sum("sha256sum", "disk1.vmdk").ToUpperInvariant();
        using var ova = OvaArchive.Open(Ova($"SHA256(disk1.vmdk)={upper}\r\nSHA1 (vm.ovf) =  {Sum("sha1sum", "vm.ovf").ToUpperInvariant()}\r\n"), cancellationToken: Ct);
        var manifest = OvaManifest.Load(ova)!;
        Assert.Empty(manifest.Warnings);
        Assert.Equal(upper.ToLowerInvariant(), manifest.For("disk1.vmdk")!.Value.Digest);
        using var v = ReadInOrder(ova, manifest);
        v.Verify(cancellationToken: Ct);
    }

    [Fact]
    public void A_malformed_line_is_a_warning_and_the_rest_is_used()
    {
        var good = Sum("sha256sum", "disk1.vmdk");
        var log = new TestLog();
        var manifest = OvaManifest.Parse($"MD5(vm.ovf)= 0123\ngarbage line\nSHA256(disk1.vmdk)= {good}\nSHA1(vm.ovf)= abc\n", "vm.mf", log.Logger);
        Assert.Equal(3, manifest.Warnings.Count);
        Assert.Equal(3, log.Warnings.Count);
        Assert.Contains("manifest line 2 is not \"SHAn(file)= hex\"", manifest.Warnings[1], StringComparison.Ordinal);
        Assert.Contains("has 3 hex digits, not 40", manifest.Warnings[2], StringComparison.Ordinal);
        Assert.Equal("vm.mf", log.Warnings[0].File);
        Assert.Equal(good, Assert.Single(manifest.Entries).Digest);
    }

    [Fact]
    public void A_missing_manifest_is_a_warning_and_a_cert_is_reported_as_not_verified()
    {
        var log = new TestLog();
        using (var ova = OvaArchive.Open(Ova(null), cancellationToken: Ct))
        {
            Assert.Null(OvaManifest.Load(ova, log.Logger));
        }

        Assert.Contains("no manifest (.mf)", Assert.Single(log.Warnings).Message, StringComparison.Ordinal);

        var log2 = new TestLog();
        using var signed = OvaArchive.Open(Ova($"SHA256(disk1.vmdk)= {Sum("sha256sum", "disk1.vmdk")}\n", cert: true), cancellationToken: Ct);
        Assert.NotNull(OvaManifest.Load(signed, log2.Logger));
        Assert.Contains("vm.cert: signature not verified", Assert.Single(log2.Warnings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_out_of_order_fall_back_to_a_catch_up_of_only_the_unhashed_tail()
    {
        var good = Sum("sha256sum", "disk1.vmdk");
        using var ova = OvaArchive.Open(Ova($"SHA256(disk1.vmdk)= {good}\n"), cancellationToken: Ct);
        var manifest = OvaManifest.Load(ova)!;
        var member = ova.Listing.Find("disk1.vmdk")!.Value;
        using var inner = ova.OpenMember(member);
        using var v = new VerifyingStream(inner, manifest.For("disk1.vmdk")!.Value, "disk1.vmdk", leaveOpen: true);
        var buf = new byte[50_000];
        v.ReadExactly(buf);                       // 0..50000: hashed
        v.Position = 200_000;
        v.ReadExactly(buf);                       // a skip: not hashed
        v.Position = 10_000;
        v.ReadExactly(buf);                       // backwards, then past 50000: extends the hashed prefix to 60000
        Assert.Equal(60_000, v.HashedBytes);
        var before = v.Position;

        v.Verify(cancellationToken: Ct);
        Assert.Equal(300_001 - 60_000, v.CatchUpBytes);
        Assert.Equal(before, v.Position);         // the catch-up does not move the reader

        // The same reads against a wrong digest fail after the catch-up.
        using var inner2 = ova.OpenMember(member);
        var wrong = manifest.For("disk1.vmdk")!.Value with { Digest = Flip(good) };
        using var v2 = new VerifyingStream(inner2, wrong, "disk1.vmdk");
        v2.Position = 1000;
        v2.ReadExactly(buf);
        Assert.Equal(0, v2.HashedBytes);
        var e = Assert.Throws<InvalidDataException>(() => v2.Verify(cancellationToken: Ct));
        Assert.Contains(good, e.Message, StringComparison.Ordinal);
        Assert.Equal(300_001, v2.CatchUpBytes);
    }

    [Fact]
    public void A_member_view_is_bounded_to_its_member()
    {
        using var ova = OvaArchive.Open(Ova(null), cancellationToken: Ct);
        var ovf = ova.Listing.Find("vm.ovf")!.Value;
        using var s = ova.OpenMember(ovf);
        Assert.True(s.CanSeek);
        Assert.False(s.CanWrite);
        Assert.Equal(ovf.Size, s.Length);
        s.Seek(-3, SeekOrigin.End);
        var buf = new byte[100];
        Assert.Equal(3, s.Read(buf, 0, buf.Length)); // stops at the member's end, not the archive's
        Assert.Equal("/>\n"u8.ToArray(), buf[..3]);
        Assert.Equal(0, s.Read(buf, 0, buf.Length));
        Assert.Throws<NotSupportedException>(() => s.Write(buf, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Seek(-1, SeekOrigin.Begin));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Position = -1);
    }

    [Fact]
    public void A_stream_optimized_vmdk_from_qemu_img_is_read_in_place_and_verified_against_sha1sum()
    {
        Tool.Require("qemu-img");
        var raw = Path.Combine(_src, "disk.raw");
        var data = new byte[3 << 20];
        new Random(7).NextBytes(data.AsSpan(1 << 20, 64 << 10));
        File.WriteAllBytes(raw, data);
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, Path.Combine(_src, "disk1.vmdk"));
        var sha1 = Sum("sha1sum", "disk1.vmdk");

        using var ova = OvaArchive.Open(Ova($"SHA1(vm.ovf)= {Sum("sha1sum", "vm.ovf")}\nSHA1(disk1.vmdk)= {sha1}\n"), cancellationToken: Ct);
        var manifest = OvaManifest.Load(ova)!;
        using var v = ReadInOrder(ova, manifest);
        v.Verify(cancellationToken: Ct);
        Assert.Equal(new FileInfo(Path.Combine(_src, "disk1.vmdk")).Length, v.HashedBytes);
        Assert.Equal(0, v.CatchUpBytes);

        // What was read in place is the VMDK, byte for byte: its KDMV header is at the member's offset in the tar.
        var member = ova.Listing.Find("disk1.vmdk")!.Value;
        using var s = ova.OpenMember(member);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_src, "disk1.vmdk")), OvaFixtures.ReadAll(s));
        Assert.Equal("KDMV"u8.ToArray(), File.ReadAllBytes(ova.Path).AsSpan((int)member.DataOffset, 4).ToArray());
    }
}
