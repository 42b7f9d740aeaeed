using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>The batch fixture as a vCenter: DC0 with two standalone hosts of two VMs each, one pair sharing a name.</summary>
public sealed class BatchVCenterFixture() : BatchInventoryFixture(new VcsimBatchOptions
{
    VCenter = true,
    Hosts = 2,
    VmCount = 2,
    PoweredOn = ["DC0_H1_VM0"],
    Dup = "Twin=DC0_H0_VM0,DC0_H1_VM1",
});

/// <summary>Host names and folders through a vpx:// listing, and the per-host download counters of the launcher.</summary>
public sealed class VcsimBatchVCenterTests(BatchVCenterFixture fixture) : IClassFixture<BatchVCenterFixture>
{
    private readonly VcsimBatchInventory _inv = fixture.Inventory;

    [Fact]
    public async Task Each_vm_names_the_host_that_runs_it_and_its_folder()
    {
        await using var src = await ConnectAsync(_inv);
        var vms = await src.ListVmsAsync(Ct);

        Assert.Equal(4, vms.Count);
        foreach (var expected in _inv.Vms)
        {
            var vm = vms.Single(v => v.Ref.Value == expected.Ref);
            Assert.Equal(expected.Name, vm.Name);
            Assert.Equal(expected.Host, vm.HostName);
            Assert.Equal(expected.Folder == "Dup" ? "vm/Dup" : "vm", vm.FolderPath);
            Assert.Equal(expected.PowerState, vm.PowerState);
        }

        Assert.Equal(["DC0_H0", "DC0_H1"], vms.Select(v => v.HostName).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(["DC0_H1_VM0"], vms.Where(v => v.PowerState == "poweredOn").Select(v => v.Name));
    }

    [Fact]
    public async Task Downloads_of_vms_on_two_hosts_are_counted_per_host()
    {
        await using var src = await ConnectAsync(_inv);
        var a = await src.FetchVmAsync("DC0_H0_VM1", Ct);
        var b = await src.FetchVmAsync("DC0_H1_VM0", Ct);
        Assert.NotEqual(a.Info.HostName, b.Info.HostName);
        foreach (var vm in new[] { a, b })
        {
            var local = _inv.DiskPath(vm.Info.Ref.Value);
            Assert.True(new FileInfo(VcsimBatchInventory.FlatOf(local)).Length == 4L << 20, local);
        }

        _inv.Server.ResetStats();
        await Task.WhenAll(
            src.DownloadDisksAsync(a, RepoPaths.NewTempDir(), false, null, Ct),
            src.DownloadDisksAsync(b, RepoPaths.NewTempDir(), allowRunning: true, null, Ct));
        var stats = _inv.Server.Stats();

        Assert.Equal(1, stats.MaxConcurrentVmsPerHost["DC0_H0"]);
        Assert.Equal(1, stats.MaxConcurrentVmsPerHost["DC0_H1"]);
        Assert.Equal(2, stats.MaxConcurrentVmsPerHost.Count);
        Assert.InRange(stats.MaxConcurrentVms, 1, 2);
        Assert.InRange(stats.Downloads, a.DiskFiles.Count + b.DiskFiles.Count, 100);
    }
}
