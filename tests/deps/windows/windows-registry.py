#!/usr/bin/env python3
"""Writes what tests/deps/setup.d/windows-fixture.sh merges into a phony Windows guest built by
../shared/fixtures/make-windows-guest.sh, and the fixture.json that tests assert against.

  windows-registry.py reg  DIR        DIR = the cache's <variant>/ (layout.env, <variant>.vmx):
                                      writes DIR/hives/ext/{system,software}.reg (and hiber.reg for win10)
  windows-registry.py json DIR NAME   writes DIR/fixture.json for NAME (a base variant, win10-hiber
                                      or win10-bitlocker; the derived ones read win10's data)

The registry describes, on ControlSet001 (SYSTEM\\Select\\Current = 1 in the corpus hive):
the .vmx's NIC as Windows records it (class key, Enum instance with UINumber = the .vmx
pciSlotNumber, Network\\...\\Connection, a static Tcpip interface), a removed vmxnet3 adapter
with DHCP that has no NIC in the .vmx, HiberbootEnabled (win10), a VMware Tools Run entry and
the vmmouse class filter. Every value here is also written to fixture.json.
"""
import json
import os
import sys

NET_CLASS = "{4d36e972-e325-11ce-bfc1-08002be10318}"
NET_CLASS_UPPER = NET_CLASS.upper()
MOUSE_CLASS = "{4d36e96f-e325-11ce-bfc1-08002be10318}"
SYSTEM = r"HKEY_LOCAL_MACHINE\SYSTEM"
SOFTWARE = r"HKEY_LOCAL_MACHINE\SOFTWARE"
CS = SYSTEM + r"\ControlSet001"
RUN = SOFTWARE + r"\Microsoft\Windows\CurrentVersion\Run"
VM3D_NAME = "VMware VM3DService Process"
VM3D_VALUE = '"C:\\Windows\\system32\\vm3dservice.exe" -u'
STATIC = {
    "enableDhcp": False,
    "ipAddresses": ["192.168.50.10", "192.168.50.11"],
    "subnetMasks": ["255.255.255.0", "255.255.255.0"],
    "defaultGateways": ["192.168.50.1"],
    "defaultGatewayMetrics": ["0"],
    "nameServers": ["192.168.50.2", "1.1.1.1"],
}
NICS = {  # .vmx virtualDev -> how Windows names and drives it
    "e1000e": dict(desc="Intel(R) 82574L Gigabit Network Connection", service="e1iexpress",
                   match="pci\\ven_8086&dev_10d3&subsys_07d015ad",
                   hwid="PCI\\VEN_8086&DEV_10D3&SUBSYS_07D015AD&REV_00"),
    "e1000": dict(desc="Intel(R) PRO/1000 MT Network Connection", service="E1G60",
                  match="pci\\ven_8086&dev_100f",
                  hwid="PCI\\VEN_8086&DEV_100F&SUBSYS_075015AD&REV_01"),
}
STALE = dict(model="vmxnet3", desc="vmxnet3 Ethernet Adapter", service="vmxnet3ndis6",
             match="pci\\ven_15ad&dev_07b0&subsys_07b015ad",
             hwid="PCI\\VEN_15AD&DEV_07B0&SUBSYS_07B015AD&REV_01", classKey="0011", uiNumber=224,
             location="PCI bus 19, device 0, function 0", dhcpIPAddress="192.168.60.23")


