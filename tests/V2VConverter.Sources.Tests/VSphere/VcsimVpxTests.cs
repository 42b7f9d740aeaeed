using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Vmdk;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>The vCenter side of issue 5, against govmomi's vcsim VPX model with TLS on.</summary>
public sealed class VcsimVpxTests(VpxVcsimFixture fixture) : IClassFixture<VpxVcsimFixture>
{
    private readonly VcsimServer _sim = fixture.Server;

    private static string User => Uri.EscapeDataString(VpxVcsimFixture.User);

    private Task<VSphereSource> Connect(string path) =>
        VSphereSource.ConnectAsync(VSphereUri.Parse($"vpx://{User}@{_sim.HostPort}/{path}"), Options(VpxVcsimFixture.Password, _sim.Banner.Sha256), Ct);

    [Fact]
    public async Task Datacenter_inventory_lists_exactly_the_simulators_vms()
    {
        await using var src = await Connect("DC0");
        Assert.True(src.ServiceContent.IsVCenter);
        Assert.Equal("DC0", src.DatacenterPath);
        Assert.Equal("Datacenter", src.Container.Type);

        var vms = await src.ListVmsAsync(Ct);

        Assert.Equal(_sim.Banner.Vms.Select(v => v.Name).Order(), vms.Select(v => v.Name));
        Assert.Equal(4, vms.Count);
        Assert.All(vms, v => Assert.Equal("poweredOff", v.PowerState));

        // vcsim's VPX NICs sit on a distributed port group: the name comes from the Network objects.
        Assert.All(vms, v => Assert.Equal("DC0_DVPG0", Assert.Single(v.Nics).Network));
    }

