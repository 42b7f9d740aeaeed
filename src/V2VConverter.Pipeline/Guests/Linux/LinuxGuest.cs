using V2VConverter.Guest;
using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Inspection;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Guests.Linux;

/// <summary>Linux guests: fstab, bootloader, initramfs with virtio, VMware Tools, NIC names (<see cref="LinuxGuestConverter"/>).</summary>
public sealed class LinuxGuest : IGuestConverter
{
    public string Name => "linux";

    public bool Handles(OsIdentity os) => LinuxGuestConverter.Handles(os);

    public GuestConversionOutcome Convert(GuestConversionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var report = LinuxGuestConverter.ConvertIdentified(input.Session, input.Os, input.DeviceMap, input.Nics, input.Options, input.Log);
        return new GuestConversionOutcome(report, FactsOf(report, Name));
    }

    /// <summary>Virtio is planned only when the initramfs step did not fail: a guest without virtio_blk in its initramfs would not find its root.</summary>
    public static GuestFacts FactsOf(GuestConversionReport report, string converter)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.CompatibilityMode)
        {
            return new GuestFacts { Converter = converter, Converted = false, VirtioDriversInstalled = false, Reason = report.CompatibilityReason ?? "not converted" };
        }

        var initramfs = report.Fixups.FirstOrDefault(f => f.Name == "initramfs");
        if (initramfs is { Status: FixupStatus.Failed })
        {
            return new GuestFacts { Converter = converter, Converted = true, VirtioDriversInstalled = false, Reason = "the initramfs could not be rebuilt with virtio drivers" };
        }

        return new GuestFacts { Converter = converter, Converted = true, VirtioDriversInstalled = true, Reason = "virtio drivers in the initramfs of every kernel" };
    }
}
