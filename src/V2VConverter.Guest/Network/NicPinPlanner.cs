using System.Globalization;
using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Network;

/// <summary>
/// A source NIC as the guest fixups need it: its VMX index (ethernetN), its MAC (kept in the
/// domain XML), and the VMX <c>ethernetN.pciSlotNumber</c> when known (VMware's predictable
/// name is <c>ens{slot}</c>: slot 160 gives ens160).
/// </summary>
public sealed record NicInfo(int Index, string MacAddress, int? PciSlotNumber = null, string? SourceModel = null)
{
    /// <summary>From the source model; null when the VMX carries no MAC (nothing to pin to). Pass <c>ethernetN.pciSlotNumber</c> when the VMX has it.</summary>
    public static NicInfo? FromModel(V2VConverter.Model.Vm.NetworkAdapter nic, int? pciSlotNumber = null)
    {
        ArgumentNullException.ThrowIfNull(nic);
        return nic.MacAddress is null ? null : new NicInfo(nic.Index, nic.MacAddress.ToLowerInvariant(), pciSlotNumber, nic.VirtualDev);
    }
}

/// <summary>One decision: NIC <see cref="NicIndex"/> (MAC) must keep the name <see cref="InterfaceName"/>.</summary>
public sealed record NicPin(int NicIndex, string MacAddress, string InterfaceName, string Reason);

public sealed record NicPinPlan(IReadOnlyList<NicPin> Pins, IReadOnlyList<string> Notes, IReadOnlyList<string> Warnings);

/// <summary>
/// Decides which interface name each source NIC must keep, from the names the guest config uses.
/// Rules, in order: the config names the NIC's MAC; the name is VMware's <c>ens{pciSlotNumber}</c>
/// for that NIC; <c>ethN</c> goes to ethernetN; remaining names go to remaining NICs in slot/index order.
/// </summary>
public static partial class NicPinPlanner
{
    public static NicPinPlan Plan(IReadOnlyList<NicInfo> nics, IReadOnlyList<ConfiguredInterface> configured)
    {
        var pins = new List<NicPin>();
        var notes = new List<string>();
        var warnings = new List<string>();
        var freeNics = nics.OrderBy(n => n.Index).ToList();
        var names = new List<string>();
        foreach (var c in configured)
        {
            if (c.Name is not null && !names.Contains(c.Name))
            {
                names.Add(c.Name);
            }
        }

        void Pin(NicInfo nic, string name, string reason)
        {
            pins.Add(new NicPin(nic.Index, nic.MacAddress.ToLowerInvariant(), name, reason));
            freeNics.Remove(nic);
            names.Remove(name);
        }

        // 1. the config ties a name to a MAC that a source NIC has.
        foreach (var c in configured.Where(c => c.MacAddress is not null))
        {
            var nic = freeNics.FirstOrDefault(n => string.Equals(n.MacAddress, c.MacAddress, StringComparison.OrdinalIgnoreCase));
            if (nic is null)
            {
                if (!nics.Any(n => string.Equals(n.MacAddress, c.MacAddress, StringComparison.OrdinalIgnoreCase)))
                {
                    warnings.Add($"{c.File}: config for {c.Name ?? "(any name)"} matches MAC {c.MacAddress}, which no source NIC has; it will not apply on KVM either");
                }

                continue;
            }

            if (c.Name is null)
            {
                notes.Add($"{c.File}: binds by MAC {c.MacAddress} (ethernet{nic.Index}); the MAC is kept, so it applies on KVM as is");
                freeNics.Remove(nic);
                continue;
            }

            Pin(nic, c.Name, $"{c.File} ({c.System}) names this MAC");
        }

        // 2. VMware predictable names: ens{pciSlotNumber}.
        foreach (var nic in freeNics.ToList())
        {
            if (nic.PciSlotNumber is int slot)
            {
                var name = "ens" + slot.ToString(CultureInfo.InvariantCulture);
                if (names.Contains(name))
                {
                    Pin(nic, name, $"ethernet{nic.Index}.pciSlotNumber = {slot} gives {name} on VMware");
                }
            }
        }

        // 3. ethN on ethernetN.
        foreach (var nic in freeNics.ToList())
        {
            var name = "eth" + nic.Index.ToString(CultureInfo.InvariantCulture);
            if (names.Contains(name))
            {
                Pin(nic, name, $"{name} is ethernet{nic.Index}");
            }
        }

        // 4. what is left, by order.
        foreach (var name in names.OrderBy(SortKey).ThenBy(n => n, StringComparer.Ordinal).ToList())
        {
            if (freeNics.Count == 0)
            {
                warnings.Add($"the guest config names {name}, but every source NIC is already pinned; {name} will not exist on KVM");
                continue;
            }

            var nic = freeNics[0];
            Pin(nic, name, $"assigned by order: {name} is the next configured name, ethernet{nic.Index} the next NIC");
            notes.Add($"{name} -> ethernet{nic.Index} ({nic.MacAddress}) was assigned by order, not proven by a MAC or slot number");
        }

        foreach (var nic in freeNics)
        {
            notes.Add($"ethernet{nic.Index} ({nic.MacAddress}) has no config in the guest; its name is left to the guest");
        }

        return new NicPinPlan(pins, notes, warnings);
    }

    private static long SortKey(string name)
    {
        var m = DigitsRegex().Match(name);
        return m.Success && long.TryParse(m.Value, CultureInfo.InvariantCulture, out var v) ? v : long.MaxValue;
    }

    [GeneratedRegex(@"[0-9]+", RegexOptions.CultureInvariant)]
    private static partial Regex DigitsRegex();
}

/// <summary>Renders the files that pin an interface name to a MAC.</summary>
public static class NamePinRenderer
{
    public static string LinkFilePath(string name) => $"/etc/systemd/network/10-v2v-{name}.link";

    public const string UdevRulePath = "/etc/udev/rules.d/70-v2v-net-names.rules";

    /// <summary>A systemd.link(5) file: udev applies it to the NIC with this MAC when it appears.</summary>
    public static string LinkFile(NicPin pin) =>
        $"# Written by v2v-converter: keep the name {pin.InterfaceName} for source NIC ethernet{pin.NicIndex} on KVM\n" +
        $"# ({pin.Reason})\n" +
        "[Match]\n" +
        $"MACAddress={pin.MacAddress}\n" +
        "\n" +
        "[Link]\n" +
        $"Name={pin.InterfaceName}\n";

    /// <summary>A udev rule file for guests without systemd-udevd's .link support.</summary>
    public static string UdevRules(IEnumerable<NicPin> pins) =>
        "# Written by v2v-converter: keep the VMware interface names on KVM\n" +
        string.Concat(pins.Select(p => $"SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{{address}}==\"{p.MacAddress}\", NAME=\"{p.InterfaceName}\"\n"));
}
