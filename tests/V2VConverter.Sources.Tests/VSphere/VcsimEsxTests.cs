using System.Security.Authentication;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>The ESXi side of issue 5, against govmomi's vcsim ESX model with TLS on.</summary>
public sealed class VcsimEsxTests(EsxVcsimFixture fixture) : IClassFixture<EsxVcsimFixture>
{
    private readonly VcsimServer _sim = fixture.Server;

    private VSphereUri Uri(string query = "") => VSphereUri.Parse($"esx://{EsxVcsimFixture.User}@{_sim.HostPort}/{query}");

    private Task<VSphereSource> ConnectPinned(VSphereConnectOptions? options = null) =>
        VSphereSource.ConnectAsync(Uri(), options ?? Options(EsxVcsimFixture.Password, _sim.Banner.Sha256), Ct);

    [Fact]
    public async Task Inventory_lists_exactly_the_simulators_vms_with_their_properties()
    {
        await using var src = await ConnectPinned();
        Assert.False(src.ServiceContent.IsVCenter);
        Assert.Equal("HostAgent", src.ServiceContent.ApiType);

        var vms = await src.ListVmsAsync(Ct);

        Assert.Equal(_sim.Banner.Vms.Select(v => v.Name).Order(), vms.Select(v => v.Name));
        foreach (var expected in _sim.Banner.Vms)
        {
            var vm = vms.Single(v => v.Name == expected.Name);
            Assert.Equal(expected.PowerState, vm.PowerState);
            Assert.Equal(expected.VmPathName, vm.VmPathName);
            Assert.Equal("otherGuest", vm.GuestId);
            Assert.True(vm.NumCpu >= 1);
            Assert.True(vm.MemoryMiB > 0);
            Assert.Matches("^[0-9a-f-]{36}$", vm.Uuid);
            Assert.Equal(["LocalDS_0"], vm.Datastores);

            var disk = Assert.Single(vm.Disks);
            Assert.Equal($"[LocalDS_0] {expected.Name}/disk1.vmdk", disk.FileName);
            Assert.Equal(1024L * 1024, disk.CapacityBytes);
            Assert.Equal("scsi", disk.Bus);
            Assert.Equal(
                [$"[LocalDS_0] {expected.Name}/disk1-flat.vmdk", $"[LocalDS_0] {expected.Name}/disk1.vmdk"],
                disk.Files.Select(f => f.Name).Order());

            var nic = Assert.Single(vm.Nics);
            Assert.Equal("e1000", nic.Model);
            Assert.Equal("VM Network", nic.Network);
            Assert.Matches("^00:0c:29(:[0-9a-f]{2}){3}$", nic.MacAddress);
        }

        Assert.Equal("poweredOff", vms.Single(v => v.Name == "ha-host_VM0").PowerState);
        Assert.Equal("poweredOn", vms.Single(v => v.Name == "ha-host_VM1").PowerState);
        var snap = Assert.Single(vms.Single(v => v.Name == "ha-host_VM1").Snapshots);
        Assert.Equal("before-upgrade", snap.Name);
        Assert.Empty(vms.Single(v => v.Name == "ha-host_VM0").Snapshots);
    }

