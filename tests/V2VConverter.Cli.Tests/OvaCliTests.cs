using System.Collections.Concurrent;
using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// OVAs through the CLI (inspect, xml, convert, disk info), on the small sample disk as a streamOptimized VMDK packed
/// by the real tools (<see cref="OvaBuilder"/>): every container form, the manifest checks, and the bad inputs (a cut
/// OVA, a member or a disk that leaves the package). The fixture guest in every form: <see cref="OvaGuestCliTests"/>.
/// </summary>
public sealed class OvaCliTests : IDisposable
{
    private const long Capacity = 64L << 20;
    private readonly string _dir = RepoPaths.NewTempDir("v2v-ova-cli");
    private readonly string _disk;

    public OvaCliTests()
    {
        Tool.Require("qemu-img");
        _disk = Path.Combine(_dir, "appliance-disk1.vmdk");
        Tool.Check("qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk"), _disk);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private static string Ovf(string href = "appliance-disk1.vmdk", string? compression = null) =>
        OvaBuilder.VsphereOvf("appliance", [new OvfDiskSpec(href, Capacity, Compression: compression)], mac: "00:50:56:aa:bb:01");

    private string Pack(OvaForm form, ManifestKind manifest = ManifestKind.Sha256, string name = "appliance.ova", bool ovfLast = false) =>
        OvaBuilder.Pack(Path.Combine(_dir, name), form, "appliance.ovf", Ovf(), [("appliance-disk1.vmdk", _disk)], manifest, ovfLast);

    /// <summary>The source path the CLI is given for a packed form (a folder form is read through its .ovf).</summary>
    private static string SourceOf(string packed, OvaForm form) => form == OvaForm.Folder ? Path.Combine(packed, "appliance.ovf") : packed;

    private void AssertConverted(string outDir)
    {
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", _disk, Path.Combine(outDir, "appliance-sda.qcow2")]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
        XmlValidator.AssertValidDomain(File.ReadAllText(Path.Combine(outDir, "appliance.xml")), "converted OVA");
    }

