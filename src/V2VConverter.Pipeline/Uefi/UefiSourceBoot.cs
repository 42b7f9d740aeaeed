using Serilog;
using V2VConverter.Formats.Nvram;
using V2VConverter.Guest;
using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Pipeline.Contracts;

namespace V2VConverter.Pipeline.Uefi;

/// <summary>
/// The UEFI facts the guest stage needs about a source VM: secure boot, and the boot entries of VMware's NVRAM (read from
/// beside the .vmx or fetched from the datastore). An NVRAM that is missing or unreadable is not an error: the guest's EFI
/// system partition is then searched for its loader, and the reason is logged and reported.
/// </summary>
public static class UefiSourceBoot
{
    /// <summary>Null for a BIOS plan.</summary>
    public static UefiFirmware? Read(FirmwarePlan firmware, IFirmwareStore? nvram, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(firmware);
        ArgumentNullException.ThrowIfNull(log);
        if (!firmware.Efi)
        {
            return null;
        }

        if (nvram is null)
        {
            return Without("the source has no NVRAM file to read", log, firmware.SecureBoot);
        }

        try
        {
            var bytes = nvram.Read(VmwareNvram.MaxFileBytes, ct);
            if (bytes.Length == 0)
            {
                return Without($"{nvram.Origin} is empty (a VM never powered on has no boot entries)", log, firmware.SecureBoot);
            }

            var state = VmwareNvram.ReadBootState(bytes, nvram.Origin);
            var order = state.Ordered;
            log.Info($"uefi: {nvram.Origin}: {state.Entries.Count} boot entries, BootOrder {string.Join(",", state.BootOrder.Select(n => n.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)))}");
            foreach (var e in order)
            {
                log.Info($"uefi:   {e.Name} \"{e.Description}\"{(e.Active ? "" : " (inactive)")} {e.FilePath ?? "(a device, no file)"}{(e.Partition is { } p ? $" on partition {p}" : "")}");
            }

            return new UefiFirmware(firmware.SecureBoot, state, null);
        }
        catch (FileNotFoundException)
        {
            return Without($"{nvram.Origin} does not exist", log, firmware.SecureBoot);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or HttpRequestException)
        {
            log.Warn($"uefi: VMware's NVRAM could not be read, so the boot loader is looked for on the EFI system partition: {e.Message}");
            return new UefiFirmware(firmware.SecureBoot, null, e.Message);
        }
    }

    private static UefiFirmware Without(string why, ILogger log, bool secureBoot)
    {
        log.Info($"uefi: no boot entries from VMware's NVRAM ({why}); the boot loader is looked for on the EFI system partition");
        return new UefiFirmware(secureBoot, null, why);
    }
}
