using System.Text.Json;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>The batch fixture of issue 15: 22 ESXi VMs with the features the plan's concerns look for.</summary>
public sealed class BatchVcsimFixture() : BatchInventoryFixture(new VcsimBatchOptions
{
    PoweredOn = ["ha-host_VM1"],
    Snapshots = new Dictionary<string, string> { ["ha-host_VM2"] = "before-upgrade" },
    Rdm = ["ha-host_VM3"],
    Dup = "Twin=ha-host_VM4,ha-host_VM5",
    Cbt = ["ha-host_VM6"],
    Efi = ["ha-host_VM7"],
    SecureBoot = ["ha-host_VM8"],
    Encrypted = ["ha-host_VM9"],
    Vtpm = ["ha-host_VM9"],
    Vgpu = ["ha-host_VM10"],
    SharedBus = ["ha-host_VM11"],
})
{
    /// <summary>Left alone by every test but the one that corrupts its disk.</summary>
    public const string CorruptVm = "ha-host_VM21";
}

/// <summary>
/// The vSphere facts a batch plan needs, fetched in the one listing, against the batch fixture; fetch by
/// managed object id; and the fixture's own promises (fast, a distinct real disk per VM, corruption, counting).
/// </summary>
public sealed class VcsimBatchTests(BatchVcsimFixture fixture) : IClassFixture<BatchVcsimFixture>
{
    private readonly VcsimBatchInventory _inv = fixture.Inventory;

    private Task<VSphereSource> Connect() => ConnectAsync(_inv);

    [Fact]
    public async Task One_listing_gives_power_snapshots_rdm_cbt_firmware_encryption_vtpm_vgpu_shared_bus_host_and_folder()
    {
        await using var src = await Connect();
        var vms = await src.ListVmsAsync(Ct);
        VSphereVmInfo Vm(string name) => vms.Single(v => v.Name == name);

        Assert.Equal(22, vms.Count);
        Assert.Equal(vms.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => v.Name), vms.Select(v => v.Name));
        Assert.Equal(["ha-host_VM1"], vms.Where(v => v.PowerState == "poweredOn").Select(v => v.Name));
        Assert.Equal("before-upgrade", Assert.Single(Vm("ha-host_VM2").Snapshots).Name);

        var rdm = Vm("ha-host_VM3").Disks.Single(d => d.IsRawDevice);
        Assert.Equal("physicalMode", rdm.RawDeviceMode);
        Assert.Equal("independent_persistent", rdm.DiskMode);
        Assert.Equal("[LocalDS_0] ha-host_VM3/ha-host_VM3_rdm.vmdk", rdm.FileName);
        Assert.Equal("persistent", Vm("ha-host_VM3").Disks.Single(d => !d.IsRawDevice).DiskMode);

        Assert.True(Vm("ha-host_VM6").ChangeTracking);
        Assert.Equal("efi", Vm("ha-host_VM7").Firmware);
        Assert.False(Vm("ha-host_VM7").SecureBoot);
        Assert.Equal("efi", Vm("ha-host_VM8").Firmware);
        Assert.True(Vm("ha-host_VM8").SecureBoot);
        Assert.True(Vm("ha-host_VM9").Encrypted);
        Assert.True(Vm("ha-host_VM9").Vtpm);
        Assert.Equal(["PCI device 0: vGPU grid_t4-2q"], Vm("ha-host_VM10").Passthrough);
        Assert.Equal("physicalSharing", Assert.Single(Vm("ha-host_VM11").Disks).SharedBus);

        // A VM with none of them.
        var plain = Vm("ha-host_VM0");
        Assert.NotEqual("efi", plain.Firmware);
        Assert.False(plain.SecureBoot || plain.ChangeTracking || plain.Encrypted || plain.Vtpm);
        Assert.Empty(plain.Passthrough);
        var disk = Assert.Single(plain.Disks);
        Assert.Equal(("persistent", null, null, 0L), (disk.DiskMode, disk.RawDeviceMode, disk.SharedBus, disk.SnapshotBytes));

        var host = _inv.Vm("ha-host_VM0").Host;
        Assert.False(string.IsNullOrEmpty(host));
        Assert.All(vms, v => Assert.Equal(host, v.HostName));

