namespace V2VConverter.Guest.Access;

/// <summary>How to launch the appliance: the accelerator, the KVM deadline, and (for tests) the QEMU to run.</summary>
public sealed record ApplianceLaunch
{
    /// <summary>The deadline of a KVM launch when none is given: a KVM boot takes 2–5 s, a TCG one about 15 s.</summary>
    public static readonly TimeSpan DefaultKvmDeadline = TimeSpan.FromSeconds(60);

    /// <summary>The longest deadline accepted (libguestfs's own launch timeout is 20 minutes).</summary>
    public static readonly TimeSpan MaxKvmDeadline = TimeSpan.FromMinutes(20);

    public ApplianceAccelerator Accelerator { get; init; } = ApplianceAccelerator.Auto;

    /// <summary>
    /// How long a KVM launch may take before it is stopped and retried with TCG (a host whose /dev/kvm passes the
    /// probe but whose guests hang, as under some nested virtualization, otherwise waits libguestfs's 20 minutes).
    /// </summary>
    public TimeSpan KvmDeadline { get; init; } = DefaultKvmDeadline;

    /// <summary>libguestfs <c>set_hv</c>: the QEMU binary (or a wrapper) to run; null keeps libguestfs's choice (<c>LIBGUESTFS_HV</c>).</summary>
    public string? Hypervisor { get; init; }

    /// <summary>
    /// Where a KVM launch that hit its deadline is remembered for the rest of this boot, so later launches go
    /// straight to TCG instead of waiting again; null for the default (<see cref="KvmHangMemory.DefaultPath"/>).
    /// Nothing is remembered for a launch through <see cref="Hypervisor"/> or <c>LIBGUESTFS_HV</c>: that hang
    /// says nothing about the host's KVM.
    /// </summary>
    public string? HangMemoryPath { get; init; }
}
