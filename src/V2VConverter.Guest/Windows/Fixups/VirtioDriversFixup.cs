using V2VConverter.Guest.Fixups;
using System.Formats.Tar;
using System.Security.Cryptography;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.Guest.Windows.Registry;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.Fixups;

/// <summary>
/// Injects the virtio-win drivers offline: picks the set for this Windows (version, client or server, architecture),
/// copies it to %SystemRoot%\Drivers\VirtIO (added to DevicePath, so Plug and Play finds netkvm, balloon, vioser and viorng
/// when the devices appear), and makes the boot disk driver boot-critical: its service key, its .sys in System32\drivers,
/// and the binding of the virtio PCI IDs (legacy and modern) to it: CriticalDeviceDatabase before Windows 8, the
/// DriverDatabase (DriverInfFiles, DeviceIds, DriverPackages) from Windows 8 on. No driver set: compatibility devices, with a warning.
/// </summary>
public sealed class VirtioDriversFixup : IWindowsFixup
{
    /// <summary>Class GUID of storage controllers (SCSIAdapter).</summary>
    public const string ScsiAdapterClassGuid = "{4D36E97B-E325-11CE-BFC1-08002BE10318}";

    /// <summary>Bound on one driver file copied from the tree (the largest virtio-win binaries are a few MiB).</summary>
    public const long MaxDriverFileBytes = 64L << 20;

    private const string IsoMountPoint = "/v2v-virtio-win.tmp";

    public string Name => "virtio-drivers";

    public FixupResult Apply(WindowsFixupContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var r = new WindowsFixupRecorder(Name, c);
        var release = c.Inspection.Release;
        if (c.VirtioWin is null)
        {
            r.Warn($"no virtio-win drivers (give --virtio-win DIR|ISO, or set VIRTIO_WIN; {VirtioWinLocation.DefaultDirectory} does not exist): the guest keeps compatibility devices (SATA disk, e1000 NIC)");
            return r.Finish(FixupStatus.NotNeeded);
        }

        var iso = c.VirtioWin.IsIso ? MountIso(c) : null;
        try
        {
            var files = iso is null ? ListDirectory(c.VirtioWin.Path) : FilesOnly(c.Session.Find(iso));
            var set = VirtioWinCatalog.Select(files, release, out var reason);
            if (set is null)
            {
                r.Warn($"{c.VirtioWin.Path} has no virtio drivers for {release} ({reason}): the guest keeps compatibility devices (SATA disk, e1000 NIC)");
                return r.Finish(FixupStatus.NotNeeded);
            }

            r.Action($"driver set {set.OsFolder} from {c.VirtioWin}: {set.Why}");
            foreach (var w in set.Warnings)
            {
                r.Warn(w);
            }

            c.Drivers = set;
            Stage(c, r, set, iso);
            var boot = c.Options.BlockDriver == WindowsBlockDriver.VirtioScsi ? "vioscsi" : "viostor";
            if (set.Has(boot))
            {
                MakeBootCritical(c, r, set, boot, iso);
                c.BootDriver = boot;
                c.VirtioDevices.Add(boot == "vioscsi" ? "scsi" : "block");
            }
            else
            {
                r.Warn($"the {set.OsFolder} driver set has no {boot}: the disks stay on SATA");
            }

            foreach (var (driver, device) in new[] { ("netkvm", "net"), ("balloon", "balloon"), ("vioser", "serial"), ("viorng", "rng") })
            {
                if (set.Has(driver))
                {
                    c.VirtioDevices.Add(device);
                }
            }

            r.Action($"staged for first boot: {string.Join(", ", set.Drivers.Order(StringComparer.Ordinal))}{(c.GuestAgentMsiWindows is null ? "" : " and the QEMU guest agent")}");
            return r.Finish();
        }
        finally
        {
            if (iso is not null)
            {
                c.Session.Unmount(iso);
                c.Session.RemoveDirectory(iso);
            }
        }
    }