def read_env(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def read_vmx(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                out[k.strip().lower()] = v.strip().strip('"')
    return out


def s(v):
    return 'str(1):"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dword(v):
    return "dword:%08x" % v


def multi(*items):
    data = "".join(i + "\0" for i in items) + "\0"
    return "hex(7):" + ",".join("%02x" % b for b in data.encode("utf-16-le"))


def key(name, values):
    return [(name, values)]


def render(keys, hive_prefix):
    """.reg text for hivexregedit --merge, which creates a key only under an existing parent: every
    missing ancestor below HIVE_PREFIX comes first as an empty key (merging keeps existing values)."""
    out, seen = [], set()
    for name, values in keys:
        parts = name[len(hive_prefix) + 1:].split("\\")
        for i in range(1, len(parts)):
            parent = hive_prefix + "\\" + "\\".join(parts[:i])
            if parent not in seen:
                seen.add(parent)
                out.append("[" + parent + "]\n")
        seen.add(name)
        out.append("\n".join(["[" + name + "]"] + ['"%s"=%s' % (k, v) for k, v in values]) + "\n")
    return "\n".join(out)


def facts(d):
    """Everything about one base variant's NICs, from its layout.env and .vmx."""
    layout = read_env(os.path.join(d, "layout.env"))
    variant = layout["variant"]
    vmx = read_vmx(os.path.join(d, variant + ".vmx"))
    model = vmx["ethernet0.virtualdev"]
    if model not in NICS:
        raise SystemExit("windows-registry: no Windows NIC data for ethernet0.virtualDev = " + model)
    nic = dict(NICS[model])
    mac = vmx["ethernet0.address"].lower()
    machex = mac.replace(":", "").upper()
    slot = int(vmx["ethernet0.pcislotnumber"])
    if model == "e1000e":  # e1000e exposes a serial number derived from the MAC
        instance = nic["hwid"] + "\\" + machex[:6] + "FFFF" + machex[6:] + "00"
    else:
        instance = nic["hwid"] + "\\4&3B8D2C4E&0&0088"
    xp = variant == "winxp-32"
    nic.update(vmxName="ethernet0", model=model, mac=mac, pciSlotNumber=slot, uiNumber=slot,
               guid="{8A2F64C1-3D5E-4B7A-9C10-" + machex + "}", classKey="0007",
               enumPath=instance,
               location="PCI bus 11, device 0, function 0",
               connectionName="Local Area Connection" if xp else "Ethernet0", **{"static": STATIC})
    stale = dict(STALE)
    stale.update(guid="{1D7C3E92-5B4A-4F68-8E21-" + machex[:8] + "B0B0}",
                 enumPath=STALE["hwid"] + "\\FF565000" + machex[6:] + "B0",
                 connectionName="Local Area Connection 2" if xp else "Ethernet1", enableDhcp=True)
    return layout, vmx, nic, stale


def nic_keys(a, enabled_static):
    out = key(CS + "\\Control\\Class\\" + NET_CLASS + "\\" + a["classKey"], [
        ("DriverDesc", s(a["desc"])), ("NetCfgInstanceId", s(a["guid"])),
        ("MatchingDeviceId", s(a["match"])), ("ComponentId", s(a["match"])),
        ("ProviderName", s("Intel" if a["service"] != "vmxnet3ndis6" else "VMware, Inc.")),
        ("Characteristics", dword(0x84))])
    hw = a["hwid"]
    parts = hw.split("&")
    out += key(CS + "\\Enum\\" + a["enumPath"], [
        ("DeviceDesc", s(a["desc"])), ("Driver", s(NET_CLASS + "\\" + a["classKey"])),
        ("Service", s(a["service"])), ("Class", s("Net")), ("ClassGUID", s(NET_CLASS)),
        ("UINumber", dword(a["uiNumber"])), ("LocationInformation", s(a["location"])),
        ("HardwareID", multi(hw, "&".join(parts[:3]), "&".join(parts[:2]) + "&CC_020000",
                             "&".join(parts[:2]) + "&CC_0200")),
        ("CompatibleIDs", multi("&".join(parts[:2]) + "&REV_" + parts[3][4:], "PCI\\CC_020000", "PCI\\CC_0200")),
        ("ConfigFlags", dword(0))])
    out += key(CS + "\\Control\\Network\\" + NET_CLASS_UPPER + "\\" + a["guid"] + "\\Connection", [
        ("Name", s(a["connectionName"])), ("PnPInstanceId", s(a["enumPath"])), ("MediaSubType", dword(1))])
    iface = CS + "\\Services\\Tcpip\\Parameters\\Interfaces\\" + a["guid"]
    if enabled_static:
        st = a["static"]
        out += key(iface, [
            ("EnableDHCP", dword(0)), ("IPAddress", multi(*st["ipAddresses"])),
            ("SubnetMask", multi(*st["subnetMasks"])), ("DefaultGateway", multi(*st["defaultGateways"])),
            ("DefaultGatewayMetric", multi(*st["defaultGatewayMetrics"])),
            ("NameServer", s(",".join(st["nameServers"])))])
    else:
        out += key(iface, [("EnableDHCP", dword(1)), ("DhcpIPAddress", s(a["dhcpIPAddress"])),
                           ("DhcpSubnetMask", s("255.255.255.0")), ("NameServer", s(""))])
    return out


def power_key(value):
    return key(CS + "\\Control\\Session Manager\\Power", [("HiberbootEnabled", dword(value))])


def write_reg(d):
    layout, _, nic, stale = facts(d)
    variant = layout["variant"]
    ext = os.path.join(d, "hives", "ext")
    os.makedirs(ext, exist_ok=True)
    system = nic_keys(nic, True) + nic_keys(stale, False)
    system += key(CS + "\\Control\\Class\\" + MOUSE_CLASS, [
        ("Class", s("Mouse")), ("UpperFilters", multi("vmmouse", "mouclass"))])
    if variant == "win10":
        system += power_key(0)
        with open(os.path.join(ext, "hiber.reg"), "w", encoding="utf-8") as f:
            f.write(render(power_key(1), SYSTEM))
    with open(os.path.join(ext, "system.reg"), "w", encoding="utf-8") as f:
        f.write(render(system, SYSTEM))
    software = key(RUN, [(VM3D_NAME, s(VM3D_VALUE))]) if variant in ("win10", "win2k22") else []
    with open(os.path.join(ext, "software.reg"), "w", encoding="utf-8") as f:
        f.write(render(software, SOFTWARE))


def write_json(d, name):
    base = name.split("-hiber")[0].split("-bitlocker")[0]
    base_dir = os.path.join(os.path.dirname(d.rstrip("/")), base)
    layout, vmx, nic, stale = facts(base_dir)
    stale = {k: v for k, v in stale.items() if k not in ("hwid",)}
    nic = {k: v for k, v in nic.items() if k not in ("hwid",)}
    disk = os.path.join(d, name + ".vmdk")
    doc = {
        "variant": name, "base": base,
        "vmx": os.path.join(d, name + ".vmx"),
        "raw": os.path.join(d, name + ".raw"), "vmdk": disk,
        "firmware": layout["firmware"], "arch": layout["arch"], "sysroot": layout["sysroot"],
        "cPartition": layout["c_part"], "controlSet": "ControlSet001",
        "guestOS": vmx["guestos"],
        "nic": nic, "staleNics": [stale],
        "hiberbootEnabled": 1 if name == "win10-hiber" else (0 if base == "win10" else None),
        "hiberfil": name == "win10-hiber",
        "runEntries": {VM3D_NAME: VM3D_VALUE} if base in ("win10", "win2k22") else {},
        "mouseUpperFilters": ["vmmouse", "mouclass"],
        "bitlocker": None,
    }
    if name == "win10-bitlocker":
        doc["raw"] = os.path.join(base_dir, "win10.raw")
        doc["vmdk"] = os.path.join(d, "win10.vmdk")
        doc["bitlocker"] = {"vmdk": os.path.join(d, "bitlocker-data.vmdk"),
                            "raw": os.path.join(d, "bitlocker-data.raw"),
                            "vmxDevice": "scsi0:1", "partition": 1, "partitionStartSector": 2048,
                            "signature": "-FVE-FS-", "signatureOffset": 3}
    with open(os.path.join(d, "fixture.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "reg":
        write_reg(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "json":
        write_json(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
