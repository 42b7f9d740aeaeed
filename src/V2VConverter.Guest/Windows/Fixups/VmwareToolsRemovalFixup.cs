using V2VConverter.Guest.Fixups;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.Fixups;

/// <summary>
/// Removes VMware Tools offline, so that nothing depends on the MSI uninstall (which often fails with 1603 once the VMware
/// devices are gone): every VMware service and driver is disabled (Start=4); a VMware filter driver is taken out of every
/// device class's UpperFilters/LowerFilters, and only together with disabling its service, so no device is left with a
/// filter that will not start or a filter whose service is gone; the Tools' Run entries are removed. The MSI uninstall
/// still runs at first boot (<see cref="FirstBootFixup"/>) as a best effort that may fail without harm.
/// </summary>
public sealed class VmwareToolsRemovalFixup : IWindowsFixup
{
    /// <summary>SERVICE_DISABLED.</summary>
    public const uint Disabled = 4;

    private const string RunKey = @"Microsoft\Windows\CurrentVersion\Run";
    private const string Wow64RunKey = @"WOW6432Node\Microsoft\Windows\CurrentVersion\Run";

    public string Name => "vmware-tools";

    public FixupResult Apply(WindowsFixupContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var r = new WindowsFixupRecorder(Name, c);
        var services = c.Inspection.VmwareServices.ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var s in c.Inspection.VmwareServices)
        {
            if (s.Start != Disabled)
            {
                c.System.SetValue($@"{c.ControlSet}\Services\{s.Name}", "Start", RegValue.Dword(Disabled), $"VMware {(s.Type is 1 or 2 ? "driver" : "service")} {s.Name}: its device or host does not exist on KVM");
            }
        }

        // Filters: a VMware filter goes only with its (disabled) service; a filter whose service is not one we disable stays.
        var classes = $@"{c.ControlSet}\Control\Class";
        foreach (var cls in c.System.Hive.SubkeyNames(classes))
        {
            foreach (var list in new[] { "UpperFilters", "LowerFilters" })
            {
                var key = $@"{classes}\{cls}";
                var value = c.System.Hive.GetValue(key, list);
                var filters = value?.AsMultiSz();
                if (filters is null || !filters.Any(services.ContainsKey))
                {
                    continue;
                }

                var kept = filters.Where(f => !services.ContainsKey(f)).ToArray();
                var removed = string.Join(", ", filters.Where(services.ContainsKey));
                if (kept.Length == 0)
                {
                    c.System.DeleteValue(key, list, $"the VMware filter {removed} is disabled with its service");
                }
                else
                {
                    c.System.SetValue(key, list, RegValue.MultiSz(kept), $"the VMware filter {removed} is disabled with its service");
                }
            }
        }

        foreach (var run in new[] { RunKey, Wow64RunKey })
        {
            foreach (var (name, value) in c.Software.Hive.Values(run))
            {
                var command = value.AsString();
                if (command is not null && IsVmwareCommand(command))
                {
                    c.Software.DeleteValue(run, name, "a VMware Tools program started at logon");
                }
            }
        }

        foreach (var tools in c.Inspection.VmwareTools)
        {
            if (tools.ProductCode is { } code)
            {
                c.ToolsProductCodes.Add(code);
                r.Action($"{tools.DisplayName} {tools.Version}: MSI uninstall ({code}) staged for first boot, as a best effort after the offline removal");
            }
            else
            {
                r.Warn($"{tools.DisplayName} {tools.Version}: no MSI product code in {tools.UninstallKey}; only the offline removal is done");
            }
        }

        if (c.Inspection.VmwareServices.Count == 0 && c.Inspection.VmwareTools.Count == 0)
        {
            r.Verified("no VMware Tools and no VMware service found");
        }

        return r.Finish();
    }

    /// <summary>A Run command that starts a VMware Tools program (vmtoolsd -n vmusr, vm3dservice, VMwareTray...).</summary>
    public static bool IsVmwareCommand(string command) =>
        command.Contains(@"\VMware\", StringComparison.OrdinalIgnoreCase)
        || command.Contains("vm3dservice", StringComparison.OrdinalIgnoreCase)
        || command.Contains("vmtoolsd", StringComparison.OrdinalIgnoreCase)
        || command.Contains("VMwareTray", StringComparison.OrdinalIgnoreCase)
        || command.Contains("VMwareUser", StringComparison.OrdinalIgnoreCase);
}