    /// <summary>Every file below a virtio-win directory, relative and '/'-separated.</summary>
    private static List<string> ListDirectory(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>find(1)'s list without the directories (an entry that is the parent of another).</summary>
    private static List<string> FilesOnly(IReadOnlyList<string> entries)
    {
        var parents = entries.Select(e => e.Contains('/', StringComparison.Ordinal) ? e[..e.LastIndexOf('/')] : null).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return entries.Where(e => !parents.Contains(e)).ToList();
    }

    /// <summary>Mounts the ISO (the last drive of the appliance) read-only on a temporary folder of C:, read there and removed after.</summary>
    private static string MountIso(WindowsFixupContext c)
    {
        var device = c.Session.ListDevices()[^1];
        c.Session.MakeDirectories(IsoMountPoint);
        c.Session.Mount(device, IsoMountPoint, readOnly: true);
        c.Log.Info($"virtio-drivers: {c.VirtioWin!.Path} ({device} in the appliance) mounted read-only on {IsoMountPoint}");
        return IsoMountPoint;
    }

    /// <summary>Copies the set flat into %SystemRoot%\Drivers\VirtIO: one tar for a directory, copies inside the appliance for an ISO.</summary>
    private static void Stage(WindowsFixupContext c, WindowsFixupRecorder r, VirtioDriverSet set, string? iso)
    {
        var dest = c.Session.ResolveCase(c.Inspection.SystemRoot + "/Drivers") + "/VirtIO";
        c.Session.MakeDirectories(dest);
        var files = set.Files.Select(f => (f.RelativePath, f.FileName)).ToList();
        if (set.GuestAgentMsi is { } msi)
        {
            files.Add((msi, msi[(msi.LastIndexOf('/') + 1)..]));
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var unique = new List<(string Source, string Name)>();
        foreach (var (rel, name) in files)
        {
            if (seen.TryGetValue(name, out var first))
            {
                r.Warn($"{rel}: a file named {name} is already staged from {first}; kept the first");
                continue;
            }

            seen[name] = rel;
            unique.Add((rel, name));
        }

        if (iso is null)
        {
            var tar = Path.Combine(Path.GetTempPath(), $"v2v-virtio-{Guid.NewGuid():N}.tar");
            try
            {
                using (var stream = File.Create(tar))
                using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false))
                {
                    foreach (var (rel, name) in unique)
                    {
                        var local = Path.Combine(c.VirtioWin!.Path, rel);
                        var size = new FileInfo(local).Length;
                        if (size > MaxDriverFileBytes)
                        {
                            throw new InvalidDataException($"{local}: {size} bytes, over the {MaxDriverFileBytes >> 20} MiB a driver file may have");
                        }

                        writer.WriteEntry(local, name);
                    }
                }

                c.Session.TarIn(tar, dest);
            }
            finally
            {
                File.Delete(tar);
            }
        }
        else
        {
            foreach (var (rel, name) in unique)
            {
                c.Session.Copy($"{iso}/{rel}", $"{dest}/{name}");
            }
        }

        c.DriverFolderWindows = WindowsFixupContext.WindowsPath(dest);
        if (set.GuestAgentMsi is { } agent)
        {
            c.GuestAgentMsiWindows = c.DriverFolderWindows + "\\" + agent[(agent.LastIndexOf('/') + 1)..];
        }

        r.File(dest, created: true, $"{unique.Count} files of the {set.OsFolder} virtio-win drivers");
        var devicePath = c.Software.Hive.GetValue(@"Microsoft\Windows\CurrentVersion", "DevicePath")?.AsString() ?? @"%SystemRoot%\inf";
        const string entry = @"%SystemRoot%\Drivers\VirtIO";
        if (!devicePath.Split(';').Contains(entry, StringComparer.OrdinalIgnoreCase))
        {
            c.Software.SetValue(@"Microsoft\Windows\CurrentVersion", "DevicePath", RegValue.ExpandSz(devicePath + ";" + entry), "Plug and Play looks for drivers in the staged virtio-win folder");
        }
    }

