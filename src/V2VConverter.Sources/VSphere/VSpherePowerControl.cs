using System.Globalization;
using System.Xml.Linq;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Sources.VSphere;

/// <summary>
/// Shuts a source VM down before a cold copy (issue 15, <c>--shutdown-source</c>): the guest is asked first
/// (<c>ShutdownGuest</c>, which needs VMware Tools on a real host), its power state is polled, and a hard
/// <c>PowerOffVM_Task</c> is used only when the caller allows it. Nothing here ever powers a VM on.
/// </summary>
public static class VSpherePowerControl
{
    /// <summary>A power task that has not finished after this long is reported as stuck.</summary>
    public static readonly TimeSpan MaxTaskWait = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(2);
    private static readonly XNamespace V = VimClient.Vim;

    /// <summary>Asks the guest OS to shut down (<c>ShutdownGuest</c>); returns when the request is accepted, not when the VM is off.</summary>
    public static async Task ShutdownGuestAsync(VimClient vim, MoRef vm, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vim);
        await vim.InvokeAsync("ShutdownGuest", [vm.ToElement(V + "_this")], ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls <c>runtime.powerState</c> until it is <paramref name="state"/> or <paramref name="timeout"/> has passed;
    /// returns the last state seen (so the caller tells "reached" from "timed out" by comparing it).
    /// </summary>
    public static async Task<string> WaitForPowerStateAsync(VimClient vim, MoRef vm, string state, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vim);
        ArgumentException.ThrowIfNullOrEmpty(state);
        var deadline = DateTime.UtcNow + timeout;
        var delay = FirstPoll;
        while (true)
        {
            var seen = (await ReadAsync(vim, vm, ct).ConfigureAwait(false)).PowerState;
            var left = deadline - DateTime.UtcNow;
            if (seen == state || left <= TimeSpan.Zero)
            {
                return seen;
            }

            await Task.Delay(delay < left ? delay : left, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPoll.Ticks));
        }
    }

    /// <summary>
    /// Powers the VM off hard (<c>PowerOffVM_Task</c>) and waits for the task. A task that ends in error is an
    /// <see cref="InvalidOperationException"/> naming the VM and the fault.
    /// </summary>
    public static async Task PowerOffAsync(VimClient vim, MoRef vm, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(vim);
        var r = await vim.InvokeAsync("PowerOffVM_Task", [vm.ToElement(V + "_this")], ct).ConfigureAwait(false);
        var task = MoRef.FromElement(r.Element(V + "returnval") ?? throw new InvalidDataException("vim25 PowerOffVM_Task: the response has no <returnval>"));
        var (state, fault, message) = await WaitForTaskAsync(vim, task, ct).ConfigureAwait(false);
        if (state != "success")
        {
            var name = await NameOfAsync(vim, vm, ct).ConfigureAwait(false);
            throw new InvalidOperationException($"power-off of VM {name} ({vm.Value}) failed: {fault ?? state}" + (message is { Length: > 0 } ? $": {Secrets.Mask(message)}" : ""));
        }
    }

    /// <summary>
    /// What the batch runner calls before copying a running VM: returns at once for a VM that is off; otherwise
    /// asks the guest to shut down and waits up to <paramref name="timeout"/>. A guest that is still running then
    /// (or that cannot be asked: no VMware Tools, a suspended VM) is powered off hard when
    /// <paramref name="forcePowerOff"/>, and is an <see cref="InvalidOperationException"/> otherwise.
    /// Never powers anything on. Returns the final power state.
    /// </summary>
    public static async Task<string> ShutdownAsync(VSphereSource source, MoRef vm, TimeSpan timeout, bool forcePowerOff, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var vim = source.Vim;
        var (name, state) = await ReadAsync(vim, vm, ct).ConfigureAwait(false);
        var seconds = ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (state == "poweredOff")
        {
            log.Detail($"VM {name} ({vm.Value}) is already powered off");
            return state;
        }

        string? refused = null;
        if (state == "poweredOn")
        {
            try
            {
                log.Info($"VM {name}: asking the guest to shut down (waiting up to {seconds} s)");
                await ShutdownGuestAsync(vim, vm, ct).ConfigureAwait(false);
            }
            catch (VimFaultException ex)
            {
                // ToolsUnavailable (no VMware Tools), InvalidState, or InvalidPowerState when it went off meanwhile.
                refused = ex.FaultType;
                log.Warn($"VM {name}: the guest could not be asked to shut down: {ex.Message}");
            }

            state = refused is null
                ? await WaitForPowerStateAsync(vim, vm, "poweredOff", timeout, ct).ConfigureAwait(false)
                : (await ReadAsync(vim, vm, ct).ConfigureAwait(false)).PowerState;
            if (state == "poweredOff")
            {
                log.Info($"VM {name} is powered off");
                return state;
            }
        }

        var why = refused is not null ? $"could not be shut down by its guest ({refused})"
            : state == "poweredOn" ? $"did not shut down within {seconds} s"
            : $"is {state} (a guest shutdown needs a running guest)";
        if (!forcePowerOff)
        {
            throw new InvalidOperationException(
                $"VM {name} {why}; it is still {state}. Shut it down yourself, raise the shutdown timeout, or pass --force-poweroff to power it off (like pulling the plug)");
        }

        log.Warn($"VM {name} {why}: powering it off (--force-poweroff)");
        await PowerOffAsync(vim, vm, ct).ConfigureAwait(false);
        state = (await ReadAsync(vim, vm, ct).ConfigureAwait(false)).PowerState;
        log.Info($"VM {name} is {state}");
        return state;
    }

    private static async Task<(string Name, string PowerState)> ReadAsync(VimClient vim, MoRef vm, CancellationToken ct)
    {
        var objects = await vim.RetrieveObjectsAsync([vm], [new("VirtualMachine", ["name", "runtime.powerState"])], ct).ConfigureAwait(false);
        var o = objects.FirstOrDefault(x => x.Obj == vm) ?? throw new FileNotFoundException($"no VM with id {vm.Value}");
        return (o.Properties.GetValueOrDefault("name")?.Value ?? vm.Value, o.Properties.GetValueOrDefault("runtime.powerState")?.Value ?? "unknown");
    }

    private static async Task<string> NameOfAsync(VimClient vim, MoRef vm, CancellationToken ct)
    {
        try
        {
            return (await ReadAsync(vim, vm, ct).ConfigureAwait(false)).Name;
        }
        catch (Exception ex) when (ex is VimFaultException or FileNotFoundException or HttpRequestException)
        {
            return vm.Value;
        }
    }

    /// <summary>Polls a Task's <c>info</c> until it is success or error; returns the state, the fault type and its message.</summary>
    private static async Task<(string State, string? Fault, string? Message)> WaitForTaskAsync(VimClient vim, MoRef task, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + MaxTaskWait;
        var delay = FirstPoll / 2;
        while (true)
        {
            var objects = await vim.RetrieveObjectsAsync([task], [new("Task", ["info.state", "info.error"])], ct).ConfigureAwait(false);
            var p = objects.FirstOrDefault()?.Properties;
            var state = p?.GetValueOrDefault("info.state")?.Value ?? "unknown";
            if (state is "success" or "error")
            {
                var error = p?.GetValueOrDefault("info.error");
                var fault = error?.Element(V + "fault");
                var type = fault?.Attribute(VimClient.Xsi + "type")?.Value;
                return (state, type?[(type.IndexOf(':', StringComparison.Ordinal) + 1)..], (string?)error?.Element(V + "localizedMessage"));
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"task {task.Value} is still {state} after {MaxTaskWait.TotalMinutes} minutes");
            }

            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxPoll.Ticks));
        }
    }
}
