using V2VConverter.Mapping.Plan;
using V2VConverter.Model.Vm;
using V2VConverter.Sources.Vmx;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>
/// A Windows guest's domain after the guest stage: virtio devices only for the drivers the Windows converter injected
/// (its <see cref="GuestFacts.VirtioDevices"/>), the virtio-scsi controller with --block-driver virtio-scsi, a TPM for the
/// source's vTPM, the Hyper-V enlightenments. Golden pairs Golden/windows/win11-vtpm.vmx with one XML per outcome.
/// </summary>
public sealed class WindowsGuestGoldenTests
{
    public static TheoryData<string> Outcomes => new() { "injected-virtio-blk", "injected-virtio-scsi", "no-drivers" };

    private static GuestFacts Facts(string outcome) => outcome switch
    {
        "injected-virtio-blk" => new GuestFacts
        {
            Converter = "windows", Converted = true, VirtioDriversInstalled = true, GuestAgent = true,
            VirtioDevices = new HashSet<string> { "block", "net", "balloon", "serial", "rng" }, Reason = "virtio drivers injected: viostor boot-critical",
        },
        "injected-virtio-scsi" => new GuestFacts
        {
            Converter = "windows", Converted = true, VirtioDriversInstalled = true, GuestAgent = false,
            VirtioDevices = new HashSet<string> { "scsi", "net" }, Reason = "virtio drivers injected: vioscsi boot-critical",
        },
        _ => new GuestFacts
        {
            Converter = "windows", Converted = true, VirtioDriversInstalled = false, GuestAgent = false,
            VirtioDevices = new HashSet<string>(), Reason = "no virtio drivers for this Windows: compatibility devices",
        },
    };

    private static (string Xml, ConversionPlan Plan) Plan(string outcome)
    {
        var path = Path.Combine(GoldenSupport.GoldenDir, "windows", "win11-vtpm.vmx");
        var log = new TestLog().Logger;
        return GoldenSupport.Plan(VmxSource.Load(path, log), path, "{vmxdir}", null, useOutputDir: true, keepHostDevices: false, log, Facts(outcome));
    }

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void The_domain_has_virtio_only_for_the_injected_drivers(string outcome)
    {
        var (xml, plan) = Plan(outcome);
        GoldenSupport.AssertGolden(xml, Path.Combine(GoldenSupport.GoldenDir, "windows", $"win11-vtpm.{outcome}.xml"));
        XmlValidator.AssertValidDomain(xml, outcome);

        var buses = plan.Disks.Select(d => d.Bus).Distinct().ToList();
        var nic = Assert.Single(plan.Nics);
        Assert.Equal("00:50:56:11:22:33", nic.Source.MacAddress);
        Assert.True(plan.Tpm);
        Assert.True(plan.HyperV);
        Assert.Equal("localtime", plan.ClockOffset);
        switch (outcome)
        {
            case "injected-virtio-blk":
                Assert.Equal(["virtio"], buses);
                Assert.Equal("virtio", nic.Model);
                Assert.True(plan.Balloon && plan.Rng && plan.GuestAgent);
                break;
            case "injected-virtio-scsi":
                Assert.Equal(["scsi"], buses);
                Assert.True(plan.VirtioScsi);
                Assert.Equal(["sda", "sdb"], plan.Disks.Select(d => d.TargetDev));
                Assert.Equal("virtio", nic.Model);
                Assert.False(plan.Balloon || plan.Rng || plan.GuestAgent);
                break;
            default:
                Assert.Equal(["sata"], buses);
                Assert.NotEqual("virtio", nic.Model);
                Assert.False(plan.Balloon || plan.Rng || plan.GuestAgent);
                break;
        }
    }
}
