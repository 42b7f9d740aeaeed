namespace V2VConverter.Pipeline.Batch.Concerns;

/// <summary>
/// The stable ids of the concerns (kebab-case). They are data: written in the YAML plan and in <c>--json</c>, and
/// matched when the user accepts a blocker, so a code never changes once released.
/// </summary>
public static class ConcernCodes
{
    public const string PoweredOn = "powered-on";
    public const string Snapshots = "snapshots";
    public const string IndependentDisk = "independent-disk";
    public const string RdmDisk = "rdm-disk";
    public const string SharedBus = "shared-bus";
    public const string Passthrough = "passthrough";
    public const string Vtpm = "vtpm";
    public const string Encrypted = "encrypted";
    public const string GuestOs = "guest-os";
    public const string DuplicateTarget = "duplicate-target";
    public const string TargetExists = "target-exists";
    public const string NetworkMissing = "network-missing";
    public const string PoolMissing = "pool-missing";
    public const string Space = "space";
    public const string InvalidName = "invalid-name";
    public const string UefiNoOvmf = "uefi-no-ovmf";
    public const string Cbt = "cbt";
}
