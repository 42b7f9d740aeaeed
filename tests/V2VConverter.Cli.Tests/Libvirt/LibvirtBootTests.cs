using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// Issue 12's proof by booting: the fixture guest (a VMware-style Debian whose fstab says /dev/sda and whose initramfs
/// has no virtio) converted with <c>-o libvirt -os POOL --start</c> boots on the test libvirtd (TCG: a qemu domain),
/// its serial console logged to a file; the guest prints V2V-BOOT-OK and, once DHCP from the libvirt network
/// answered, V2V-NET-OK. The guest was converted before the copy, over NBD, on a copy-on-write view of the source.
/// </summary>
[Trait("Category", "Boot")]
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtBootTests
{
    [Fact]
    public void The_fixture_guest_converted_into_a_pool_boots_with_its_network()
    {
        var host = LibvirtHost.Require();
        var folder = LinuxGuestFixture.Require("plain");
        var vmdk = Path.Combine(folder, "guest.vmdk");
        var before = FileHash.Sha256(vmdk);

        var dir = RepoPaths.NewTempDir("v2v-libvirt-boot");
        var name = $"v2vt-boot-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            // The fixture's .vmx under a name of this test's own, its disk beside it as the .vmx names it.
            var vmx = Path.Combine(dir, "guest.vmx");
            File.WriteAllLines(vmx, File.ReadAllLines(Path.Combine(folder, "guest.vmx"))
                .Where(l => !l.StartsWith("uuid.", StringComparison.Ordinal))
                .Select(l => l.StartsWith("displayName", StringComparison.Ordinal) ? $"displayName = \"{name}\"" : l));
            foreach (var f in Directory.GetFiles(folder, "*.vmdk"))
            {
                File.CreateSymbolicLink(Path.Combine(dir, Path.GetFileName(f)), f);
            }

            LibvirtBoot.ConvertStartAndWait(host, dir, name, vmx, "--allow-absolute-extents");
            Assert.Equal(before, FileHash.Sha256(vmdk)); // the source is never written: the guest's changes went to the overlay
        }
        finally
        {
            LibvirtBoot.Remove(host, name);
            Directory.Delete(dir, true);
        }
    }
}
