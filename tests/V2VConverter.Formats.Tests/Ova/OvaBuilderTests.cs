using System.Xml.Linq;
using V2VConverter.Formats.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

/// <summary>
/// The test helper <see cref="OvaBuilder"/> itself: every form it packs is listed by <see cref="OvaArchive"/> and by the
/// real tool (tar -tv, python3 zipfile) with the members in the order asked and their sizes, and its manifests carry
/// the digests the real sha1sum/sha256sum/sha512sum print (or the one flipped digit a bad kind asks for).
/// </summary>
public sealed class OvaBuilderTests : IDisposable
{
    private static readonly XNamespace Ovf = "http://schemas.dmtf.org/ovf/envelope/1";
    private static readonly XNamespace Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    private static readonly XNamespace Vmw = "http://www.vmware.com/schema/ovf";

    private readonly string _dir = RepoPaths.NewTempDir("v2v-ova-builder");
    private readonly string _disk;
    private readonly string _ovfText;

    public OvaBuilderTests()
    {
        _disk = StreamOptimizedDisk(_dir);
        _ovfText = OvaBuilder.VsphereOvf("builder-vm", [new OvfDiskSpec("disk1.vmdk", 8L << 20)]);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A real streamOptimized VMDK (qemu-img) of 8 MiB virtual with 2 MiB of random data.</summary>
    private static string StreamOptimizedDisk(string dir)
    {
        Tool.Require("qemu-img");
        var raw = Path.Combine(dir, "disk.raw");
        using (var f = new FileStream(raw, FileMode.CreateNew))
        {
            var data = new byte[2 << 20];
            new Random(13).NextBytes(data);
            f.Write(data);
            f.SetLength(8L << 20);
        }

        var vmdk = Path.Combine(dir, "disk1-source.vmdk");
        Tool.Check("qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk);
        File.Delete(raw);
        return vmdk;
    }

    private string PackOne(OvaForm form, ManifestKind manifest = ManifestKind.Sha256, bool ovfLast = false, string ext = ".ova") =>
        OvaBuilder.Pack(Path.Combine(_dir, $"vm-{form}-{manifest}{ext}"), form, "vm.ovf", _ovfText, [("disk1.vmdk", _disk)], manifest, ovfLast);

    private string NewTemp()
    {
        var t = Path.Combine(_dir, $"tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(t);
        return t;
    }

    private static byte[] ReadMember(OvaArchive ova, ArchiveMember m, string temp)
    {
        if (m.IsReadableInPlace)
        {
            using var s = ova.OpenMember(m);
            return OvaFixtures.ReadAll(s);
        }

        return File.ReadAllBytes(ova.ExtractToTemp(m, temp, Ct));
    }

    [Theory]
    [InlineData(OvaForm.TarUstar, false, ArchiveFormat.Tar)]
    [InlineData(OvaForm.TarUstar, true, ArchiveFormat.Tar)]
    [InlineData(OvaForm.TarGnu, false, ArchiveFormat.Tar)]
    [InlineData(OvaForm.TarPax, true, ArchiveFormat.Tar)]
    [InlineData(OvaForm.Zip, false, ArchiveFormat.Zip)]
    [InlineData(OvaForm.ZipDeflated, true, ArchiveFormat.Zip)]
    [InlineData(OvaForm.TarGz, false, ArchiveFormat.Gzip)]
    [InlineData(OvaForm.TarXz, true, ArchiveFormat.Xz)]
    public void Each_form_holds_the_members_in_the_order_asked_with_their_bytes(OvaForm form, bool ovfLast, ArchiveFormat container)
    {
        var ext = form switch { OvaForm.TarGz => ".ova.gz", OvaForm.TarXz => ".ova.xz", _ => ".ova" };
        var path = PackOne(form, ManifestKind.Sha256, ovfLast, ext);
        string[] expected = ovfLast ? ["disk1.vmdk", "vm.mf", "vm.ovf"] : ["vm.ovf", "vm.mf", "disk1.vmdk"];

        // The real tool's listing (tar -tv reads .gz and .xz by itself) is the oracle for names, order and sizes.
        var oracle = form is OvaForm.Zip or OvaForm.ZipDeflated ? OvaFixtures.ZipListing(path) : OvaFixtures.TarListing(path);
        Assert.Equal(expected, oracle.Select(m => m.Name));
        Assert.Equal(new FileInfo(_disk).Length, oracle.Single(m => m.Name == "disk1.vmdk").Size);

        var temp = NewTemp();
        using var ova = OvaArchive.Open(path, temp, cancellationToken: Ct);
        Assert.Equal(container, ova.Container);
        Assert.Equal(oracle, ova.Listing.Members.Select(m => (m.Name, m.Size)).ToList());
        var storage = form == OvaForm.ZipDeflated ? MemberStorage.Deflated : MemberStorage.Stored;
        Assert.All(ova.Listing.Members, m => Assert.Equal(storage, m.Storage));
        Assert.Equal(File.ReadAllBytes(_disk), ReadMember(ova, ova.Listing.Find("disk1.vmdk")!.Value, temp));
        Assert.Equal(_ovfText, System.Text.Encoding.UTF8.GetString(ReadMember(ova, ova.Listing.Find("vm.ovf")!.Value, temp)));
        var mf = System.Text.Encoding.UTF8.GetString(ReadMember(ova, ova.Listing.Find("vm.mf")!.Value, temp));
        Assert.Equal($"SHA256(vm.ovf)= {FileSum("sha256sum", ova, "vm.ovf", temp)}\nSHA256(disk1.vmdk)= {Sum("sha256sum", _disk)}\n", mf);
    }

    /// <summary>The digest the real tool prints for a member, read back from the archive into a file.</summary>
    private string FileSum(string tool, OvaArchive ova, string member, string temp)
    {
        var copy = Path.Combine(temp, "copy-" + Path.GetFileName(member));
        File.WriteAllBytes(copy, ReadMember(ova, ova.Listing.Find(member)!.Value, temp));
        return Sum(tool, copy);
    }

    private static string Sum(string tool, string file) => Tool.Check(tool, file).StdOut.Split(' ')[0];

    [Theory]
    [InlineData(OvaForm.TarGnu)]
    [InlineData(OvaForm.TarPax)]
    public void A_150_character_member_name_packs_in_gnu_and_pax(OvaForm form)
    {
        var longName = new string('n', 145) + ".vmdk";
        var path = OvaBuilder.Pack(Path.Combine(_dir, $"long-{form}.ova"), form, "vm.ovf", _ovfText, [(longName, _disk)]);

        Assert.Equal(longName, OvaFixtures.TarListing(path)[2].Name);
        using var ova = OvaArchive.Open(path, cancellationToken: Ct);
        var m = ova.Listing.Find(longName);
        Assert.NotNull(m);
        Assert.Equal(new FileInfo(_disk).Length, m.Value.Size);
    }

    [Fact]
    public void Ustar_cannot_hold_a_150_character_name_and_the_tool_error_is_raised_with_nothing_left()
    {
        var longName = new string('n', 145) + ".vmdk";
        var path = Path.Combine(_dir, "long-ustar.ova");

        var e = Assert.Throws<InvalidOperationException>(() => OvaBuilder.Pack(path, OvaForm.TarUstar, "vm.ovf", _ovfText, [(longName, _disk)]));
        Assert.Contains("too long", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_dir), p => Path.GetFileName(p).StartsWith(".ova-stage-", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ManifestKind.Sha1, "SHA1", "sha1sum")]
    [InlineData(ManifestKind.Sha256, "SHA256", "sha256sum")]
    [InlineData(ManifestKind.Sha512, "SHA512", "sha512sum")]
    [InlineData(ManifestKind.UpperHex, "SHA256", "sha256sum")]
    public void Good_manifests_carry_the_real_tools_digests(ManifestKind kind, string algorithm, string tool)
    {
        var path = PackOne(OvaForm.TarUstar, kind);
        var ovf = Path.Combine(_dir, "vm.ovf");
        File.WriteAllText(ovf, _ovfText);

        using var ova = OvaArchive.Open(path, cancellationToken: Ct);
        var mf = OvaManifest.Load(ova);
        Assert.NotNull(mf);
        Assert.Empty(mf.Warnings);
        Assert.Equal(2, mf.Entries.Count);
        Assert.Equal(algorithm, mf.For("disk1.vmdk")!.Value.Algorithm.Name);
        Assert.Equal(Sum(tool, _disk), mf.For("disk1.vmdk")!.Value.Digest);
        Assert.Equal(Sum(tool, ovf), mf.For("vm.ovf")!.Value.Digest);

        using var raw = ova.OpenMember(ova.Listing.Find("vm.mf")!.Value);
        var text = System.Text.Encoding.UTF8.GetString(OvaFixtures.ReadAll(raw));
        Assert.Contains($"({"disk1.vmdk"})= {(kind == ManifestKind.UpperHex ? Sum(tool, _disk).ToUpperInvariant() : Sum(tool, _disk))}\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ManifestKind.BadSha1, "SHA1", "sha1sum")]
    [InlineData(ManifestKind.BadSha256, "SHA256", "sha256sum")]
    public void Bad_manifests_differ_from_the_real_digest_of_the_disk_by_one_digit_only(ManifestKind kind, string algorithm, string tool)
    {
        var path = PackOne(OvaForm.TarUstar, kind);
        var ovf = Path.Combine(_dir, "vm.ovf");
        File.WriteAllText(ovf, _ovfText);

        using var ova = OvaArchive.Open(path, cancellationToken: Ct);
        var mf = OvaManifest.Load(ova)!;
        Assert.Empty(mf.Warnings);
        var disk = mf.For("disk1.vmdk")!.Value;
        Assert.Equal(algorithm, disk.Algorithm.Name);
        var real = Sum(tool, _disk);
        Assert.NotEqual(real, disk.Digest);
        Assert.Equal(1, real.Zip(disk.Digest).Count(p => p.First != p.Second));
        Assert.Equal(Sum(tool, ovf), mf.For("vm.ovf")!.Value.Digest);
    }

    [Fact]
    public void A_malformed_manifest_is_one_warning_and_keeps_its_good_lines()
    {
        var path = PackOne(OvaForm.TarUstar, ManifestKind.Malformed);

        using var ova = OvaArchive.Open(path, cancellationToken: Ct);
        var mf = OvaManifest.Load(ova)!;
        var warning = Assert.Single(mf.Warnings);
        Assert.Contains("line 2", warning, StringComparison.Ordinal);
        Assert.Contains(OvaBuilder.MalformedLine, warning, StringComparison.Ordinal);
        Assert.Equal(Sum("sha256sum", _disk), mf.For("disk1.vmdk")!.Value.Digest);
        Assert.NotNull(mf.For("vm.ovf"));
    }

    [Fact]
    public void Without_a_manifest_there_is_no_mf_member()
    {
        var path = PackOne(OvaForm.TarPax, ManifestKind.None);

        using var ova = OvaArchive.Open(path, cancellationToken: Ct);
        Assert.Equal(["vm.ovf", "disk1.vmdk"], ova.Listing.Members.Select(m => m.Name));
        Assert.Null(OvaManifest.Load(ova));
        Assert.Equal("", OvaBuilder.Manifest(ManifestKind.None, [("disk1.vmdk", _disk)]));
    }

    [Fact]
    public void The_folder_form_copies_regular_files_beside_the_ovf()
    {
        var folder = OvaBuilder.Pack(Path.Combine(_dir, "unpacked"), OvaForm.Folder, "vm.ovf", _ovfText, [("sub/disk1.vmdk", _disk)], ManifestKind.Sha1);

        Assert.Equal(_ovfText, File.ReadAllText(Path.Combine(folder, "vm.ovf")));
        var copy = new FileInfo(Path.Combine(folder, "sub", "disk1.vmdk"));
        Assert.Null(copy.LinkTarget);
        Assert.Equal(FileHash.Sha256(_disk), FileHash.Sha256(copy.FullName));
        var mf = OvaManifest.Parse(File.ReadAllText(Path.Combine(folder, "vm.mf")), "vm.mf");
        Assert.Equal(Sum("sha1sum", _disk), mf.For("sub/disk1.vmdk")!.Value.Digest);
        Assert.True(File.Exists(_disk));
    }

    [Fact]
    public void Truncate_cuts_inside_the_disk_and_the_reader_names_the_cut_member()
    {
        var path = PackOne(OvaForm.TarUstar);
        long cut;
        using (var ova = OvaArchive.Open(path, cancellationToken: Ct))
        {
            var disk = ova.Listing.Find("disk1.vmdk")!.Value;
            cut = disk.DataOffset + (disk.Size / 2);
        }

        OvaBuilder.Truncate(path, cut);

        Assert.Equal(cut, new FileInfo(path).Length);
        var e = Assert.Throws<EndOfStreamException>(() => OvaArchive.Open(path, cancellationToken: Ct));
        Assert.Contains("disk1.vmdk", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => OvaBuilder.Truncate(path, cut + 1));
    }

    [Fact]
    public void VsphereOvf_carries_the_vm_in_vsphere_form()
    {
        var text = OvaBuilder.VsphereOvf(
            "a&b",
            [new OvfDiskSpec("d1.vmdk", 2L << 30, PopulatedSize: 123), new OvfDiskSpec("d2.vmdk.gz", (3L << 20) + 512, "monolithicSparse", "gzip")],
            memoryMiB: 2048,
            cpus: 4,
            firmware: "efi",
            mac: "00:50:56:01:02:03");

        var doc = XDocument.Parse(text);
        var vs = doc.Root!.Element(Ovf + "VirtualSystem")!;
        Assert.Equal("a&b", vs.Element(Ovf + "Name")!.Value);
        var items = vs.Descendants(Ovf + "Item").ToList();
        string Quantity(string type) => items.Single(i => i.Element(Rasd + "ResourceType")!.Value == type).Element(Rasd + "VirtualQuantity")!.Value;
        Assert.Equal("2048", Quantity("4"));
        Assert.Equal("4", Quantity("3"));
        var nic = items.Single(i => i.Element(Rasd + "ResourceType")!.Value == "10");
        Assert.Equal("00:50:56:01:02:03", nic.Element(Rasd + "Address")!.Value);
        Assert.Equal("VM Network", nic.Element(Rasd + "Connection")!.Value);
        Assert.Equal("VmxNet3", nic.Element(Rasd + "ResourceSubType")!.Value);
        var scsi = items.Single(i => i.Element(Rasd + "ResourceType")!.Value == "6");
        Assert.Equal("lsilogic", scsi.Element(Rasd + "ResourceSubType")!.Value);
        var diskItems = items.Where(i => i.Element(Rasd + "ResourceType")!.Value == "17").ToList();
        Assert.Equal(["ovf:/disk/vmdisk1", "ovf:/disk/vmdisk2"], diskItems.Select(i => i.Element(Rasd + "HostResource")!.Value));
        Assert.All(diskItems, i => Assert.Equal(scsi.Element(Rasd + "InstanceID")!.Value, i.Element(Rasd + "Parent")!.Value));
        var firmware = vs.Descendants(Vmw + "Config").Single(c => (string?)c.Attribute(Vmw + "key") == "firmware");
        Assert.Equal("efi", (string?)firmware.Attribute(Vmw + "value"));

        var disks = doc.Root.Element(Ovf + "DiskSection")!.Elements(Ovf + "Disk").ToList();
        Assert.Equal(("2", "byte * 2^30"), ((string)disks[0].Attribute(Ovf + "capacity")!, (string)disks[0].Attribute(Ovf + "capacityAllocationUnits")!));
        Assert.Equal("123", (string?)disks[0].Attribute(Ovf + "populatedSize"));
        Assert.EndsWith("#streamOptimized", (string)disks[0].Attribute(Ovf + "format")!, StringComparison.Ordinal);
        Assert.Equal(("3146240", "byte"), ((string)disks[1].Attribute(Ovf + "capacity")!, (string)disks[1].Attribute(Ovf + "capacityAllocationUnits")!));
        Assert.EndsWith("#monolithicSparse", (string)disks[1].Attribute(Ovf + "format")!, StringComparison.Ordinal);
        var files = doc.Root.Element(Ovf + "References")!.Elements(Ovf + "File").ToList();
        Assert.Equal(["d1.vmdk", "d2.vmdk.gz"], files.Select(f => (string)f.Attribute(Ovf + "href")!));
        Assert.Equal([null, "gzip"], files.Select(f => (string?)f.Attribute(Ovf + "compression")));
    }

    [Fact]
    public void The_benchmark_writes_the_same_ovf_text()
    {
        // bench/ova/make-ovf.py writes the OVF of the benchmark's fixture OVA: it must stay the text VsphereOvf gives.
        Tool.Require("python3");
        var script = Path.Combine(RepoPaths.Root, "bench", "ova", "make-ovf.py");
        OvfDiskSpec[] disks = [new("d1.vmdk", 2L << 30), new("d<2>.vmdk.gz", (3L << 20) + 512, "monolithicSparse", "gzip", 99)];

        var r = Tool.Check("python3", script, "it's & <vm>", "3072", "3", "efi", "00:50:56:01:02:03", "rhel9_64Guest", "d1.vmdk:2147483648", "d<2>.vmdk.gz:3146240:monolithicSparse:gzip:99");

        Assert.Equal(OvaBuilder.VsphereOvf("it's & <vm>", disks, 3072, 3, "efi", "00:50:56:01:02:03", "rhel9_64Guest"), r.StdOut);
    }

    [Fact]
    public void Virt_v2v_reads_the_vsphere_ova_it_packs_and_its_manifests()
    {
        // virt-v2v is among the test packages (tests/deps/apt-packages.txt); the skip is for a run without tests/run.sh.
        Assert.SkipUnless(Tool.Exists("virt-v2v"), "virt-v2v is not installed (bench/ova/run.sh installs it); the check that it reads OvaBuilder's OVAs is skipped");
        var env = new Dictionary<string, string> { ["LIBGUESTFS_BACKEND"] = "direct", ["VIRT_V2V_TMPDIR"] = _dir };

        // --print-source parses the OVF and checks the manifest (no appliance is launched).
        var r = Tool.Run("virt-v2v", ["-i", "ova", PackOne(OvaForm.TarUstar), "--print-source"], env: env, timeoutMs: 120_000);
        var bad = Tool.Run("virt-v2v", ["-i", "ova", PackOne(OvaForm.TarUstar, ManifestKind.BadSha256), "--print-source"], env: env, timeoutMs: 120_000);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Matches(@"source name:\s*builder-vm\n", r.StdOut);
        Assert.Matches(@"memory:\s*1073741824 ", r.StdOut);
        Assert.Matches(@"nr vCPUs:\s*2\n", r.StdOut);
        Assert.Matches(@"firmware:\s*bios\n", r.StdOut);
        Assert.Matches(@"\t0 \[scsi\]\n", r.StdOut);
        Assert.Contains("Bridge \"VM Network\" mac: 00:50:56:aa:bb:01 [vmxnet3]", r.StdOut, StringComparison.Ordinal);

        // And it reads the bad manifest's line as one: the flipped digit is refused.
        Assert.True(bad.ExitCode != 0, bad.All);
        Assert.Contains("checksum of disk disk1.vmdk does not match manifest", bad.All, StringComparison.Ordinal);
    }
}