        var twins = vms.Where(v => v.Name == "Twin").ToArray();
        Assert.Equal(["vm", "vm/Dup"], twins.Select(v => v.FolderPath).Order(StringComparer.Ordinal));
        Assert.All(vms.Where(v => v.Name != "Twin"), v => Assert.Equal("vm", v.FolderPath));
    }

    [Fact]
    public async Task Two_vms_of_the_same_name_are_fetched_by_their_managed_object_id()
    {
        await using var src = await Connect();
        var byName = await Assert.ThrowsAsync<InvalidOperationException>(() => src.FetchVmAsync("Twin", Ct));
        var twins = _inv.Vms.Where(v => v.Name == "Twin").ToArray();
        Assert.Equal(2, twins.Length);
        Assert.Contains("moref:", byName.Message, StringComparison.Ordinal);

        foreach (var twin in twins)
        {
            Assert.Contains(twin.Ref!, byName.Message, StringComparison.Ordinal);
            var vm = await src.FetchVmAsync(new MoRef("VirtualMachine", twin.Ref!), Ct);
            Assert.Equal(twin.Ref, vm.Info.Ref.Value);
            Assert.Equal(twin.VmPathName, vm.VmxPath.ToString());
            Assert.Equal(twin.Folder == "Dup" ? "vm/Dup" : "vm", vm.Info.FolderPath);
            Assert.Contains("displayName = \"Twin\"", System.Text.Encoding.UTF8.GetString(vm.VmxBytes), StringComparison.Ordinal);
            Assert.Equal(twin.Disks, vm.Info.Disks.Select(d => d.FileName));
        }

        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => src.FetchVmAsync(new MoRef("VirtualMachine", "vm-99999"), Ct));
        Assert.Contains("vm-99999", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fixture_is_ready_in_seconds_and_every_vm_has_a_readable_disk_of_its_own()
    {
        Assert.True(fixture.StartTime < TimeSpan.FromSeconds(30), $"22 VMs took {fixture.StartTime}");
        TestContext.Current.TestOutputHelper?.WriteLine($"batch fixture ready in {fixture.StartTime.TotalSeconds:F1} s");

        foreach (var vm in _inv.Vms.Where(v => v.Name != BatchVcsimFixture.CorruptVm))
        {
            var path = _inv.DiskPath(vm.Ref!);
            Assert.Equal(_inv.Server.LocalPath(vm.Disks![0]), path);
            using var info = JsonDocument.Parse(Tool.Check("qemu-img", "info", "--output", "json", "-f", "vmdk", path).StdOut);
            Assert.Equal(4L << 20, info.RootElement.GetProperty("virtual-size").GetInt64());
        }

        var a = _inv.DiskPath("ha-host_VM0");
        var b = _inv.DiskPath("ha-host_VM12");
        Assert.Equal(0, Tool.Run("qemu-img", ["compare", "-q", "-f", "vmdk", "-F", "vmdk", a, a]).ExitCode);
        var differ = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "vmdk", a, b]);
        Assert.True(differ.ExitCode == 1, differ.All);
    }

    [Fact]
    public async Task Downloads_are_counted_per_vm_folder_and_per_host()
    {
        await using var src = await Connect();
        var vm0 = await src.FetchVmAsync("ha-host_VM0", Ct);
        var vm12 = await src.FetchVmAsync("ha-host_VM12", Ct);
        var host = _inv.Vm("ha-host_VM0").Host!;

        _inv.Server.ResetStats();
        var zero = _inv.Server.Stats();
        Assert.Equal((0, 0), (zero.MaxConcurrentVms, zero.Downloads));
        Assert.Empty(zero.MaxConcurrentVmsPerHost);
        await src.DownloadDisksAsync(vm0, RepoPaths.NewTempDir(), false, null, Ct);
        var one = _inv.Server.Stats();
        Assert.Equal(1, one.MaxConcurrentVms);
        Assert.Equal(1, one.MaxConcurrentVmsPerHost[host]);
        Assert.InRange(one.Downloads, vm0.DiskFiles.Count, 100);

        _inv.Server.ResetStats();
        await Task.WhenAll(
            src.DownloadDisksAsync(vm0, RepoPaths.NewTempDir(), false, null, Ct),
            src.DownloadDisksAsync(vm12, RepoPaths.NewTempDir(), false, null, Ct));
        var two = _inv.Server.Stats();
        Assert.InRange(two.MaxConcurrentVms, 1, 2);
        Assert.InRange(two.MaxConcurrentVmsPerHost[host], 1, 2);
        Assert.InRange(two.Downloads, vm0.DiskFiles.Count + vm12.DiskFiles.Count, 200);
    }

    [Fact]
    public async Task A_corrupted_vm_fails_naming_its_missing_extent()
    {
        _inv.Corrupt(BatchVcsimFixture.CorruptVm);
        Assert.NotEqual(0, Tool.Run("qemu-img", ["info", _inv.DiskPath(BatchVcsimFixture.CorruptVm)]).ExitCode);

        await using var src = await Connect();
        var vm = await src.FetchVmAsync(BatchVcsimFixture.CorruptVm, Ct);
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => src.DownloadDisksAsync(vm, RepoPaths.NewTempDir(), false, null, Ct));
        Assert.Contains($"{BatchVcsimFixture.CorruptVm}/disk1-flat.vmdk", ex.Message, StringComparison.Ordinal);
    }
}
