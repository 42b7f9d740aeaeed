namespace V2VConverter.Model.Diagnostics;

/// <summary>
/// The one table of process exit codes. README.md documents the same table; the CLI tests assert it.
/// </summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>Bad input (malformed VMX/VMDK, missing file, bad credentials) or a failed conversion.</summary>
    public const int Failure = 1;

    /// <summary>Usage error: unknown command or option, missing argument.</summary>
    public const int Usage = 2;

    /// <summary>The guest has a blocker (hibernation, BitLocker, a pending reboot, dynamic disks): nothing was converted; fix it in the guest or use --force.</summary>
    public const int Blocked = 3;

    /// <summary>Interrupted by the user (Ctrl+C); nothing is left under a final name.</summary>
    public const int Interrupted = 130;

    /// <summary>Hung up (SIGHUP): 128 + 1; handled like Ctrl+C.</summary>
    public const int HungUp = 129;

    /// <summary>Terminated (SIGTERM, as from kill or systemd): 128 + 15; handled like Ctrl+C.</summary>
    public const int Terminated = 143;
}
