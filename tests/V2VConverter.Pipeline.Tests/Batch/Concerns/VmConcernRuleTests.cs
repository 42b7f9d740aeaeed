using V2VConverter.Model.Vm;
using V2VConverter.Pipeline.Batch.Concerns;
using static V2VConverter.Pipeline.Tests.Batch.Concerns.ConcernFixtures;

namespace V2VConverter.Pipeline.Tests.Batch.Concerns;

/// <summary>Each per-VM rule on a facts record that triggers it, and the plain VM that triggers none.</summary>
public sealed class VmConcernRuleTests
{
    [Fact]
    public void A_plain_powered_off_vm_raises_nothing()
    {
        Assert.Empty(Check(Vm()));
    }

    [Theory]
    [InlineData("poweredOn", false, "powered on")]
    [InlineData("suspended", false, "suspended")]
    [InlineData(null, true, ".vmx.lck")]
    public void A_running_vm_is_a_blocker(string? state, bool locked, string said)
    {
        var c = Single(Check(Vm() with { PowerState = state, LockedByHypervisor = locked }), ConcernCodes.PoweredOn);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Contains("'web01'", c.Message, StringComparison.Ordinal);
        Assert.Contains(said, c.Message, StringComparison.Ordinal);
        Assert.Equal("shut it down, or run with --shutdown-source", c.Fix);
    }