    /// <summary>The boot driver: service key, .sys in System32\drivers, and the binding of its PCI IDs.</summary>
    private static void MakeBootCritical(WindowsFixupContext c, WindowsFixupRecorder r, VirtioDriverSet set, string driver, string? iso)
    {
        var infFile = set.Files.FirstOrDefault(f => f.Driver.Equals(driver, StringComparison.OrdinalIgnoreCase) && f.FileName.Equals(driver + ".inf", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidDataException($"{c.VirtioWin!.Path}: the {set.OsFolder} set has no {driver}.inf");
        var staged = c.Session.ResolveCase(c.Inspection.SystemRoot + "/Drivers") + "/VirtIO";
        var infBytes = c.Session.ReadAllBytes($"{staged}/{infFile.FileName}", InfFile.MaxBytes);
        var inf = InfFile.Parse(infBytes, $"{c.VirtioWin!.Path}/{infFile.RelativePath}");
        var arch = c.Inspection.Arch;
        var ids = inf.HardwareIds(arch);
        if (ids.Count == 0)
        {
            throw new InvalidDataException($"{infFile.RelativePath}: no hardware IDs for {arch}");
        }

        var service = inf.Services.FirstOrDefault(s => s.Name.Equals(driver, StringComparison.OrdinalIgnoreCase)) ?? inf.Services.FirstOrDefault();
        var serviceName = service?.Name ?? driver;
        var classGuid = inf.ClassGuid ?? ScsiAdapterClassGuid;

        // The .sys where the boot loader looks for boot drivers.
        var drivers = c.Session.ResolveCase(c.Inspection.SystemRoot + "/System32/drivers");
        var sys = $"{drivers}/{driver}.sys";
        var existed = c.Session.Exists(sys);
        c.Session.Copy($"{staged}/{driver}.sys", sys);
        r.File(sys, !existed, $"the boot disk driver from {set.OsFolder}");

        var key = $@"{c.ControlSet}\Services\{serviceName}";
        var why = $"{driver} is the boot disk driver: started by the boot loader";
        c.System.SetValue(key, "Type", RegValue.Dword((uint)(service?.ServiceType ?? 1)), why);
        c.System.SetValue(key, "Start", RegValue.Dword(0), why);
        c.System.SetValue(key, "ErrorControl", RegValue.Dword((uint)(service?.ErrorControl ?? 1)), why);
        c.System.SetValue(key, "Group", RegValue.Sz(service?.LoadOrderGroup ?? "SCSI miniport"), why);
        c.System.SetValue(key, "ImagePath", RegValue.ExpandSz($@"system32\drivers\{driver}.sys"), why);

        var pciIds = ids.Where(i => i.StartsWith(@"PCI\", StringComparison.OrdinalIgnoreCase)).Select(i => i.ToUpperInvariant()).Distinct().ToList();
        if (c.Inspection.HasDriverDatabase)
        {
            DriverDatabase(c, r, inf, infBytes, infFile, set, driver, serviceName, pciIds, staged);
        }
        else
        {
            foreach (var id in Generalized(pciIds))
            {
                var cdd = $@"{c.ControlSet}\Control\CriticalDeviceDatabase\{id.Replace('\\', '#').ToLowerInvariant()}";
                c.System.SetValue(cdd, "Service", RegValue.Sz(serviceName), $"binds {id} to {serviceName} at boot (CriticalDeviceDatabase, before Windows 8)");
                c.System.SetValue(cdd, "ClassGUID", RegValue.Sz(classGuid.ToUpperInvariant()), $"binds {id} to {serviceName} at boot (CriticalDeviceDatabase, before Windows 8)");
            }
        }

        r.Action($"{driver} made boot-critical for {string.Join(", ", pciIds)} ({(c.Inspection.HasDriverDatabase ? "DriverDatabase" : "CriticalDeviceDatabase")})");
    }

    /// <summary>
    /// Windows 8 and later bind devices to drivers through the driver store: the INF published as oemN.inf, its package in
    /// DriverStore\FileRepository, and DriverDatabase keys naming the package, its configuration (the INF's install section)
    /// and the device IDs it serves.
    /// </summary>
    private static void DriverDatabase(WindowsFixupContext c, WindowsFixupRecorder r, InfFile inf, byte[] infBytes, VirtioDriverFile infFile, VirtioDriverSet set, string driver, string serviceName, IReadOnlyList<string> pciIds, string staged)
    {
        var archTag = c.Inspection.Arch == "x86_64" ? "amd64" : "x86";
        var package = $"{driver}.inf_{archTag}_{Convert.ToHexStringLower(SHA256.HashData(infBytes))[..16]}";
        var infDir = c.Session.ResolveCase(c.Inspection.SystemRoot + "/INF");
        var oem = NextOemInf(c.Session, infDir);
        c.Session.Copy($"{staged}/{infFile.FileName}", $"{infDir}/{oem}");
        r.File($"{infDir}/{oem}", created: true, $"{infFile.FileName} published as {oem}");
        var repo = c.Session.ResolveCase(c.Inspection.SystemRoot + "/System32/DriverStore/FileRepository") + "/" + package;
        c.Session.MakeDirectories(repo);
        foreach (var f in set.Files.Where(f => f.Driver.Equals(driver, StringComparison.OrdinalIgnoreCase)))
        {
            c.Session.Copy($"{staged}/{f.FileName}", $"{repo}/{f.FileName}");
        }

        r.File(repo, created: true, $"the {driver} driver package");
        var why = $"binds the virtio {(driver == "vioscsi" ? "SCSI" : "block")} device to {serviceName} at boot (DriverDatabase, Windows 8 and later)";
        var configuration = inf.InstallSection(pciIds[0], c.Inspection.Arch) ?? driver + "_inst";
        c.System.SetValue($@"DriverDatabase\DriverInfFiles\{oem}", "", RegValue.MultiSz(package), why);
        c.System.SetValue($@"DriverDatabase\DriverInfFiles\{oem}", "Active", RegValue.Sz(package), why);
        c.System.SetValue($@"DriverDatabase\DriverInfFiles\{oem}", "Configurations", RegValue.MultiSz(configuration), why);
        foreach (var id in pciIds)
        {
            c.System.SetValue($@"DriverDatabase\DeviceIds\{id}", oem, RegValue.Binary([0x01, 0xff, 0x00, 0x00]), why);
        }

        var pkg = $@"DriverDatabase\DriverPackages\{package}";
        c.System.SetValue(pkg, "", RegValue.Sz(oem), why);
        c.System.SetValue(pkg, "InfName", RegValue.Sz(infFile.FileName), why);
        c.System.SetValue(pkg, "Provider", RegValue.Sz(inf.Provider ?? "Red Hat, Inc."), why);
        if (inf.CatalogFile is { } cat)
        {
            c.System.SetValue(pkg, "Catalog", RegValue.Sz(cat), why);
        }

        c.System.SetValue($@"{pkg}\Configurations\{configuration}", "ConfigFlags", RegValue.Dword(0), why);
        c.System.SetValue($@"{pkg}\Configurations\{configuration}", "Service", RegValue.Sz(serviceName), why);
        foreach (var id in pciIds)
        {
            c.System.SetValue($@"{pkg}\Descriptors\{id}", "Configuration", RegValue.Sz(configuration), why);
        }
    }

    /// <summary>The first oemN.inf name not taken in %SystemRoot%\INF.</summary>
    private static string NextOemInf(GuestfsSession s, string infDir)
    {
        var taken = s.Glob(infDir + "/oem*.inf").Select(p => p[(p.LastIndexOf('/') + 1)..].ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        for (var n = 0; ; n++)
        {
            if (!taken.Contains($"oem{n}.inf"))
            {
                return $"oem{n}.inf";
            }
        }
    }

    /// <summary>Each ID and its more general forms (without REV, without SUBSYS), as Windows matches them, in that order.</summary>
    public static IReadOnlyList<string> Generalized(IEnumerable<string> ids)
    {
        var result = new List<string>();
        foreach (var id in ids)
        {
            var parts = id.Split('&');
            for (var n = parts.Length; n >= 2; n--)
            {
                var g = string.Join("&", parts.Take(n));
                if (!result.Contains(g, StringComparer.OrdinalIgnoreCase))
                {
                    result.Add(g);
                }
            }
        }

        return result;
    }
}
