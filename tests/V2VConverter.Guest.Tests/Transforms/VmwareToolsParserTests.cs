using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Tests.Transforms;

public sealed class VmwareToolsParserTests
{
    private const string DpkgStatusSample = """
        Package: open-vm-tools
        Status: install ok installed
        Priority: extra
        Section: admin
        Installed-Size: 2870
        Maintainer: Bernd Zeimetz <bzed@debian.org>
        Architecture: amd64
        Version: 2:12.2.0-1+deb12u4
        Depends: libc6 (>= 2.34), libglib2.0-0 (>= 2.64.0)
        Description: Open VMware Tools for virtual machines hosted on VMware (CLI)
         The Open Virtual Machine Tools (open-vm-tools) are the open source
         implementation of VMware Tools.

        Package: ifupdown
        Status: install ok installed
        Version: 0.8.41

        Package: open-vm-tools-desktop
        Status: deinstall ok config-files
        Version: 2:12.2.0-1+deb12u4

        Package: vim-tiny
        Status: hold ok installed
        Version: 2:9.0.1378-2
        """;

    [Fact]
    public void Dpkg_status_lists_installed_packages_only()
    {
        var pkgs = DpkgStatus.InstalledPackages(DpkgStatusSample);
        Assert.Equal(["open-vm-tools", "ifupdown", "vim-tiny"], pkgs);
        Assert.Equal(["open-vm-tools"], pkgs.Where(VmwareToolsPackages.IsToolsPackage));
    }

    [Theory]
    [InlineData("open-vm-tools", true)]
    [InlineData("open-vm-tools-desktop", true)]
    [InlineData("open-vm-tools-sdmp", true)]
    [InlineData("vmware-tools-esx-nox", true)]
    [InlineData("VMwareTools", true)]
    [InlineData("kmod-open-vm-tools", true)]
    [InlineData("vmware-manifest", false)]
    [InlineData("open-iscsi", false)]
    public void Tools_package_names(string name, bool expected) => Assert.Equal(expected, VmwareToolsPackages.IsToolsPackage(name));

    // What vmware-install.pl (VMware Tools 10.x tarball) leaves behind, trimmed.
    private const string Locations = """
        answer BINDIR /usr/bin
        answer LIBDIR /usr/lib/vmware-tools
        answer INITDIR /etc
        file /etc/vmware-tools/locations
        file /usr/bin/vmware-uninstall-tools.pl
        file /usr/bin/vmware-toolbox-cmd 1583229031
        file /usr/bin/vmtoolsd 1583229031
        directory /usr/lib/vmware-tools
        file /etc/init.d/vmware-tools
        remove_file /usr/bin/vmware-toolbox-cmd
        file /usr/bin/vmware-toolbox-cmd 1583230000
        directory /tmp/vmware-root
        remove_directory /tmp/vmware-root
        answer BINDIR /usr/local/bin
        """;

    [Fact]
    public void Tarball_locations_database_is_replayed_in_order()
    {
        var l = VmwareToolsLocations.Parse(Locations);
        Assert.Equal("/usr/local/bin/vmware-uninstall-tools.pl", l.Uninstaller);
        Assert.Equal(["/etc/vmware-tools/locations", "/usr/bin/vmware-uninstall-tools.pl", "/usr/bin/vmtoolsd", "/etc/init.d/vmware-tools", "/usr/bin/vmware-toolbox-cmd"], l.Files);
        Assert.Equal(["/usr/lib/vmware-tools"], l.Directories);
        Assert.Equal("/etc", l.Answers["INITDIR"]);
    }

    [Fact]
    public void Service_links_are_selected_by_name()
    {
        var paths = new[]
        {
            "/etc/systemd/system/multi-user.target.wants/open-vm-tools.service",
            "/etc/systemd/system/multi-user.target.wants/ssh.service",
            "/etc/systemd/system/vmtoolsd.service",
            "/etc/systemd/system/open-vm-tools.service.requires/vgauth.service",
            "/etc/rc2.d/S01vmware-tools",
            "/etc/rc0.d/K01vmware-tools-thinprint",
            "/etc/rc2.d/S01cron",
            "/etc/systemd/system/local-fs.target.wants/run-vmblock\\x2dfuse.mount",
        };
        var sel = VmwareServiceLinks.Select(paths);
        Assert.Equal(6, sel.Count);
        Assert.DoesNotContain("/etc/systemd/system/multi-user.target.wants/ssh.service", sel);
        Assert.DoesNotContain("/etc/rc2.d/S01cron", sel);
    }
}
