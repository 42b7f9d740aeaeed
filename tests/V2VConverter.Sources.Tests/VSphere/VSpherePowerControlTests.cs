using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;
using static V2VConverter.Sources.Tests.VSphere.VSphereTestHelpers;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>
/// Five ESXi VMs for the power tests: VM0, VM1, VM3 and VM4 running, VM2 off. VM1's guest ignores a shutdown
/// request and VM3 has no VMware Tools (the launcher answers ShutdownGuest for them).
/// </summary>
public sealed class PowerVcsimFixture() : BatchInventoryFixture(new VcsimBatchOptions
{
    VmCount = 5,
    PoweredOn = ["ha-host_VM0", "ha-host_VM1", "ha-host_VM3", "ha-host_VM4"],
    IgnoreShutdown = ["ha-host_VM1"],
    NoTools = ["ha-host_VM3"],
});

/// <summary><see cref="VSpherePowerControl"/> against vcsim: guest shutdown, the timeout, --force-poweroff, a VM already off.</summary>
public sealed class VSpherePowerControlTests(PowerVcsimFixture fixture) : IClassFixture<PowerVcsimFixture>
{
    private readonly VcsimBatchInventory _inv = fixture.Inventory;

    private Task<VSphereSource> Connect() => ConnectAsync(_inv);

    private MoRef Ref(string name) => new("VirtualMachine", _inv.Vm(name).Ref!);

    private static async Task<string> StateOf(VSphereSource src, MoRef vm) =>
        await VSpherePowerControl.WaitForPowerStateAsync(src.Vim, vm, "none", TimeSpan.Zero, Ct);

    [Fact]
    public async Task A_running_vm_whose_guest_shuts_down_ends_powered_off()
    {
        await using var src = await Connect();
        var log = new TestLog();
        var vm = Ref("ha-host_VM0");
        Assert.Equal("poweredOn", await StateOf(src, vm));

        var state = await VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(20), forcePowerOff: false, log.Logger, Ct);

        Assert.Equal("poweredOff", state);
        Assert.Equal("poweredOff", await StateOf(src, vm));
        Assert.Empty(log.Warnings);
        Assert.Contains(log.Infos, e => e.Message.Contains("asking the guest to shut down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_guest_that_ignores_the_request_fails_after_the_timeout_and_is_powered_off_only_with_force()
    {
        await using var src = await Connect();
        var vm = Ref("ha-host_VM1");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(1), forcePowerOff: false, new TestLog().Logger, Ct));
        Assert.Contains("VM ha-host_VM1 did not shut down within 1 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--force-poweroff", ex.Message, StringComparison.Ordinal);
        Assert.Equal("poweredOn", await StateOf(src, vm));

        var log = new TestLog();
        var state = await VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(1), forcePowerOff: true, log.Logger, Ct);
        Assert.Equal("poweredOff", state);
        Assert.Contains(log.Warnings, e => e.Message.Contains("--force-poweroff", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_guest_without_tools_is_an_error_naming_the_fault_unless_forced()
    {
        await using var src = await Connect();
        var vm = Ref("ha-host_VM3");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(30), forcePowerOff: false, new TestLog().Logger, Ct));
        Assert.Contains("ha-host_VM3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ToolsUnavailable", ex.Message, StringComparison.Ordinal);
        Assert.Equal("poweredOn", await StateOf(src, vm));

        Assert.Equal("poweredOff", await VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(30), forcePowerOff: true, new TestLog().Logger, Ct));
    }

    [Fact]
    public async Task A_vm_already_off_is_left_alone_and_a_power_off_task_error_names_the_vm_and_fault()
    {
        await using var src = await Connect();
        var vm = Ref("ha-host_VM2");

        Assert.Equal("poweredOff", await VSpherePowerControl.ShutdownAsync(src, vm, TimeSpan.FromSeconds(1), forcePowerOff: true, new TestLog().Logger, Ct));
        Assert.Equal("poweredOff", await StateOf(src, vm));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => VSpherePowerControl.PowerOffAsync(src.Vim, vm, Ct));
        Assert.Contains("ha-host_VM2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidPowerState", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Power_off_waits_for_its_task()
    {
        await using var src = await Connect();
        var vm = Ref("ha-host_VM4");

        await VSpherePowerControl.PowerOffAsync(src.Vim, vm, Ct);

        Assert.Equal("poweredOff", await VSpherePowerControl.WaitForPowerStateAsync(src.Vim, vm, "poweredOff", TimeSpan.Zero, Ct));
    }
}