    [Fact]
    public async Task Cluster_and_host_paths_narrow_the_inventory()
    {
        await using (var cluster = await Connect("DC0/DC0_C0"))
        {
            Assert.Equal("ClusterComputeResource", cluster.Container.Type);
            var vms = await cluster.ListVmsAsync(Ct);
            Assert.Equal(["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"], vms.Select(v => v.Name));

            // A cluster holds no networks or datastores: their names still resolve (from the datacenter).
            Assert.All(vms, v => Assert.Equal("DC0_DVPG0", Assert.Single(v.Nics).Network));
            Assert.All(vms, v => Assert.Equal(["LocalDS_0"], v.Datastores));
        }

        await using (var host = await Connect("DC0/DC0_H0"))
        {
            Assert.Equal("ComputeResource", host.Container.Type);
            Assert.Equal(["DC0_H0_VM0", "DC0_H0_VM1"], (await host.ListVmsAsync(Ct)).Select(v => v.Name));
        }

        // A host inside the cluster: its VMs are a subset of the cluster's.
        await using var one = await Connect("DC0/DC0_C0/DC0_C0_H0");
        Assert.Equal("HostSystem", one.Container.Type);
        Assert.All(await one.ListVmsAsync(Ct), v => Assert.StartsWith("DC0_C0_RP0_VM", v.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_datacenter_or_host_is_named_in_the_error()
    {
        var dc = await Assert.ThrowsAsync<FileNotFoundException>(() => Connect("NoSuchDC/C0"));
        Assert.Contains("no datacenter named \"NoSuchDC\"", dc.Message, StringComparison.Ordinal);

        var host = await Assert.ThrowsAsync<FileNotFoundException>(() => Connect("DC0/DC0_C0/nohost"));
        Assert.Contains("\"DC0_C0/nohost\" is not a cluster or host in datacenter DC0", host.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_says_login_failed_for_user_at_host()
    {
        var uri = VSphereUri.Parse($"vpx://{User}@{_sim.HostPort}/DC0");
        var ex = await Assert.ThrowsAsync<VimFaultException>(() => VSphereSource.ConnectAsync(uri, Options("wrong", _sim.Banner.Sha256), Ct));
        Assert.StartsWith($"login failed for user {VpxVcsimFixture.User} at {_sim.HostPort}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disk_downloaded_from_a_vcenter_datacenter_is_byte_identical()
    {
        var descriptor = _sim.LocalPath("LocalDS_0", "DC0_C0_RP0_VM1/disk1.vmdk");
        MakeVmdk(descriptor, 4);
        await using var src = await Connect("DC0/DC0_C0");
        var vm = await src.FetchVmAsync("DC0_C0_RP0_VM1", Ct);
        Assert.Equal("DC0", vm.DatacenterPath);
        var outDir = RepoPaths.NewTempDir();

        var results = await src.DownloadDisksAsync(vm, outDir, allowRunning: false, progress: null, Ct);

        Assert.Equal(2, results.Count);
        Tool.Check("qemu-img", "compare", "-q", descriptor, Path.Combine(outDir, "disk1.vmdk"));
        foreach (var r in results)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Path.GetDirectoryName(descriptor)!, Path.GetFileName(r.LocalPath)!), Ct), await File.ReadAllBytesAsync(r.LocalPath!, Ct));
        }
    }

    [Fact]
    public async Task Model_from_the_vmx_agrees_with_config_hardware()
    {
        await using var src = await Connect("DC0");
        foreach (var name in _sim.Banner.Vms.Select(v => v.Name))
        {
            var vm = await src.FetchVmAsync(name, Ct);
            var bag = new TestLog();
            var model = VSphereModel.ToModel(vm, bag.Logger);
            var hw = vm.Info;

            Assert.Equal(hw.Name, model.Name);
            Assert.Equal(hw.NumCpu, model.Cpu.VCpus);
            Assert.Equal(hw.MemoryMiB, model.MemoryMiB);
            Assert.Equal(Guid.Parse(hw.Uuid!), model.Uuid);
            Assert.Equal(hw.Disks.Count, model.Disks.Count);
            Assert.Equal(
                hw.Disks.Select(d => (d.FileName, d.Slot, d.Bus)),
                model.Disks.Select(d => (VSphereModel.DatastorePathOf(vm, d).ToString(), d.Key, d.Bus.ToString().ToLowerInvariant())));
            Assert.Equal(hw.Disks.Select(d => (long?)d.CapacityBytes), model.Disks.Select(d => d.CapacityBytes));
            Assert.Equal(hw.Nics.Count, model.Nics.Count);
            Assert.Equal(hw.Nics.Select(n => (n.MacAddress, n.Model)), model.Nics.Select(n => (n.MacAddress, n.VirtualDev)));
            Assert.Equal(hw.Nics.Select(n => n.PortGroupKey), model.Nics.Select(n => n.PortGroupKey));
            Assert.All(model.Disks, d => Assert.Equal("LocalDS_0", d.Datastore));
            Assert.Equal("DC0_DVPG0", Assert.Single(hw.Nics).Network);
        }
    }

    [Fact]
    public async Task A_flat_disk_streams_into_the_writer_and_a_sparse_one_is_fetched_first_both_identical_to_qemu_img()
    {
        var descriptor = _sim.LocalPath("LocalDS_0", "DC0_H0_VM0/disk1.vmdk");
        MakeVmdk(descriptor, 4);
        await using var src = await Connect("DC0/DC0_H0");
        var vm = await src.FetchVmAsync("DC0_H0_VM0", Ct);
        var disk = Assert.Single(VSphereModel.ToModel(vm, new TestLog().Logger).Disks);
        var parent = RepoPaths.NewTempDir();
        var log = new List<string>();
        bool StagingExists() => Directory.GetDirectories(parent, $".v2v-download-DC0_H0_VM0-{Environment.ProcessId}-*").Length > 0;

        // monolithicFlat: descriptor + -flat.vmdk, streamed (no staging folder appears).
        using (var opener = new VSphereDiskOpener(src.Datastore, vm, parent, new TestLog(log.Add).Logger))
        {
            var raw = Path.Combine(parent, "flat.raw");
            using (var d = await opener.OpenAsync(disk, new VmdkOpenOptions(), Ct))
            {
                DiskConverter.Convert(d, raw, new DiskConvertOptions { Format = DiskOutputFormat.Raw }, null, Ct);
            }

            Assert.Equal(["[LocalDS_0] DC0_H0_VM0/disk1.vmdk"], opener.Streamed);
            Assert.False(StagingExists());
            Tool.Check("qemu-img", "compare", "-q", "-f", "vmdk", "-F", "raw", descriptor, raw);
        }

        Assert.Contains(log, l => l.Contains("streamed into the disk writer (no staging copy)", StringComparison.Ordinal));

        // The same disk as monolithicSparse (one binary file): fetched into the staging folder, removed on dispose.
        var flatData = Path.Combine(parent, "flat.raw");
        File.Delete(Path.ChangeExtension(descriptor, null) + "-flat.vmdk");
        File.Delete(descriptor);
        Tool.Check("qemu-img", "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", flatData, descriptor);
        vm = await src.FetchVmAsync("DC0_H0_VM0", Ct);
        using (var opener = new VSphereDiskOpener(src.Datastore, vm, parent, new TestLog(log.Add).Logger))
        {
            var qcow2 = Path.Combine(parent, "sparse.qcow2");
            using (var d = await opener.OpenAsync(disk, new VmdkOpenOptions(), Ct))
            {
                Assert.True(StagingExists());
                DiskConverter.Convert(d, qcow2, new DiskConvertOptions { Format = DiskOutputFormat.Qcow2 }, null, Ct);
            }

            Assert.Empty(opener.Streamed);
            Tool.Check("qemu-img", "compare", "-q", "-f", "vmdk", "-F", "qcow2", descriptor, qcow2);
        }

        Assert.False(StagingExists());
        Assert.Contains(log, l => l.Contains("binary", StringComparison.Ordinal) && l.Contains("fetching its files", StringComparison.Ordinal));
    }
}