    [Fact]
    public void A_running_vm_is_info_with_shutdown_source_and_a_warning_with_allow_running()
    {
        var on = Vm() with { PowerState = "poweredOn" };
        var shut = Single(Check(on, Choices() with { ShutdownSource = true, AllowRunning = true }), ConcernCodes.PoweredOn);
        Assert.Equal(ConcernSeverity.Info, shut.Severity);
        Assert.Contains("will be shut down", shut.Message, StringComparison.Ordinal);

        var running = Single(Check(on, Choices() with { AllowRunning = true }), ConcernCodes.PoweredOn);
        Assert.Equal(ConcernSeverity.Warning, running.Severity);
        Assert.Contains("not consistent", running.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshots_give_their_number_and_the_deltas_read_per_disk()
    {
        var vm = Vm() with
        {
            SnapshotCount = 3,
            Disks = [Disk("scsi0:0", 100 * GiB) with { SnapshotBytes = 2 * GiB }, Disk("scsi0:1", 100 * GiB) with { SnapshotBytes = GiB / 2 }],
        };
        var c = Single(Check(vm, Choices() with { DiskStorage = ["default", "default"] }), ConcernCodes.Snapshots);
        Assert.Equal(ConcernSeverity.Info, c.Severity);
        Assert.StartsWith("3 snapshots are flattened into the copy: 2.5 GiB of deltas read (scsi0:0 2 GiB, scsi0:1 512 MiB)", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshot_deltas_of_a_quarter_of_the_capacity_are_a_warning()
    {
        var vm = Vm() with { SnapshotCount = 1, Disks = [Disk("scsi0:0", 8 * GiB) with { SnapshotBytes = 2 * GiB }] };
        var c = Single(Check(vm), ConcernCodes.Snapshots);
        Assert.Equal(ConcernSeverity.Warning, c.Severity);
        Assert.StartsWith("1 snapshot is flattened", c.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DiskMode.IndependentPersistent, "independent-persistent")]
    [InlineData(DiskMode.IndependentNonpersistent, "independent-nonpersistent")]
    public void An_independent_disk_is_a_warning_naming_the_disk(DiskMode mode, string said)
    {
        var c = Single(Check(Vm() with { Disks = [Disk("scsi0:1") with { Mode = mode }] }), ConcernCodes.IndependentDisk);
        Assert.Equal(ConcernSeverity.Warning, c.Severity);
        Assert.Equal($"disk scsi0:1 ([ds1] web/scsi0_1.vmdk) is {said}: it is not in snapshots and is copied as it is", c.Message);
    }

    [Fact]
    public void An_rdm_disk_is_a_blocker_and_not_also_an_independent_disk()
    {
        var rdm = Disk("scsi0:2") with { RawDevice = "physicalMode", Mode = DiskMode.IndependentPersistent };
        var concerns = Check(Vm() with { Disks = [Disk(), rdm] }, Choices() with { DiskStorage = ["default", "default"] });
        var c = Single(concerns, ConcernCodes.RdmDisk);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Equal("disk scsi0:2 ([ds1] web/scsi0_2.vmdk) is a raw device mapping (physicalMode)", c.Message);
        Assert.Contains("Storage vMotion", c.Fix, StringComparison.Ordinal);
        Assert.DoesNotContain(concerns, x => x.Code == ConcernCodes.IndependentDisk);
    }

    [Fact]
    public void A_shared_bus_is_a_blocker_and_none_is_not()
    {
        var c = Single(Check(Vm() with { Disks = [Disk("scsi1:0") with { SharedBus = "physical" }] }), ConcernCodes.SharedBus);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Contains("disk scsi1:0", c.Message, StringComparison.Ordinal);
        Assert.Contains("physical bus sharing", c.Message, StringComparison.Ordinal);
        Assert.Contains("detach the shared disk", c.Fix, StringComparison.Ordinal);

        Assert.Empty(Check(Vm() with { Disks = [Disk() with { SharedBus = "none" }] }));
    }

    [Fact]
    public void Each_passthrough_device_is_a_warning()
    {
        var concerns = Check(Vm() with { Passthrough = ["pciPassthru0: vGPU grid_t4-2q", "pciPassthru1: 0000:3b:00.0"] });
        var list = concerns.Where(c => c.Code == ConcernCodes.Passthrough).ToList();
        Assert.Equal(2, list.Count);
        Assert.All(list, c => Assert.Equal(ConcernSeverity.Warning, c.Severity));
        Assert.Contains("pciPassthru0: vGPU grid_t4-2q", list[0].Message, StringComparison.Ordinal);
        Assert.Contains("dropped", list[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vtpm_is_a_warning_for_windows_and_info_for_linux()
    {
        var windows = new GuestOs("windows2019srv-64", GuestFamily.Windows, "windows", "2019", GuestArchitecture.X86_64, false, "Windows Server 2019");
        var w = Single(Check(Vm() with { Vtpm = true, Guest = windows }), ConcernCodes.Vtpm);
        Assert.Equal(ConcernSeverity.Warning, w.Severity);
        Assert.Contains("BitLocker", w.Message, StringComparison.Ordinal);
        Assert.Contains("suspend BitLocker", w.Fix, StringComparison.Ordinal);

        Assert.Equal(ConcernSeverity.Info, Single(Check(Vm() with { Vtpm = true }), ConcernCodes.Vtpm).Severity);
    }

    [Fact]
    public void An_encrypted_vm_is_a_blocker()
    {
        var c = Single(Check(Vm() with { Encrypted = true }), ConcernCodes.Encrypted);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Equal("decrypt the VM in vSphere first", c.Fix);
    }

    [Fact]
    public void A_guest_the_converter_cannot_convert_is_a_compatibility_mode_warning()
    {
        var xp = new GuestOs("winxppro", GuestFamily.Windows, "windows", "xp", GuestArchitecture.I686, false, "Windows XP") { Legacy = true };
        var bsd = new GuestOs("freebsd13-64", GuestFamily.Bsd, "freebsd", "13", GuestArchitecture.X86_64, false, "FreeBSD 13");
        foreach (var guest in new[] { xp, bsd, GuestOs.Unknown("otherGuest", GuestArchitecture.X86_64) })
        {
            var c = Single(Check(Vm() with { Guest = guest }), ConcernCodes.GuestOs);
            Assert.Equal(ConcernSeverity.Warning, c.Severity);
            Assert.Contains($"\"{guest.VmxId}\"", c.Message, StringComparison.Ordinal);
            Assert.Contains("compatibility mode: SATA disks, e1000 NICs", c.Message, StringComparison.Ordinal);
        }

        var win11 = new GuestOs("windows11-64", GuestFamily.Windows, "windows", "11", GuestArchitecture.X86_64, false, "Windows 11");
        Assert.Empty(Check(Vm() with { Guest = win11 }));
    }

    [Fact]
    public void A_target_that_already_exists_is_a_blocker()
    {
        var c = Single(Check(Vm(), Choices("old-vm")), ConcernCodes.TargetExists);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Equal("a domain named 'old-vm' is already defined on the target", c.Message);
    }

    [Fact]
    public void A_missing_network_or_bridge_is_a_blocker_naming_the_nic()
    {
        var vm = Vm() with { Nics = [new BatchNicFacts(0, "VM Network", null, "vmxnet3"), new BatchNicFacts(1, "DMZ", null, "e1000")] };
        var concerns = Check(vm, Choices() with { NicTargets = ["network:prod", "bridge:br9"] });
        var list = concerns.Where(c => c.Code == ConcernCodes.NetworkMissing).ToList();
        Assert.Equal(2, list.Count);
        Assert.All(list, c => Assert.Equal(ConcernSeverity.Blocker, c.Severity));
        Assert.Equal("NIC 0 (network 'VM Network') goes to libvirt network 'prod', which the target does not define (it has 'default')", list[0].Message);
        Assert.Equal("NIC 1 (network 'DMZ') goes to bridge 'br9', which the target host does not have (it has 'br0')", list[1].Message);

        Assert.Empty(Check(vm, Choices() with { NicTargets = ["network:default", "bridge:br0"] }));
        Assert.Empty(Check(vm, Choices() with { NicTargets = ["network:prod", "bridge:br9"] }, Target() with { Networks = null, Bridges = null }));
    }

    [Fact]
    public void A_missing_pool_is_a_blocker_for_libvirt_only()
    {
        var c = Single(Check(Vm(), Choices(pool: "fast")), ConcernCodes.PoolMissing);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Equal("disk scsi0:0 ([ds1] web/scsi0_0.vmdk) goes to storage pool 'fast', which the target does not have (it has 'default')", c.Message);

        Assert.DoesNotContain(Check(Vm(), Choices(pool: "/srv/out"), Target("local")), x => x.Code == ConcernCodes.PoolMissing);
    }

    [Theory]
    [InlineData("web/01", true, "web_01")]
    [InlineData("", true, "web01")]
    [InlineData("a\nb", true, "a_b")]
    [InlineData("tab\there", false, "tab_here")]
    [InlineData(" web01 ", false, "web01")]
    public void An_invalid_name_gives_a_suggestion(string name, bool blocker, string suggestion)
    {
        var c = Single(Check(Vm(), Choices(name)), ConcernCodes.InvalidName);
        Assert.Equal(blocker ? ConcernSeverity.Blocker : ConcernSeverity.Warning, c.Severity);
        Assert.DoesNotContain('\n', c.Message);
        Assert.Equal($"rename the target in the plan, e.g. to '{suggestion}'", c.Fix);
    }

    [Fact]
    public void Uefi_without_ovmf_is_a_blocker_and_secure_boot_needs_its_build()
    {
        var efi = Vm() with { Firmware = Firmware.Efi };
        var c = Single(Check(efi, target: Target() with { Ovmf = false, OvmfSecureBoot = false }), ConcernCodes.UefiNoOvmf);
        Assert.Equal(ConcernSeverity.Blocker, c.Severity);
        Assert.Equal("apt-get install ovmf", c.Fix);

        var secure = Single(Check(efi with { SecureBoot = true }, target: Target() with { OvmfSecureBoot = false }), ConcernCodes.UefiNoOvmf);
        Assert.Contains("Secure Boot", secure.Message, StringComparison.Ordinal);

        Assert.Empty(Check(efi with { SecureBoot = true }));
        Assert.Empty(Check(efi, target: Target() with { Ovmf = null, OvmfSecureBoot = null }));
        Assert.Empty(Check(Vm(), target: Target() with { Ovmf = false }));
    }

    [Fact]
    public void Changed_block_tracking_is_info()
    {
        var c = Single(Check(Vm() with { ChangeTracking = true }), ConcernCodes.Cbt);
        Assert.Equal(ConcernSeverity.Info, c.Severity);
        Assert.Contains("warm migration", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_code_is_stable_kebab_case_and_every_concern_has_a_fix()
    {
        var codes = typeof(ConcernCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Equal(17, codes.Count);
        Assert.All(codes, code => Assert.Matches("^[a-z]+(-[a-z]+)*$", code));
        Assert.Equal(codes.Count, codes.Distinct().Count());

        var everything = Vm() with
        {
            PowerState = "poweredOn", SnapshotCount = 1, Passthrough = ["pciPassthru0: x"], Vtpm = true, Encrypted = true, ChangeTracking = true,
            Firmware = Firmware.Efi, Guest = GuestOs.Unknown("other", GuestArchitecture.X86_64),
            Disks = [Disk() with { Mode = DiskMode.IndependentPersistent }, Disk("scsi1:0") with { RawDevice = "virtualMode" }, Disk("scsi2:0") with { SharedBus = "virtual" }],
        };
        var concerns = Check(everything, Choices("old-vm/x") with { NicTargets = ["network:x"], DiskStorage = ["p", "p", "p"] }, Target() with { Ovmf = false, Domains = new HashSet<string> { "old-vm/x" } });
        Assert.All(concerns, c => Assert.False(string.IsNullOrWhiteSpace(c.Fix), c.Code));
        Assert.Subset(codes.ToHashSet(), concerns.Select(c => c.Code).ToHashSet());
        Assert.Equal(15, concerns.Select(c => c.Code).Distinct().Count()); // all but the two plan rules
    }
}