    [Fact]
    public async Task Pinning_the_sha1_or_sha256_thumbprint_connects()
    {
        await using (var a = await VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password, _sim.Banner.Sha1), Ct))
        {
            Assert.Equal("SHA-1", a.Tls.PinnedAlgorithm);
        }

        // Lower case without colons is accepted too.
        var plain = _sim.Banner.Sha256.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
        await using var b = await VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password, plain), Ct);
        Assert.Equal("SHA-256", b.Tls.PinnedAlgorithm);
    }

    [Fact]
    public async Task Wrong_thumbprint_fails_naming_both_fingerprints()
    {
        var wrong = string.Join(':', Enumerable.Repeat("AB", 32));
        var ex = await Assert.ThrowsAsync<AuthenticationException>(() => VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password, wrong), Ct));
        Assert.Contains("does not match --thumbprint", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"expected SHA-256 {wrong}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"presented SHA-256 {_sim.Banner.Sha256}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Default_verification_rejects_the_self_signed_certificate_clearly()
    {
        var ex = await Assert.ThrowsAsync<AuthenticationException>(() => VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password), Ct));
        Assert.Contains($"the TLS certificate of {_sim.HostPort} is not trusted", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not signed by a trusted CA", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_sim.Banner.Sha256, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_verify_connects_and_warns()
    {
        var bag = new TestLog();
        await using var src = await VSphereSource.ConnectAsync(Uri("?no_verify=1"), Options(EsxVcsimFixture.Password, diagnostics: bag), Ct);
        var vms = await src.ListVmsAsync(Ct);
        Assert.Equal(_sim.Banner.Vms.Count, vms.Count);
        var w = Assert.Single(bag.Warnings);
        Assert.Contains("verification is off", w.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_says_login_failed_for_user_at_host()
    {
        var ex = await Assert.ThrowsAsync<VimFaultException>(() => VSphereSource.ConnectAsync(Uri(), Options("not-the-password", _sim.Banner.Sha256), Ct));
        Assert.Equal("InvalidLogin", ex.FaultType);
        Assert.StartsWith($"login failed for user {EsxVcsimFixture.User} at {_sim.HostPort}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Netrc_with_mode_600_logs_in_and_a_world_readable_one_is_refused()
    {
        var home = RepoPaths.NewTempDir("v2v-home");
        var netrc = Path.Combine(home, ".netrc");
        await File.WriteAllTextAsync(netrc, $"macdef init\nprompt\n\nmachine 127.0.0.1 login {EsxVcsimFixture.User} password {EsxVcsimFixture.Password}\n", Ct);
        File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var uri = VSphereUri.Parse($"esx://{_sim.HostPort}/"); // user from .netrc
        await using (var ok = await VSphereSource.ConnectAsync(uri, Options(thumbprint: _sim.Banner.Sha256, home: home), Ct))
        {
            Assert.NotEmpty(await ok.ListVmsAsync(Ct));
        }

        File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => VSphereSource.ConnectAsync(uri, Options(thumbprint: _sim.Banner.Sha256, home: home), Ct));
        Assert.Contains("readable or writable by group or others (mode 0644)", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod 600 {netrc}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debug_log_never_contains_the_password()
    {
        var dir = RepoPaths.NewTempDir();
        var pwFile = Path.Combine(dir, "pw");
        await File.WriteAllTextAsync(pwFile, EsxVcsimFixture.Password + "\n", Ct);
        var logPath = Path.Combine(dir, "debug.log");
        await using (var log = new StreamWriter(logPath))
        {
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var opts = Options(thumbprint: _sim.Banner.Sha256, log: lines.Enqueue, passwordFile: pwFile);
            await using (var src = await VSphereSource.ConnectAsync(Uri(), opts, Ct))
            {
                await src.ListVmsAsync(Ct);
                await src.FetchVmAsync("ha-host_VM0", Ct);
            }

            // A failed login is logged too.
            await Assert.ThrowsAsync<VimFaultException>(() => VSphereSource.ConnectAsync(Uri(), Options("wrong-" + EsxVcsimFixture.Password, _sim.Banner.Sha256, log: lines.Enqueue), Ct));
            foreach (var l in lines)
            {
                await log.WriteLineAsync(l);
            }
        }

        var text = await File.ReadAllTextAsync(logPath, Ct);
        Assert.Contains("vim25: Login -> HTTP", text, StringComparison.Ordinal);
        Assert.Contains("logged in as v2vuser", text, StringComparison.Ordinal);
        Assert.Contains("--password-file", text, StringComparison.Ordinal);
        Assert.DoesNotContain(EsxVcsimFixture.Password, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_vm_downloads_its_vmx_through_folder()
    {
        await using var src = await ConnectPinned();
        var vm = await src.FetchVmAsync("ha-host_VM0", Ct);
        var onDisk = await File.ReadAllBytesAsync(_sim.LocalPath(vm.Info.VmPathName!), Ct);
        Assert.NotEmpty(onDisk);
        Assert.Equal(onDisk, vm.VmxBytes);
        Assert.Equal("LocalDS_0", vm.DatastoreName);
        Assert.Equal("ha-datacenter", vm.DatacenterPath);
        Assert.Equal("poweredOff", vm.PowerState);
        Assert.Contains("displayName = \"ha-host_VM0\"", System.Text.Encoding.UTF8.GetString(vm.VmxBytes), StringComparison.Ordinal);

        // The targeted lookup (names, then one VM's properties) gives what the full listing gives.
        var listed = (await src.ListVmsAsync(Ct)).Single(v => v.Name == "ha-host_VM0");
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(listed), System.Text.Json.JsonSerializer.Serialize(vm.Info));
        Assert.Equal("VM Network", Assert.Single(vm.Info.Nics).Network);

        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => src.FetchVmAsync("ha-host_VM", Ct));
        Assert.Contains("no VM named \"ha-host_VM\"", missing.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean ha-host_VM0", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Downloaded_disk_is_byte_identical_to_the_datastore_vmdk()
    {
        var descriptor = _sim.LocalPath("LocalDS_0", "ha-host_VM0/disk1.vmdk");
        MakeVmdk(descriptor, 6);
        await using var src = await ConnectPinned();
        var vm = await src.FetchVmAsync("ha-host_VM0", Ct);
        var outDir = RepoPaths.NewTempDir();

        var results = await src.DownloadDisksAsync(vm, outDir, allowRunning: false, progress: null, Ct);

        Assert.Equal(["disk1-flat.vmdk", "disk1.vmdk"], results.Select(r => Path.GetFileName(r.LocalPath)!).Order());
        foreach (var r in results)
        {
            var original = Path.Combine(Path.GetDirectoryName(descriptor)!, Path.GetFileName(r.LocalPath)!);
            Assert.Equal(await File.ReadAllBytesAsync(original, Ct), await File.ReadAllBytesAsync(r.LocalPath!, Ct));
            Assert.Equal(new FileInfo(original).Length, r.Bytes);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(original))), r.Sha256);
            Assert.Equal(0, r.Resumes);
        }

        Tool.Check("qemu-img", "compare", "-q", descriptor, Path.Combine(outDir, "disk1.vmdk"));
        Assert.Empty(Directory.GetFiles(outDir, "*.part"));
    }

    [Fact]
    public async Task Dropped_connection_resumes_with_range_and_gives_identical_bytes()
    {
        var descriptor = _sim.LocalPath("LocalDS_0", "ha-host_VM2/disk1.vmdk");
        MakeVmdk(descriptor, 8);
        var flat = Path.Combine(Path.GetDirectoryName(descriptor)!, "disk1-flat.vmdk");
        using var proxy = new FaultProxy(_sim.Port, cutAfterBytes: 3 * 1024 * 1024, cuts: 2);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var uri = VSphereUri.Parse($"esx://{EsxVcsimFixture.User}@127.0.0.1:{proxy.Port}/");
        await using var src = await VSphereSource.ConnectAsync(uri, Options(EsxVcsimFixture.Password, _sim.Banner.Sha256, log: lines.Enqueue), Ct);
        var outFile = Path.Combine(RepoPaths.NewTempDir(), "disk1-flat.vmdk");

        var r = await src.Datastore.DownloadToFileAsync(new DatastorePath("LocalDS_0", "ha-host_VM2/disk1-flat.vmdk"), outFile, null, Ct);

        Assert.Equal(2, proxy.CutsDone);
        Assert.Equal(2, r.Resumes);
        Assert.Contains(lines, l => l.Contains("resuming at byte", StringComparison.Ordinal));
        Assert.Equal(8L * 1024 * 1024, r.Bytes);
        Assert.Equal(await File.ReadAllBytesAsync(flat, Ct), await File.ReadAllBytesAsync(outFile, Ct));
    }

    [Fact]
    public async Task An_esxi_vmfs_disk_streams_through_two_dropped_connections_into_an_identical_qcow2()
    {
        // ESXi's own layout: a "vmfs" descriptor whose VMFS extent is the -flat.vmdk.
        var dir = Path.GetDirectoryName(_sim.LocalPath("LocalDS_0", "ha-host_VM0/x.vmx"))!;
        var flat = Path.Combine(dir, "disk1-flat.vmdk");
        var descriptor = Path.Combine(dir, "disk1.vmdk");
        File.Delete(flat);
        Tool.Check("qemu-img", "create", "-q", "-f", "raw", flat, "12M");
        Tool.Check("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 3M", "-c", "write -P 0x22 7M 1M", "-c", "write -P 0x33 11M 1M", flat);
        File.WriteAllText(descriptor, """
            # Disk DescriptorFile
            version=1
            encoding="UTF-8"
            CID=a1b2c3d4
            parentCID=ffffffff
            createType="vmfs"

            # Extent description
            RW 24576 VMFS "disk1-flat.vmdk"

            # The Disk Data Base
            #DDB
            ddb.adapterType = "lsilogic"
            ddb.virtualHWVersion = "19"
            """);
        using var proxy = new FaultProxy(_sim.Port, cutAfterBytes: 4 * 1024 * 1024, cuts: 2);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var uri = VSphereUri.Parse($"esx://{EsxVcsimFixture.User}@127.0.0.1:{proxy.Port}/");
        await using var src = await VSphereSource.ConnectAsync(uri, Options(EsxVcsimFixture.Password, _sim.Banner.Sha256, log: lines.Enqueue), Ct);
        var vm = await src.FetchVmAsync("ha-host_VM0", Ct);
        var disk = VSphereModel.ToModel(vm, new TestLog().Logger).Disks.Single(d => d.FileName.EndsWith("disk1.vmdk", StringComparison.Ordinal));
        var outDir = RepoPaths.NewTempDir();
        var qcow2 = Path.Combine(outDir, "disk1.qcow2");

        using (var opener = new VSphereDiskOpener(src.Datastore, vm, outDir, new TestLog(lines.Enqueue).Logger))
        {
            using (var d = await opener.OpenAsync(disk, new VmdkOpenOptions(), Ct))
            {
                Assert.Equal(12L * 1024 * 1024, d.Length);
                DiskConverter.Convert(d, qcow2, new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 }, null, Ct);
            }

            Assert.Single(opener.Streamed);
        }

        Assert.Equal(2, proxy.CutsDone);
        Assert.Contains(lines, l => l.Contains("resuming at byte", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("2 resume(s)", StringComparison.Ordinal));
        Assert.Equal(["disk1.qcow2"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName));
        Tool.Check("qemu-img", "check", "-q", qcow2);
        Tool.Check("qemu-img", "compare", "-q", "-f", "vmdk", "-F", "qcow2", descriptor, qcow2);
    }

    [Fact]
    public async Task Resume_works_into_an_unseekable_consumer_stream()
    {
        var descriptor = _sim.LocalPath("LocalDS_0", "ha-host_VM2/disk1.vmdk");
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(descriptor)!, "disk1-flat.vmdk")) || new FileInfo(Path.Combine(Path.GetDirectoryName(descriptor)!, "disk1-flat.vmdk")).Length == 0)
        {
            MakeVmdk(descriptor, 8);
        }

        var flat = Path.Combine(Path.GetDirectoryName(descriptor)!, "disk1-flat.vmdk");
        using var proxy = new FaultProxy(_sim.Port, cutAfterBytes: 2 * 1024 * 1024, cuts: 1);
        var uri = VSphereUri.Parse($"esx://{EsxVcsimFixture.User}@127.0.0.1:{proxy.Port}/");
        await using var src = await VSphereSource.ConnectAsync(uri, Options(EsxVcsimFixture.Password, _sim.Banner.Sha256), Ct);
        using var sink = new ForwardOnlyStream();

        var r = await src.Datastore.DownloadAsync(new DatastorePath("LocalDS_0", "ha-host_VM2/disk1-flat.vmdk"), sink, null, Ct);

        Assert.Equal(1, r.Resumes);
        Assert.Equal(await File.ReadAllBytesAsync(flat, Ct), sink.Data.ToArray());
    }

    [Fact]
    public async Task Parallel_downloads_stay_within_the_bound()
    {
        var items = new List<DownloadItem>();
        var outDir = RepoPaths.NewTempDir();
        foreach (var vm in new[] { "ha-host_VM0", "ha-host_VM1", "ha-host_VM2" })
        {
            // Every VM folder holds a .vmx, .nvram and vmware.log: six small files plus the disks.
            items.Add(new DownloadItem(new DatastorePath("LocalDS_0", $"{vm}/{vm}.vmx"), Path.Combine(outDir, $"{vm}.vmx")));
            items.Add(new DownloadItem(new DatastorePath("LocalDS_0", $"{vm}/vmware.log"), Path.Combine(outDir, $"{vm}.log")));
        }

        await using var src = await VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password, _sim.Banner.Sha256, download: new DownloadOptions { MaxParallel = 2 }), Ct);
        var results = await src.Datastore.DownloadAllAsync(items, null, Ct);

        Assert.Equal(items.Count, results.Count);
        Assert.InRange(src.Datastore.PeakParallelDownloads, 1, 2);
        foreach (var (item, r) in items.Zip(results))
        {
            Assert.Equal(await File.ReadAllBytesAsync(_sim.LocalPath(item.Source.ToString()), Ct), await File.ReadAllBytesAsync(r.LocalPath!, Ct));
        }
    }

    [Fact]
    public async Task Powered_on_vm_is_refused_unless_allow_running_which_warns()
    {
        var bag = new TestLog();
        await using var src = await VSphereSource.ConnectAsync(Uri(), Options(EsxVcsimFixture.Password, _sim.Banner.Sha256, diagnostics: bag), Ct);
        var vm = await src.FetchVmAsync("ha-host_VM1", Ct);
        var outDir = RepoPaths.NewTempDir();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => src.DownloadDisksAsync(vm, outDir, allowRunning: false, progress: null, Ct));
        Assert.Contains("VM ha-host_VM1 is poweredOn; shut it down first", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--allow-running", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(outDir));

        var results = await src.DownloadDisksAsync(vm, outDir, allowRunning: true, progress: null, Ct);
        Assert.Equal(2, results.Count);
        Assert.Contains(bag.Warnings, w => w.Message.Contains("inconsistent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_datastore_file_is_a_clear_not_found()
    {
        await using var src = await ConnectPinned();
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => src.Datastore.ReadAllBytesAsync(new DatastorePath("LocalDS_0", "nope/nope.vmx"), 1024, Ct));
        Assert.Contains("datastore file [LocalDS_0] nope/nope.vmx not found", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A write-only, non-seekable consumer (like a pipe into the disk engine).</summary>
    private sealed class ForwardOnlyStream : Stream
    {
        public MemoryStream Data { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Data.Write(buffer, offset, count);
    }
}
