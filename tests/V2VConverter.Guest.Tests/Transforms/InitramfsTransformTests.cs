using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Tests.Transforms;

public sealed class InitramfsTransformTests
{
    // The fixture guest's /etc/initramfs-tools/modules (MODULES=list).
    private const string FixtureModules = """
        # List of modules that you want to include in your initramfs.
        # They will be loaded at boot time in the order below.
        #
        # Syntax:  module_name [args ...]
        #
        # VMware guest: LSI Logic (SPI/SAS), PVSCSI, AHCI, PIIX IDE.
        mptspi
        mptsas
        vmw_pvscsi
        ahci
        sd_mod
        ata_piix
        ext4

        """;

    [Fact]
    public void Initramfs_tools_modules_get_the_missing_virtio_drivers_appended()
    {
        var r = InitramfsToolsModulesTransform.AddModules(FixtureModules, VirtioDrivers.Modules);
        Assert.Equal(FixtureModules + InitramfsToolsModulesTransform.Header + "\nvirtio_pci\nvirtio_blk\nvirtio_scsi\nvirtio_net\n", r.Text);
        Assert.Equal(5, r.Changes.Count);
        Assert.Equal("", r.Changes[0].Before);
        Assert.Equal("virtio_pci", r.Changes[1].After);
    }

    [Fact]
    public void Initramfs_tools_modules_present_ones_with_args_or_dashes_are_not_added_twice()
    {
        var text = "virtio-blk\nvirtio_scsi max_lun=4\n# virtio_net\n";
        var r = InitramfsToolsModulesTransform.AddModules(text, VirtioDrivers.Modules);
        Assert.Equal(text + InitramfsToolsModulesTransform.Header + "\nvirtio_pci\nvirtio_net\n", r.Text);
        var again = InitramfsToolsModulesTransform.AddModules(r.Text, VirtioDrivers.Modules);
        Assert.False(again.Changed);
    }

    [Fact]
    public void Initramfs_tools_modules_without_final_newline()
    {
        var r = InitramfsToolsModulesTransform.AddModules("ext4", ["virtio_blk"]);
        Assert.Equal("ext4\n" + InitramfsToolsModulesTransform.Header + "\nvirtio_blk\n", r.Text);
    }

    [Fact]
    public void Dracut_drop_in_names_every_driver_and_is_idempotent()
    {
        var r = DracutConfTransform.Apply(null, VirtioDrivers.Modules);
        Assert.Contains("add_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n", r.Text);
        Assert.True(r.Changed);
        Assert.False(DracutConfTransform.Apply(r.Text, VirtioDrivers.Modules).Changed);
    }

    [Fact]
    public void Suse_sysconfig_kernel_initrd_modules_are_extended_in_place()
    {
        var text = """
            ## Type:        string
            ## Description: This variable contains the list of modules to be added to the initial ramdisk
            INITRD_MODULES="mptspi ata_piix ata_generic processor thermal fan jbd ext3 edd"

            ## Type:        string
            DOMU_INITRD_MODULES="xennet xenblk"
            """;
        var r = SuseKernelSysconfigTransform.AddModules(text, VirtioDrivers.Modules);
        var c = Assert.Single(r.Changes);
        Assert.Equal("INITRD_MODULES=\"mptspi ata_piix ata_generic processor thermal fan jbd ext3 edd virtio_pci virtio_blk virtio_scsi virtio_net\"", c.After);
        Assert.Equal(3, c.Line);
        Assert.Contains("DOMU_INITRD_MODULES=\"xennet xenblk\"", r.Text);
    }

    [Fact]
    public void Suse_sysconfig_kernel_without_the_variable_gets_one()
    {
        var r = SuseKernelSysconfigTransform.AddModules("# empty\n", ["virtio_blk"]);
        Assert.Equal("# empty\nINITRD_MODULES=\"virtio_blk\"\n", r.Text);
    }

    [Fact]
    public void Rhel5_modprobe_conf_gets_scsi_hostadapter_aliases_with_free_numbers()
    {
        var text = "alias eth0 vmxnet\nalias scsi_hostadapter mptbase\nalias scsi_hostadapter1 mptspi\nalias scsi_hostadapter2 ata_piix\n";
        var r = ModprobeConfTransform.AddScsiHostAdapters(text, VirtioDrivers.Modules);
        Assert.Equal(text + "alias scsi_hostadapter3 virtio_pci\nalias scsi_hostadapter4 virtio_blk\nalias scsi_hostadapter5 virtio_scsi\n", r.Text);
    }

    [Fact]
    public void Module_listing_reads_lsinitramfs_and_lsinitrd_output()
    {
        var lsinitramfs = """
            usr/lib/modules/6.1.0-50-amd64/kernel/drivers/block/virtio_blk.ko
            usr/lib/modules/6.1.0-50-amd64/kernel/drivers/virtio/virtio_pci.ko
            usr/lib/modules/6.1.0-50-amd64/kernel/drivers/scsi/vmw_pvscsi.ko
            usr/lib/modules/6.1.0-50-amd64/modules.dep
            """;
        Assert.Equal(new HashSet<string> { "virtio_blk", "virtio_pci", "vmw_pvscsi" }, ModuleListing.ModuleNames(lsinitramfs));

        var lsinitrd = "-rw-r--r--   1 root     root        16484 Oct 30 12:00 usr/lib/modules/4.18.0-513.el8.x86_64/kernel/drivers/block/virtio_blk.ko.xz\n" +
                       "-rw-r--r--   1 root     root        20000 Oct 30 12:00 usr/lib/modules/5.14.0/kernel/drivers/net/virtio_net.ko.zst\n";
        Assert.Equal(new HashSet<string> { "virtio_blk", "virtio_net" }, ModuleListing.ModuleNames(lsinitrd));

        var builtin = "kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio_pci.ko\n";
        Assert.Contains("virtio_pci", ModuleListing.ModuleNames(builtin));
    }
}
