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
    public static GuestfsSession Launch(IReadOnlyList<ApplianceDisk> disks, ApplianceAccelerator accel, ILogger log) =>
        Launch(disks, new ApplianceLaunch { Accelerator = accel }, log);

    /// <summary>
    /// Creates the handle, adds the disks and launches the appliance. A KVM launch that has not finished by
    /// <see cref="ApplianceLaunch.KvmDeadline"/> is stopped (its QEMU killed) and retried with TCG; that hang is
    /// remembered for the rest of the boot (<see cref="KvmHangMemory"/>). Cancelling <paramref name="ct"/> stops
    /// a launch in progress and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static GuestfsSession Launch(IReadOnlyList<ApplianceDisk> disks, ApplianceLaunch launch, ILogger log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(disks);
        ArgumentNullException.ThrowIfNull(launch);
        if (disks.Count == 0)
        {
            throw new ArgumentException("no disks to launch the appliance with", nameof(disks));
        }

        foreach (var d in disks)
        {
            if (d.NbdSocket is { } socket)
            {
                if (!Path.Exists(socket))
                {
                    throw new FileNotFoundException($"NBD socket {socket} for disk {d.Path} does not exist", socket);
                }
            }
            else if (!File.Exists(d.Path))
            {
                throw new FileNotFoundException($"disk image {d.Path} does not exist", d.Path);
            }
        }

        var envSettings = Environment.GetEnvironmentVariable("LIBGUESTFS_BACKEND_SETTINGS") ?? "";
        var ownHypervisor = launch.Hypervisor is not null || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LIBGUESTFS_HV"));
        var hangMemory = launch.HangMemoryPath ?? KvmHangMemory.DefaultPath;
        if (ChooseKvm(launch, envSettings, ownHypervisor, hangMemory, log))
        {
            var sw = Stopwatch.StartNew();
            var g = CreateHandle(disks, envSettings, "force_kvm", launch.Hypervisor, out var token);
            var (outcome, err) = LaunchWithin(g, token, launch.KvmDeadline, log, ct);
            switch (outcome)
            {
                case LaunchOutcome.Launched:
                    log.Info($"appliance: launched with KVM in {sw.Elapsed.TotalSeconds:F1} s");
                    return new GuestfsSession(g, disks, "kvm", sw.Elapsed);
                case LaunchOutcome.TimedOut:
                    var what = $"the KVM launch did not finish within {launch.KvmDeadline.TotalSeconds:F0} s";
                    log.Warn($"appliance: {what}; stopped it and retrying with TCG (software emulation). "
                        + "KVM on this host starts guests that do not boot (nested virtualization?); --kvm-launch-timeout sets the deadline");
                    if (!ownHypervisor)
                    {
                        KvmHangMemory.Remember(hangMemory, what, log);
                    }

                    break;
                default:
                    log.Info($"appliance: launch with KVM failed after {sw.Elapsed.TotalSeconds:F1} s ({err}); falling back to TCG (software emulation)");
                    break;
            }
        }

        var sw2 = Stopwatch.StartNew();
        var h = CreateHandle(disks, envSettings, "force_tcg", launch.Hypervisor, out var tcgToken);
        var (tcg, tcgErr) = LaunchWithin(h, tcgToken, Timeout.InfiniteTimeSpan, log, ct);
        if (tcg != LaunchOutcome.Launched)
        {
            throw new GuestfsException($"libguestfs appliance launch failed: {tcgErr} (run libguestfs-test-tool for details)");
        }

        log.Info($"appliance: launched with TCG in {sw2.Elapsed.TotalSeconds:F1} s (kernel option {TcgKernelOptions}: TCG translates code per virtual address, so unrandomised mappings let program starts reuse it)");
        return new GuestfsSession(h, disks, "tcg", sw2.Elapsed);
    }

    /// <summary>Whether to try KVM first: the accelerator asked for, LIBGUESTFS_BACKEND_SETTINGS, a hang remembered on this boot, then the probe.</summary>
    internal static bool ChooseKvm(ApplianceLaunch launch, string envSettings, bool ownHypervisor, string hangMemory, ILogger log)
    {
        if (launch.Accelerator == ApplianceAccelerator.Tcg)
        {
            log.Info("appliance: TCG requested (software emulation)");
            return false;
        }

        if (envSettings.Split(':').Contains("force_tcg") && launch.Accelerator == ApplianceAccelerator.Auto)
        {
            log.Info("appliance: LIBGUESTFS_BACKEND_SETTINGS contains force_tcg: using TCG (software emulation)");
            return false;
        }

        if (launch.Accelerator == ApplianceAccelerator.Auto && !ownHypervisor && KvmHangMemory.Recalled(hangMemory) is { } hung)
        {
            log.Info($"appliance: a KVM launch hung earlier on this boot ({hung}; remembered in {hangMemory}); using TCG (software emulation)");
            return false;
        }

        var (usable, reason) = KvmProbe.Check();
        if (usable || launch.Accelerator == ApplianceAccelerator.Kvm)
        {
            log.Info(usable ? "appliance: /dev/kvm works, launching with KVM" : $"appliance: KVM requested although {reason}; trying it");
            return true;
        }

        log.Info($"appliance: KVM is not usable ({reason}); falling back to TCG (software emulation, slower)");
        return false;
    }

    private enum LaunchOutcome
    {
        Launched,
        Failed,
        TimedOut,
    }

    /// <summary>How long a launch may take to return once it is being stopped, before its handle is abandoned.</summary>
    private static readonly TimeSpan ReturnAfterKill = TimeSpan.FromSeconds(30);

    /// <summary>How often a launch being stopped is searched for its QEMU.</summary>
    private static readonly TimeSpan KillPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Handles whose guestfs_launch never returned: kept referenced (never closed), since closing a handle while
    /// another thread launches it is undefined in libguestfs.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentBag<GuestfsHandle> Abandoned = [];

    /// <summary>
    /// Runs guestfs_launch on its own thread and waits for it, the deadline or the cancellation. On the deadline or a
    /// cancellation the appliance's QEMU (found by the token on its command line) is killed, which makes the launch
    /// return with an error; the handle is then closed. Anything but <see cref="LaunchOutcome.Launched"/> has closed
    /// <paramref name="g"/>; a cancellation throws once the launch is stopped.
    /// </summary>
    private static (LaunchOutcome Outcome, string Error) LaunchWithin(GuestfsHandle g, string token, TimeSpan deadline, ILogger log, CancellationToken ct)
    {
        var launch = Task.Factory.StartNew(() => NativeMethods.Launch(g), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var finished = WaitHandle.WaitAny([((IAsyncResult)launch).AsyncWaitHandle, ct.WaitHandle], deadline) == 0;
        if (finished)
        {
            if (launch.Result == 0)
            {
                return (LaunchOutcome.Launched, "");
            }

            var err = LastError(g);
            g.Dispose();
            return (LaunchOutcome.Failed, err);
        }

        // At the deadline libguestfs may still be querying QEMU's capabilities, so the appliance's QEMU may start
        // only afterwards: keep looking for it (and killing it) until the launch gives up.
        var reason = ct.IsCancellationRequested ? "cancelled" : "deadline";
        var killed = new List<int>();
        var stop = Stopwatch.StartNew();
        do
        {
            var qemu = ApplianceProcesses.Find(token);
            ApplianceProcesses.Kill(qemu);
            killed.AddRange(qemu.Except(killed));
        }
        while (!launch.Wait(KillPollInterval) && stop.Elapsed < ReturnAfterKill);

        log.Detail($"appliance: launch stopped ({reason}); killed QEMU pid {(killed.Count == 0 ? "none" : string.Join(", ", killed))}");
        if (!launch.IsCompleted)
        {
            log.Detail($"appliance: guestfs_launch has not returned {ReturnAfterKill.TotalSeconds:F0} s after the {reason}; leaving its handle open");
            Abandoned.Add(g);
            ct.ThrowIfCancellationRequested();
            return (LaunchOutcome.TimedOut, reason);
        }

        g.Dispose();
        ct.ThrowIfCancellationRequested();
        return (LaunchOutcome.TimedOut, reason);
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

    /// <summary>
    /// Creates a handle with the disks. <paramref name="token"/> is put on the appliance's kernel command line
    /// (<c>v2v.launch=TOKEN</c>, which the kernel ignores), so this launch's QEMU can be told from any other.
    /// </summary>
    private static GuestfsHandle CreateHandle(IReadOnlyList<ApplianceDisk> disks, string envSettings, string accelSetting, string? hypervisor, out string token)
    {
        token = ApplianceProcesses.NewToken();
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
            if (hypervisor is not null)
            {
                Check(g, NativeMethods.guestfs_set_hv(g, hypervisor), "set_hv");
            }

            // Kept after anything the user put in LIBGUESTFS_APPEND (which libguestfs has already read into the handle).
            var append = Marshal.PtrToStringUTF8(NativeMethods.GetAppend(g)) + (accelSetting == "force_tcg" ? " " + TcgKernelOptions : "") + " " + token;
            Check(g, NativeMethods.guestfs_set_append(g, append.Trim()), "set_append");

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

    /// <summary>
    /// Adds one disk: a local file with its format, or an NBD export (protocol "nbd", server "unix:SOCKET", the
    /// default export "", format raw). libguestfs copies every string before it returns.
    /// </summary>
    private static void AddDrive(GuestfsHandle g, ApplianceDisk d)
    {
        var fmt = Marshal.StringToCoTaskMemUTF8(d.Format);
        var protocol = IntPtr.Zero;
        var server = IntPtr.Zero;
        var servers = IntPtr.Zero;
        try
        {
            var opts = new NativeMethods.AddDriveOpts
            {
                Bitmask = NativeMethods.AddDriveReadonlyBit | NativeMethods.AddDriveFormatBit,
                Readonly = d.ReadOnly ? 1 : 0,
                Format = fmt,
            };
            var filename = d.Path;
            if (d.NbdSocket is { } socket)
            {
                protocol = Marshal.StringToCoTaskMemUTF8("nbd");
                server = Marshal.StringToCoTaskMemUTF8("unix:" + socket);

                // char *const *server: a NULL-terminated array of strings.
                servers = Marshal.AllocCoTaskMem(2 * IntPtr.Size);
                Marshal.WriteIntPtr(servers, 0, server);
                Marshal.WriteIntPtr(servers, IntPtr.Size, IntPtr.Zero);
                opts.Bitmask |= NativeMethods.AddDriveProtocolBit | NativeMethods.AddDriveServerBit;
                opts.Protocol = protocol;
                opts.Server = servers;

                // For protocol nbd the "filename" is the export name: the default export.
                filename = "";
            }

            if (NativeMethods.AddDriveOptsArgv(g, filename, ref opts) != 0)
            {
                throw new GuestfsException($"libguestfs add_drive {d.Describe()} (format {d.Format}): {LastError(g)}");
            }
        }
        finally
        {
            Marshal.FreeCoTaskMem(fmt);
            Marshal.FreeCoTaskMem(protocol);
            Marshal.FreeCoTaskMem(server);
            Marshal.FreeCoTaskMem(servers);
        }
    }
}
