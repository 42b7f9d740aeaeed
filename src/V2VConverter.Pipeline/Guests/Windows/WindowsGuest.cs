using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Windows;
using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Guests.Windows;

/// <summary>Windows guests: virtio drivers injected offline, VMware Tools removed, static IPs kept, first boot through local Group Policy (<see cref="WindowsGuestConverter"/>).</summary>
public sealed class WindowsGuest : IGuestConverter
{
    public string Name => "windows";

    public bool Handles(OsIdentity os) => WindowsGuestConverter.Handles(os);

    public GuestConversionOutcome Convert(GuestConversionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = WindowsGuestConverter.ConvertIdentified(input.Session, input.Os, input.Nics, input.Options, input.Log);
        return new GuestConversionOutcome(result.Report, FactsOf(result, Name));
    }

    /// <summary>Virtio devices only for the drivers actually injected: no boot driver, no virtio disk; no netkvm, no virtio NIC.</summary>
    public static GuestFacts FactsOf(WindowsConversionResult result, string converter)
    {
        ArgumentNullException.ThrowIfNull(result);
        var devices = result.VirtioDevices;
        var boot = devices.Contains("block") || devices.Contains("scsi");
        return new GuestFacts
        {
            Converter = converter,
            Converted = true,
            VirtioDriversInstalled = boot,
            VirtioDevices = devices,
            GuestAgent = result.GuestAgent,
            Reason = boot
                ? $"virtio drivers injected: {result.BootDriver} boot-critical; staged {string.Join(", ", devices.Order(StringComparer.Ordinal))}"
                : "no virtio drivers for this Windows: compatibility devices",
        };
    }
}
