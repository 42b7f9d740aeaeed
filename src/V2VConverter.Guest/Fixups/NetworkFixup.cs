using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Network;

namespace V2VConverter.Guest.Fixups;

/// <summary>
/// Keeps each NIC's interface name on KVM: the name the guest's config uses (ens160...) is pinned to
/// the NIC's MAC (which the domain XML keeps) with a systemd .link file, or a udev rule when the
/// guest has no systemd-udevd.
/// </summary>
public sealed class NetworkFixup : IFileEditFixup
{
    public string Name => "network";

    public NicPinPlan? LastPlan { get; private set; }

    public FixupResult Apply(GuestFixupContext context)
    {
        var rec = new FixupRecorder(Name, context);
        var net = context.Inspection.Network;
        if (context.Nics.Count == 0)
        {
            if (net.Interfaces.Count > 0)
            {
                rec.Warn($"the guest config names {string.Join(", ", net.Interfaces.Select(i => i.Name ?? i.MacAddress))} but no source NIC was given; nothing pinned");
            }

            return rec.Finish();
        }

        var plan = NicPinPlanner.Plan(context.Nics, net.Interfaces);
        LastPlan = plan;
        foreach (var n in plan.Notes)
        {
            context.Log.Info($"{Name}: {n}");
        }

        foreach (var w in plan.Warnings)
        {
            rec.Warn(w);
        }

        if (plan.Pins.Count == 0)
        {
            return rec.Finish();
        }

        if (context.Inspection.HasSystemd)
        {
            foreach (var pin in plan.Pins)
            {
                var path = NamePinRenderer.LinkFilePath(pin.InterfaceName);
                rec.Create(path, NamePinRenderer.LinkFile(pin));
                rec.Action($"pinned {pin.InterfaceName} to {pin.MacAddress} (ethernet{pin.NicIndex}): {pin.Reason}");
                var back = context.Guest.ReadText(path);
                if (back.Contains($"MACAddress={pin.MacAddress}\n", StringComparison.Ordinal) && back.Contains($"Name={pin.InterfaceName}\n", StringComparison.Ordinal))
                {
                    rec.Verified($"{path} matches {pin.MacAddress} and names it {pin.InterfaceName}");
                }
                else
                {
                    rec.Warn($"{path} did not read back as written");
                }
            }
        }
        else
        {
            rec.Create(NamePinRenderer.UdevRulePath, NamePinRenderer.UdevRules(plan.Pins));
            rec.Action($"pinned {string.Join(", ", plan.Pins.Select(p => $"{p.InterfaceName}={p.MacAddress}"))} with a udev rule (no systemd-udevd in the guest)");
        }

        return rec.Finish();
    }
}