    /// <summary>Nothing but the run's log under <paramref name="outDir"/>: no disk, XML or report under a final name.</summary>
    private static void AssertNothingLeft(string outDir) =>
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(f => !f.EndsWith(".log.json", StringComparison.Ordinal)),
            $"left in {outDir}: {(Directory.Exists(outDir) ? string.Join(", ", Directory.EnumerateFileSystemEntries(outDir)) : "")}");

    private static string ErrorLine(CliRunner.Result r) => Assert.Single(r.Err.Split('\n'), l => l.StartsWith("v2v: error:", StringComparison.Ordinal));

    /// <summary>Every container form of point 1: tar (ustar, GNU, pax), zip (stored, deflated), .ova.gz, .ova.xz, a folder.</summary>
    public static TheoryData<OvaForm> AllForms => [OvaForm.TarUstar, OvaForm.TarGnu, OvaForm.TarPax, OvaForm.Zip, OvaForm.ZipDeflated, OvaForm.TarGz, OvaForm.TarXz, OvaForm.Folder];

    [Theory]
    [MemberData(nameof(AllForms))]
    public void Every_container_form_converts_with_its_manifest_verified(OvaForm form)
    {
        var name = form switch { OvaForm.TarGz => "appliance.ova.gz", OvaForm.TarXz => "appliance.ova.xz", OvaForm.Folder => "export", _ => "appliance.ova" };
        var source = SourceOf(Pack(form, name: name, ovfLast: form == OvaForm.TarPax), form);
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", source, "-o", "local", "-os", outDir, "--no-guest-fixups", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        AssertConverted(outDir);
        Assert.Contains("SHA256 digest verified in the conversion's own pass", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", r.Err, StringComparison.Ordinal);
        var inPlace = form is OvaForm.TarUstar or OvaForm.TarGnu or OvaForm.TarPax or OvaForm.Zip or OvaForm.Folder;
        Assert.Equal(inPlace, r.Err.Contains("read in place", StringComparison.Ordinal));
        Assert.Equal(inPlace, r.Err.Contains(": 0 bytes through temp files", StringComparison.Ordinal));
    }

    [Fact]
    public void An_uncompressed_ova_is_read_in_place_and_writes_no_temp_file()
    {
        var ova = Pack(OvaForm.TarUstar);
        var outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        var tmp = Path.Combine(_dir, "tmp");
        Directory.CreateDirectory(tmp);

        // Every name created under the OVA's folder (the output folder is inside it) and under TMPDIR.
        var created = new ConcurrentBag<string>();
        using var watchOut = new FileSystemWatcher(_dir) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        using var watchTmp = new FileSystemWatcher(tmp) { IncludeSubdirectories = true, EnableRaisingEvents = true };
        watchOut.Created += (_, e) => created.Add(e.FullPath);
        watchTmp.Created += (_, e) => created.Add(e.FullPath);
        var before = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Length;

        var r = CliRunner.Run(_dir, new Dictionary<string, string?> { ["TMPDIR"] = tmp, ["HOME"] = _dir }, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        AssertConverted(outDir);
        Thread.Sleep(500); // let the watchers deliver

        // What was created: the outputs, their hidden temporary names, the output lock and the log. No copy of the disk.
        var allowed = new[] { "appliance-sda.qcow2", "appliance.xml", "appliance.report.json", ".appliance.v2v-lock" };
        var unexpected = created.Select(Path.GetFileName).Where(n => n is not null
            && !allowed.Contains(n) && !n.EndsWith(".log.json", StringComparison.Ordinal) && !(n.StartsWith(".appliance", StringComparison.Ordinal) && n.Contains(".v2v-tmp-", StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, $"created: {string.Join(", ", created)}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(tmp));

        // And the package's own count of bytes written to unnamed temp files (O_TMPFILE has no name to watch) is 0.
        Assert.Contains("appliance.ova/appliance-disk1.vmdk (tar, read in place)", r.Err, StringComparison.Ordinal);
        Assert.Contains(": 0 bytes through temp files", r.Err, StringComparison.Ordinal);
        Assert.True(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Length - before <= 4);
    }

    [Theory]
    [InlineData(ManifestKind.Sha1, "SHA1")]
    [InlineData(ManifestKind.Sha256, "SHA256")]
    [InlineData(ManifestKind.Sha512, "SHA512")]
    [InlineData(ManifestKind.UpperHex, "SHA256")]
    public void A_good_manifest_is_verified_in_the_copy_pass(ManifestKind kind, string algorithm)
    {
        var ova = Pack(OvaForm.TarUstar, kind);
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        AssertConverted(outDir);
        Assert.Contains($"appliance.ova/appliance-disk1.vmdk: {algorithm} digest verified in the conversion's own pass", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ManifestKind.BadSha1, "SHA1")]
    [InlineData(ManifestKind.BadSha256, "SHA256")]
    public void A_bad_digest_fails_naming_the_file_and_both_digests_and_leaves_nothing(ManifestKind kind, string algorithm)
    {
        var ova = Pack(OvaForm.TarUstar, kind);
        var outDir = Path.Combine(_dir, "out");
        var good = OvaBuilder.Digest(algorithm, _disk);
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = ErrorLine(r);
        Assert.Contains("appliance.ova/appliance-disk1.vmdk", line, StringComparison.Ordinal);
        Assert.Contains($"{algorithm} digest mismatch", line, StringComparison.Ordinal);
        Assert.Contains(good, line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(OvaBuilder.Flip(good), line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        AssertNothingLeft(outDir);

        // --no-verify-manifest converts it anyway, saying so.
        var skip = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups", "--no-verify-manifest");
        Assert.True(skip.ExitCode == 0, skip.Err);
        Assert.Contains("--no-verify-manifest: the manifest's digests are not checked", skip.Err, StringComparison.Ordinal);
        AssertConverted(outDir);
    }

    [Fact]
    public void Every_file_a_disk_is_made_of_is_verified_a_flat_extent_too()
    {
        // monolithicFlat: the OVF names the descriptor; its extent is another member with its own manifest line.
        var flat = Path.Combine(_dir, "flat");
        Directory.CreateDirectory(flat);
        Tool.Check("qemu-img", "convert", "-O", "vmdk", "-o", "subformat=monolithicFlat", _disk, Path.Combine(flat, "appliance-disk1.vmdk"));
        var extent = Path.Combine(flat, "appliance-disk1-flat.vmdk");
        List<(string, string)> files = [("appliance-disk1-flat.vmdk", extent), ("appliance-disk1.vmdk", Path.Combine(flat, "appliance-disk1.vmdk"))];
        var ovf = OvaBuilder.VsphereOvf("appliance", [new OvfDiskSpec("appliance-disk1.vmdk", Capacity, "monolithicFlat")]);

        var good = OvaBuilder.Pack(Path.Combine(_dir, "flat-good.ova"), OvaForm.TarUstar, "appliance.ovf", ovf, files);
        var ok = CliRunner.Run(_dir, "convert", good, "-o", "local", "-os", Path.Combine(_dir, "out-good"), "--no-guest-fixups", "-v");
        Assert.True(ok.ExitCode == 0, ok.Err);
        Assert.Contains("flat-good.ova/appliance-disk1-flat.vmdk: SHA256 digest verified", ok.Err, StringComparison.Ordinal);
        Assert.Contains("flat-good.ova/appliance-disk1.vmdk: SHA256 digest verified", ok.Err, StringComparison.Ordinal);

        // BadSha256 flips the digest of the first file listed: the extent.
        var bad = OvaBuilder.Pack(Path.Combine(_dir, "flat-bad.ova"), OvaForm.TarUstar, "appliance.ovf", ovf, files, ManifestKind.BadSha256);
        var r = CliRunner.Run(_dir, "convert", bad, "-o", "local", "-os", Path.Combine(_dir, "out-bad"), "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains("flat-bad.ova/appliance-disk1-flat.vmdk: SHA256 digest mismatch", ErrorLine(r), StringComparison.Ordinal);
        AssertNothingLeft(Path.Combine(_dir, "out-bad"));
    }

    [Fact]
    public void A_malformed_line_or_a_missing_manifest_is_a_warning()
    {
        var malformed = Pack(OvaForm.TarUstar, ManifestKind.Malformed);
        var r = CliRunner.Run(_dir, "convert", malformed, "-o", "local", "-os", Path.Combine(_dir, "out1"), "--no-guest-fixups", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("warning", r.Err, StringComparison.Ordinal);
        Assert.Contains("SHA256 digest verified", r.Err, StringComparison.Ordinal); // the good lines still count

        var none = Pack(OvaForm.TarUstar, ManifestKind.None, name: "nomf.ova");
        var n = CliRunner.Run(_dir, "xml", none);
        Assert.True(n.ExitCode == 0, n.Err);
        Assert.Contains("no manifest", n.Err, StringComparison.Ordinal);
        XmlValidator.AssertValidDomain(n.Out, "xml X.ova");
    }

    [Fact]
    public void Inspect_xml_and_disk_info_read_the_ova_and_its_member()
    {
        var ova = Pack(OvaForm.TarGnu);
        var xml = CliRunner.Run(_dir, "xml", ova);
        Assert.True(xml.ExitCode == 0, xml.Err);
        XmlValidator.AssertValidDomain(xml.Out, "xml X.ova");
        var doc = XDocument.Parse(xml.Out);
        Assert.Equal("appliance", doc.Root!.Element("name")!.Value);
        Assert.Equal("00:50:56:aa:bb:01", doc.Descendants("mac").Single().Attribute("address")!.Value);

        var inspect = CliRunner.Run(_dir, "inspect", ova);
        Assert.True(inspect.ExitCode == 0, inspect.Err);
        Assert.Contains("appliance-disk1.vmdk", inspect.Out, StringComparison.Ordinal);

        foreach (var args in new[] { new[] { "disk", "info", ova + "/appliance-disk1.vmdk" }, ["disk", "info", ova, "--member", "appliance-disk1.vmdk"] })
        {
            var info = CliRunner.Run(_dir, args);
            Assert.True(info.ExitCode == 0, info.Err);
            Assert.Contains("subformat: streamOptimized", info.Out, StringComparison.Ordinal);
            Assert.Contains("virtual size: 64 MiB", info.Out, StringComparison.Ordinal);
        }

        // The appliance opens files, not members: --guest says so before launching anything.
        var guest = CliRunner.Run(_dir, "inspect", ova, "--guest");
        Assert.Equal(ExitCodes.Failure, guest.ExitCode);
        Assert.Contains("lies inside an archive", ErrorLine(guest), StringComparison.Ordinal);

        var missing = CliRunner.Run(_dir, "disk", "info", ova + "/nope.vmdk");
        Assert.Equal(ExitCodes.Failure, missing.ExitCode);
        Assert.Contains("no member \"nope.vmdk\"", ErrorLine(missing), StringComparison.Ordinal);
    }

    [Fact]
    public void Dash_i_ova_reads_an_ova_whatever_its_name()
    {
        var tar = Pack(OvaForm.TarUstar, name: "appliance.tar");
        var r = CliRunner.Run(_dir, "xml", tar, "-i", "ova");
        Assert.True(r.ExitCode == 0, r.Err);
        XmlValidator.AssertValidDomain(r.Out, "xml -i ova X.tar");

        var bad = CliRunner.Run(_dir, "xml", tar, "-i", "floppy");
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
    }

    [Fact]
    public void A_truncated_ova_is_a_clear_error_and_leaves_nothing()
    {
        var ova = Pack(OvaForm.TarUstar);
        OvaBuilder.Truncate(ova, new FileInfo(ova).Length - (new FileInfo(_disk).Length / 2));
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = ErrorLine(r);
        Assert.Contains("appliance.ova", line, StringComparison.Ordinal);
        Assert.Contains("appliance-disk1.vmdk", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        AssertNothingLeft(outDir);
    }

    [Theory]
    [InlineData("../appliance-disk1.vmdk")]
    [InlineData("/tmp/appliance-disk1.vmdk")]
    public void A_member_that_escapes_the_archive_is_refused(string member)
    {
        Tool.Require("python3");
        var ovf = Path.Combine(_dir, "appliance.ovf");
        File.WriteAllText(ovf, Ovf());
        var ova = Path.Combine(_dir, "evil.ova");
        Tool.Check("python3", "-c", "import sys, tarfile\nwith tarfile.open(sys.argv[1], 'w', format=tarfile.USTAR_FORMAT) as t:\n  t.add(sys.argv[2], 'appliance.ovf')\n  i = t.gettarinfo(sys.argv[3])\n  i.name = sys.argv[4]\n  t.addfile(i, open(sys.argv[3], 'rb'))", ova, ovf, _disk, member);
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = ErrorLine(r);
        Assert.Contains(member, line, StringComparison.Ordinal);
        Assert.Contains("refused", line, StringComparison.Ordinal);
        AssertNothingLeft(outDir);
    }

    [Fact]
    public void A_disk_that_points_outside_the_archive_is_refused()
    {
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "out-of-package.ova"), OvaForm.TarUstar, "appliance.ovf", Ovf("../appliance-disk1.vmdk"), [], ManifestKind.None);
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", Path.Combine(_dir, "out"), "--no-guest-fixups");
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        var line = ErrorLine(r);
        Assert.Contains("../appliance-disk1.vmdk", line, StringComparison.Ordinal);
        AssertNothingLeft(Path.Combine(_dir, "out"));
    }

    [Fact]
    public void A_gzip_compressed_disk_member_is_inflated_once_and_converted()
    {
        Tool.Require("gzip");
        Tool.Check("gzip", "-k", _disk);
        var ova = OvaBuilder.Pack(Path.Combine(_dir, "gz-member.ova"), OvaForm.TarUstar, "appliance.ovf", Ovf("appliance-disk1.vmdk.gz", "gzip"), [("appliance-disk1.vmdk.gz", _disk + ".gz")]);
        var outDir = Path.Combine(_dir, "out");
        var r = CliRunner.Run(_dir, "convert", ova, "-o", "local", "-os", outDir, "--no-guest-fixups", "-v");
        Assert.True(r.ExitCode == 0, r.Err);
        AssertConverted(outDir);
        Assert.Contains("inflating it once to a temp file in " + outDir, r.Err, StringComparison.Ordinal);
        Assert.Contains("SHA256 digest verified", r.Err, StringComparison.Ordinal);
        Assert.Equal(["appliance-sda.qcow2", "appliance.report.json", "appliance.xml"], Directory.GetFiles(outDir).Select(Path.GetFileName).Where(n => !n!.EndsWith(".log.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }
}
