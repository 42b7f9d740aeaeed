using System.Text.RegularExpressions;
using V2VConverter.Formats.Vmx;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.Vm;

namespace V2VConverter.Sources.Vmx;

public static partial class VmxSource
{
    private const int MaxEthernet = 10;
    private const int MaxSerial = 4;
    private const int MaxParallel = 3;
    private const int MaxFloppy = 2;

    /// <summary>svga.vramSize when absent: 4 MiB, as VMware and libvirt assume.</summary>
    public const long DefaultVramKiB = 4096;

    private static List<NetworkAdapter> ReadNics(BuildContext ctx)
    {
        var doc = ctx.Doc;
        var result = new List<NetworkAdapter>();
        for (var i = 0; i < MaxEthernet; i++)
        {
            var key = $"ethernet{i}";
            if (!doc.GetBool($"{key}.present", false))
            {
                continue;
            }

            var addressTypeText = doc.GetNonEmpty($"{key}.addressType")?.ToLowerInvariant();
            var staticMac = doc.GetEntry($"{key}.address");
            var generatedMac = doc.GetEntry($"{key}.generatedAddress");
            var addressType = addressTypeText switch
            {
                "static" => MacAddressType.Static,
                "generated" => MacAddressType.Generated,
                "vpx" => MacAddressType.Vpx,
                null => staticMac is not null ? MacAddressType.Static : generatedMac is not null ? MacAddressType.Generated : MacAddressType.None,
                _ => throw doc.Invalid(doc.GetEntry($"{key}.addressType")!, "static, generated or vpx"),
            };
            var macEntry = addressType == MacAddressType.Static ? staticMac : generatedMac;
            string? mac = null;
            if (macEntry is not null && macEntry.Value.Trim().Length > 0)
            {
                mac = NormalizeMac(doc, macEntry);
            }
            else if (addressType != MacAddressType.None)
            {
                ctx.Log.Warn(
                    $"{key}: addressType {addressTypeText ?? "(none)"} but no {(addressType == MacAddressType.Static ? "address" : "generatedAddress")}; libvirt will generate a new MAC",
                    doc.Where($"{key}.present"));
                addressType = MacAddressType.None;
            }

            var connectionType = doc.GetNonEmpty($"{key}.connectionType")?.ToLowerInvariant() ?? "bridged";
            var networkName = doc.GetNonEmpty($"{key}.networkName");
            var portGroup = doc.GetNonEmpty($"{key}.dvs.portgroupId");
            if (networkName is null && portGroup is not null)
            {
                ctx.Log.Info($"{key} is on distributed port group {portGroup} with no networkName; mapping uses the port group key", doc.Where($"{key}.dvs.portgroupId"));
            }

            result.Add(new NetworkAdapter
            {
                Index = i,
                VirtualDev = (doc.GetNonEmpty($"{key}.virtualDev") ?? "vlance").ToLowerInvariant(),
                NetworkName = networkName,
                ConnectionType = connectionType,
                Vnet = doc.GetNonEmpty($"{key}.vnet"),
                PortGroupKey = portGroup,
                SwitchId = doc.GetNonEmpty($"{key}.dvs.switchId"),
                AddressType = addressType,
                MacAddress = mac,
                StartConnected = doc.GetBool($"{key}.startConnected", true),
                PciSlotNumber = doc.Contains($"{key}.pciSlotNumber") ? doc.GetInt32($"{key}.pciSlotNumber", -1, -1, 65535) is var slot and >= 0 ? slot : null : null,
            });
        }

        return result;
    }

    private static string NormalizeMac(VmxDocument doc, VmxEntry entry)
    {
        var v = entry.Value.Trim();
        if (!MacPattern().IsMatch(v))
        {
            throw doc.Invalid(entry, "a MAC address (xx:xx:xx:xx:xx:xx)");
        }

        return v.Replace('-', ':').ToLowerInvariant();
    }

    [GeneratedRegex(@"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")]
    private static partial Regex MacPattern();

    private static CharDeviceKind ParseCharKind(string? fileType) => (fileType ?? "").ToLowerInvariant() switch
    {
        "device" => CharDeviceKind.HostDevice,
        "file" => CharDeviceKind.File,
        "pipe" => CharDeviceKind.Pipe,
        "network" => CharDeviceKind.Network,
        "thinprint" => CharDeviceKind.Thinprint,
        _ => CharDeviceKind.Unknown,
    };

    private static List<SerialPort> ReadSerialPorts(BuildContext ctx)
    {
        var doc = ctx.Doc;
        var result = new List<SerialPort>();
        for (var i = 0; i < MaxSerial; i++)
        {
            var key = $"serial{i}";
            if (!doc.GetBool($"{key}.present", false))
            {
                continue;
            }

            var fileType = doc.GetNonEmpty($"{key}.fileType");
            var kind = ParseCharKind(fileType);
            if (kind == CharDeviceKind.Unknown)
            {
                ctx.Log.Warn($"{key}.fileType = \"{fileType}\" is unknown; the port becomes a pty", doc.Where($"{key}.fileType"));
            }

            var target = doc.GetNonEmpty($"{key}.fileName");
            if (kind == CharDeviceKind.Network)
            {
                target ??= doc.GetNonEmpty($"{key}.vspc");
            }

            result.Add(new SerialPort(
                i,
                kind,
                target,
                doc.GetNonEmpty($"{key}.pipe.endPoint")?.ToLowerInvariant(),
                doc.GetNonEmpty($"{key}.network.endPoint")?.ToLowerInvariant(),
                doc.GetBool($"{key}.yieldOnMsrRead", false),
                doc.GetBool($"{key}.startConnected", true)));
        }

        return result;
    }

    private static List<ParallelPort> ReadParallelPorts(BuildContext ctx)
    {
        var doc = ctx.Doc;
        var result = new List<ParallelPort>();
        for (var i = 0; i < MaxParallel; i++)
        {
            var key = $"parallel{i}";
            if (!doc.GetBool($"{key}.present", false))
            {
                continue;
            }

            var fileType = doc.GetNonEmpty($"{key}.fileType");
            var kind = ParseCharKind(fileType);
            if (kind is not (CharDeviceKind.HostDevice or CharDeviceKind.File))
            {
                ctx.Log.Warn($"{key}.fileType = \"{fileType}\" is not supported for parallel ports; the port becomes a pty", doc.Where($"{key}.fileType"));
            }

            result.Add(new ParallelPort(i, kind, doc.GetNonEmpty($"{key}.fileName"), doc.GetBool($"{key}.startConnected", true)));
        }

        return result;
    }

    private static Video ReadVideo(VmxDocument doc)
    {
        // svga.vramSize is in bytes.
        var vramBytes = doc.GetInt64("svga.vramSize", DefaultVramKiB * 1024, 0, 4L * 1024 * 1024 * 1024);
        var displays = doc.GetInt32("svga.numDisplays", 1, 1, 16);
        return new Video("svga", Math.Max(1, vramBytes / 1024), displays, doc.GetBool("mks.enable3d", false));
    }

    private static List<UsbController> ReadUsb(VmxDocument doc)
    {
        var result = new List<UsbController>();
        if (doc.GetBool("usb.present", false))
        {
            result.Add(new UsbController(UsbKind.Uhci));
        }

        if (doc.GetBool("ehci.present", false))
        {
            result.Add(new UsbController(UsbKind.Ehci));
        }

        if (doc.GetBool("usb_xhci.present", false))
        {
            result.Add(new UsbController(UsbKind.Xhci));
        }

        return result;
    }
}
