using System.Diagnostics;
using System.Runtime.InteropServices;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Access;

/// <summary>Creating the handle and launching the appliance: KVM when it works, else TCG.</summary>
public sealed partial class GuestfsSession
{
    /// <summary>
    /// Creates the handle, adds the disks and launches the appliance, choosing KVM or TCG as
    /// described on <see cref="ApplianceAccelerator"/>. Every decision goes to <paramref name="log"/>.
    /// </summary>
    public static GuestfsSession Launch(IReadOnlyList<ApplianceDisk> disks, ApplianceAccelerator accel, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(disks);
        if (disks.Count == 0)
        {
            throw new ArgumentException("no disks to launch the appliance with", nameof(disks));
        }

        foreach (var d in disks)
        {
            if (!File.Exists(d.Path))
            {
                throw new FileNotFoundException($"disk image {d.Path} does not exist", d.Path);
            }
        }

        var envSettings = Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND_SETTINGS") ?? "";
        var envForcesTcg = envSettings.Split(':').Contains("force_tcg");
        bool tryKvm;
        if (accel == ApplianceAccelerator.Tcg)
        {
            log.Info("appliance: TCG requested (software emulation)");
            tryKvm = false;
        }
        else if (envForcesTcg && accel == ApplianceAccelerator.Auto)
        {
            log.Info("appliance: LIBGUESTFS_BACKEND_SETTINGS contains force_tcg: using TCG (software emulation)");
            tryKvm = false;
        }
        else
        {
            var (usable, reason) = KvmProbe.Check();
            if (usable || accel == ApplianceAccelerator.Kvm)
            {
                tryKvm = true;
                log.Info(usable ? "appliance: /dev/kvm works, launching with KVM" : $"appliance: KVM requested although {reason}; trying it");
            }
            else
            {
                log.Info($"appliance: KVM is not usable ({reason}); falling back to TCG (software emulation, slower)");
                tryKvm = false;
            }
        }

        if (tryKvm)
        {
            var sw = Stopwatch.StartNew();
            var g = CreateHandle(disks, envSettings, "force_kvm");
            if (NativeMethods.Launch(g) == 0)
            {
                log.Info($"appliance: launched with KVM in {sw.Elapsed.TotalSeconds:F1} s");
                return new GuestfsSession(g, disks, "kvm", sw.Elapsed);
            }

            var err = LastError(g);
            g.Dispose();
            log.Info($"appliance: launch with KVM failed after {sw.Elapsed.TotalSeconds:F1} s ({err}); falling back to TCG (software emulation)");
        }

        var sw2 = Stopwatch.StartNew();
        var h = CreateHandle(disks, envSettings, "force_tcg");
        if (NativeMethods.Launch(h) != 0)
        {
            var err = LastError(h);
            h.Dispose();
            throw new GuestfsException($"libguestfs appliance launch failed: {err} (run libguestfs-test-tool for details)");
        }

        log.Info($"appliance: launched with TCG in {sw2.Elapsed.TotalSeconds:F1} s (kernel option {TcgKernelOptions}: TCG translates code per virtual address, so unrandomised mappings let program starts reuse it)");
        return new GuestfsSession(h, disks, "tcg", sw2.Elapsed);
    }

    /// <summary>
    /// Appliance kernel options under TCG. <c>norandmaps</c> turns off address-space randomisation inside
    /// the appliance: QEMU's TCG keeps translated code keyed by virtual address, so with randomised
    /// mappings every program start translates ld.so, libc and the program again. Without it a guest
    /// program starts about 4x faster and an initramfs rebuild takes 19 s instead of 49 s (measured,
    /// bench/RESULTS.md). The appliance is a throwaway VM running the guest's own programs on a copy of
    /// its disk; its boundary is QEMU, not ASLR. Not used with KVM, where it would gain nothing.
    /// </summary>
    public const string TcgKernelOptions = "norandmaps";

    /// <summary>vCPUs given to the appliance: the host's cores, 2 to 4.</summary>
    public static int ApplianceCpus => Math.Clamp(Environment.ProcessorCount, 2, 4);

    private static GuestfsHandle CreateHandle(IReadOnlyList<ApplianceDisk> disks, string envSettings, string accelSetting)
    {
        var g = NativeMethods.Create();
        if (g.IsInvalid)
        {
            g.Dispose();
            throw new GuestfsException("guestfs_create failed (is libguestfs0 installed?)");
        }

        try
        {
            NativeMethods.SetErrorHandler(g, IntPtr.Zero, IntPtr.Zero);
            var settings = envSettings.Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Where(s => s is not "force_tcg" and not "force_kvm").Append(accelSetting).ToArray();
            WithStringArray(settings, p => Check(g, NativeMethods.SetBackendSettings(g, p), "set_backend_settings"));

            // Two or more vCPUs: the guest's slow tools (initramfs rebuild, grub-mkconfig) run side by side (GuestJobRunner).
            Check(g, NativeMethods.SetSmp(g, ApplianceCpus), "set_smp");
            if (accelSetting == "force_tcg")
            {
                // Kept after anything the user put in LIBGUESTFS_APPEND (which libguestfs has already read into the handle).
                var append = (Marshal.PtrToStringUTF8(NativeMethods.GetAppend(g)) + " " + TcgKernelOptions).Trim();
                Check(g, NativeMethods.guestfs_set_append(g, append), "set_append");
            }

            foreach (var d in disks)
            {
                AddDrive(g, d);
            }

            return g;
        }
        catch
        {
            g.Dispose();
            throw;
        }
    }

    private static void AddDrive(GuestfsHandle g, ApplianceDisk d)
    {
        var fmt = Marshal.StringToCoTaskMemUTF8(d.Format);
        try
        {
            var opts = new NativeMethods.AddDriveOpts
            {
                Bitmask = NativeMethods.AddDriveReadonlyBit | NativeMethods.AddDriveFormatBit,
                Readonly = d.ReadOnly ? 1 : 0,
                Format = fmt,
            };
            if (NativeMethods.AddDriveOptsArgv(g, d.Path, ref opts) != 0)
            {
                throw new GuestfsException($"libguestfs add_drive {d.Path} (format {d.Format}): {LastError(g)}");
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(fmt);
        }
    }
}
