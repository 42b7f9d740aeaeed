using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;

namespace V2VConverter.Pipeline.Tests.Batch.Concerns;

/// <summary>Facts of a plain VM that raises no concern, to change one field per test.</summary>
internal static class ConcernFixtures
{
    internal const long GiB = 1L << 30;

    internal static readonly GuestOs Linux = new("rhel9-64", GuestFamily.Linux, "rhel", "9", GuestArchitecture.X86_64, true, "Red Hat Enterprise Linux 9");

    internal static BatchDiskFacts Disk(string key = "scsi0:0", long capacity = 10 * GiB) =>
        new(key, $"[ds1] web/{key.Replace(':', '_')}.vmdk", "ds1", capacity, capacity / 2, 0, DiskMode.Persistent, null, null);

    internal static BatchVmFacts Vm(string name = "web01") => new()
    {
        Name = name,
        Folder = "/dc/vm",
        Host = "esx1",
        PowerState = "poweredOff",
        Guest = Linux,
        Disks = [Disk()],
        Nics = [new BatchNicFacts(0, "VM Network", "00:50:56:00:00:01", "vmxnet3")],
    };

    internal static BatchVmChoices Choices(string target = "web01", long outputBytes = 5 * GiB, string pool = "default") =>
        new(target, ["network:default"], [pool], outputBytes, false, false);

    internal static BatchTargetFacts Target(string mode = "libvirt") => new()
    {
        OutputMode = mode,
        Storage = "default",
        FreeBytes = 100 * GiB,
        Networks = new HashSet<string> { "default" },
        Bridges = new HashSet<string> { "br0" },
        Pools = new HashSet<string> { "default" },
        Domains = new HashSet<string> { "old-vm" },
        Ovmf = true,
        OvmfSecureBoot = true,
    };

    /// <summary>What every rule says about one VM.</summary>
    internal static IReadOnlyList<BatchConcern> Check(BatchVmFacts vm, BatchVmChoices? choices = null, BatchTargetFacts? target = null) =>
        ConcernRules.Evaluate([(vm, choices ?? Choices())], target ?? Target())[0];

    /// <summary>The one concern of that code (fails when there are none or several).</summary>
    internal static BatchConcern Single(IReadOnlyList<BatchConcern> concerns, string code) =>
        Assert.Single(concerns, c => c.Code == code);
}
