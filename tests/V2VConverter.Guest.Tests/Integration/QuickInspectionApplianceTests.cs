using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>
/// The quick inspection against the oracle, libguestfs's own inspect_os, on the fixture guest in one
/// appliance launch: the same root, identity, filesystems and mountpoints.
/// </summary>
[Collection("guest appliance")]
public sealed class QuickInspectionApplianceTests
{
    [Fact]
    public void Quick_inspection_agrees_with_inspect_os_on_the_fixture_guest()
    {
        var dir = GuestFixture.RequireFixture("plain");
        var log = new List<string>();
        using var s = GuestfsSession.Launch([new ApplianceDisk(Path.Combine(dir, "guest.vmdk"), "vmdk", ReadOnly: true)], ApplianceAccelerator.Auto, new TestLog(log.Add).Logger);

        var quick = QuickInspection.TryIdentify(s, readOnly: true, new TestLog(log.Add).Logger);
        Assert.NotNull(quick);
        Assert.Equal(IdentificationMethod.Quick, quick.Method);
        Assert.True(s.IsFile("/etc/fstab"), "the quick path leaves the root mounted");
        Assert.True(s.IsDirectory("/data/lost+found"), "and the fstab's other filesystems");
        Assert.Equal("/dev/sda1", Assert.Single(quick.KernelDevices, kv => kv.Key == "/dev/sda1").Key);

        if (s.Accelerator == "tcg")
        {
            // GuestfsSession.TcgKernelOptions: no address-space randomisation in a TCG appliance (guest programs start ~4x faster).
            Assert.Equal("0", s.Shell("cat /proc/sys/kernel/randomize_va_space").Trim());
        }

        s.UnmountAll();
        var oracle = GuestInspector.IdentifyWithLibguestfs(s, readOnly: true, new TestLog(log.Add).Logger);
        Assert.NotNull(oracle);

        Assert.Equal(oracle.Root, quick.Root);
        Assert.Equal(oracle.OsType, quick.OsType);
        Assert.Equal(oracle.Distro, quick.Distro);
        Assert.Equal((oracle.MajorVersion, oracle.MinorVersion), (quick.MajorVersion, quick.MinorVersion));
        Assert.Equal(oracle.Arch, quick.Arch);
        Assert.Equal(oracle.Hostname, quick.Hostname);
        Assert.Equal(oracle.PackageFormat, quick.PackageFormat);
        Assert.Equal(oracle.PackageManager, quick.PackageManager);
        Assert.Equal(oracle.MountPoints.OrderBy(m => m.MountPoint, StringComparer.Ordinal), quick.MountPoints.OrderBy(m => m.MountPoint, StringComparer.Ordinal));
        Assert.Equal(oracle.Filesystems.OrderBy(f => f.Device, GuestInspector.DeviceOrder), quick.Filesystems.Where(f => oracle.Filesystems.Any(o => o.Device == f.Device)).OrderBy(f => f.Device, GuestInspector.DeviceOrder));
    }
}
