namespace V2VConverter.Model.Vm;

/// <summary>
/// What the guest stage found and did, handed back to the planner: the final domain is planned from
/// these facts, not from the guest OS catalog alone.
/// </summary>
public sealed record GuestFacts
{
    /// <summary>The converter that ran ("linux"), or "none" when no converter handled the guest.</summary>
    public required string Converter { get; init; }

    /// <summary>The guest was converted (inspection succeeded and a converter ran).</summary>
    public bool Converted { get; init; }

    /// <summary>The guest can boot and reach the network on virtio devices (drivers present or installed).</summary>
    public bool VirtioDriversInstalled { get; init; }

    /// <summary>The guest was left as it was: plan compatibility devices (SATA disks, e1000 NICs).</summary>
    public bool CompatibilityMode => !VirtioDriversInstalled;

    /// <summary>
    /// The virtio devices the guest has drivers for, when it is not all of them (Windows: what was injected): "block" or
    /// "scsi", "net", "balloon", "serial", "rng". Null: every virtio device (a Linux guest's kernel has them all).
    /// </summary>
    public IReadOnlySet<string>? VirtioDevices { get; init; }

    /// <summary>The QEMU guest agent is (or will be, at first boot) installed: plan its channel.</summary>
    public bool? GuestAgent { get; init; }

    /// <summary>Why, in one line (for the decision log and the report).</summary>
    public required string Reason { get; init; }
}
