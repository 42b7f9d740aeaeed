using V2VConverter.Pipeline.Batch.Concerns;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Batch.Concerns;

/// <summary>The target probe on this machine (-o local), on a fake /sys, offline, and against the test libvirtd.</summary>
public sealed class BatchTargetProbeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("v2v-probe-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Local_reads_the_free_space_of_the_folder_and_the_ovmf_files_of_this_machine()
    {
        var log = new TestLog();
        var facts = BatchTargetProbe.Probe("local", _dir, null, log.Logger);

        Assert.Equal("local", facts.OutputMode);
        Assert.Equal(_dir, facts.Storage);
        Assert.True(facts.FreeBytes > 0);
        Assert.Equal(new DriveInfo(_dir).AvailableFreeSpace, facts.FreeBytes!.Value, (double)(64L << 20)); // other writers may move it a little
        Assert.Equal(facts.FreeBytes, facts.FreeBytesByStorage![_dir]);
        Assert.Equal(File.Exists(OvmfFiles.Default.Code) && File.Exists(OvmfFiles.Default.Vars), facts.Ovmf);
        Assert.Equal(File.Exists("/usr/share/OVMF/OVMF_CODE_4M.ms.fd") && File.Exists("/usr/share/OVMF/OVMF_VARS_4M.ms.fd"), facts.OvmfSecureBoot);
        Assert.NotNull(facts.Bridges);
        Assert.Null(facts.Networks);
        Assert.Null(facts.Pools);
        Assert.Null(facts.Domains);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void A_folder_that_does_not_exist_yet_is_measured_on_its_nearest_parent()
    {
        var facts = BatchTargetProbe.Probe("local", Path.Combine(_dir, "not", "yet"), null, new TestLog().Logger);
        Assert.True(facts.FreeBytes > 0);
    }

    [Fact]
    public void The_ovmf_files_come_from_the_firmware_mapping()
    {
        Assert.Equal("/usr/share/OVMF/OVMF_CODE_4M.fd", OvmfFiles.Default.Code);
        Assert.Equal("/usr/share/OVMF/OVMF_CODE_4M.ms.fd", OvmfFiles.Default.SecureBootCode);

        var missing = new OvmfFiles(Path.Combine(_dir, "CODE.fd"), Path.Combine(_dir, "VARS.fd"), Path.Combine(_dir, "S.fd"), Path.Combine(_dir, "SV.fd"));
        var facts = BatchTargetProbe.Probe("local", _dir, null, new TestLog().Logger, missing);
        Assert.False(facts.Ovmf);
        Assert.False(facts.OvmfSecureBoot);
    }

    [Fact]
    public void Bridges_are_the_net_devices_with_a_bridge_folder()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "br0", "bridge"));
        Directory.CreateDirectory(Path.Combine(_dir, "virbr1", "bridge"));
        Directory.CreateDirectory(Path.Combine(_dir, "eth0"));
        var bridges = BatchTargetProbe.HostBridges(_dir, new TestLog().Logger);
        Assert.Equal(["br0", "virbr1"], bridges!.Order());

        var log = new TestLog();
        Assert.Null(BatchTargetProbe.HostBridges(Path.Combine(_dir, "none"), log.Logger));
        Assert.Single(log.Warnings);
    }

    [Fact]
    public void A_connection_that_fails_is_a_warning_and_leaves_the_libvirt_facts_unknown()
    {
        var log = new TestLog();
        var facts = BatchTargetProbe.Probe("libvirt", null, "qemu+unix:///system?socket=" + Path.Combine(_dir, "no-such.sock"), log.Logger);

        Assert.Equal("default", facts.Storage);
        Assert.Null(facts.FreeBytes);
        Assert.Null(facts.Domains);
        Assert.Null(facts.Networks);
        Assert.Null(facts.Pools);
        var warning = Assert.Single(log.Warnings);
        Assert.Contains("does not check", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(facts.Ovmf); // a local URI: this machine's files
    }

    [Fact]
    public void Domain_capabilities_list_the_loaders()
    {
        const string caps = """
            <domainCapabilities><path>/usr/bin/qemu-system-x86_64</path><os supported='yes'>
              <loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value><value>/usr/share/OVMF/OVMF_CODE_4M.secboot.fd</value>
              <enum name='type'><value>rom</value><value>pflash</value></enum></loader></os></domainCapabilities>
            """;
        Assert.Equal(["/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"], BatchTargetProbe.LoaderValues(caps).Order());
        Assert.Empty(BatchTargetProbe.LoaderValues("<domainCapabilities/>"));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("qemu:///system", true)]
    [InlineData("test:///default", true)]
    [InlineData("qemu+ssh://root@kvm1/system", false)]
    [InlineData("qemu+tcp://10.0.0.5:16509/system", false)]
    public void Uris_without_a_host_are_this_machine(string? uri, bool local)
    {
        Assert.Equal(local, BatchTargetProbe.IsLocalUri(uri));
    }

    [Fact]
    public void Unknown_output_modes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => BatchTargetProbe.Probe("qemu", null, null, new TestLog().Logger));
    }

    [Fact]
    public void Libvirt_lists_the_domains_networks_pools_and_their_space_of_the_test_host()
    {
        var host = LibvirtHost.Require();
        var name = "v2v-probe-" + Guid.NewGuid().ToString("N")[..8];
        var xml = Path.Combine(_dir, "domain.xml");
        File.WriteAllText(xml, $"<domain type='qemu'><name>{name}</name><memory>65536</memory><os><type arch='x86_64'>hvm</type></os></domain>");
        host.CheckVirsh(host.LocalUri, "define", xml);
        BatchTargetFacts facts;
        var log = new TestLog();
        try
        {
            facts = BatchTargetProbe.Probe("libvirt", host.DirPool, host.LocalUri, log.Logger);
        }
        finally
        {
            host.CheckVirsh(host.LocalUri, "undefine", name);
        }

        Assert.Contains(name, facts.Domains!);
        Assert.DoesNotContain("lo", facts.Bridges!);
        Assert.True(facts.Ovmf); // listed by the domain capabilities of the test host (Debian's ovmf is installed)
        Assert.Empty(log.Warnings);

        Assert.Equal(host.DirPool, facts.Storage);
        Assert.Contains(host.NetworkName, facts.Networks!);
        Assert.Contains(host.DirPool, facts.Pools!);
        Assert.Contains(host.FsPool, facts.Pools!);
        Assert.NotNull(facts.Domains);
        Assert.True(facts.FreeBytes > 0);
        Assert.Equal(facts.FreeBytes, facts.FreeBytesByStorage![host.DirPool]);
        Assert.True(facts.FreeBytesByStorage[host.FsPool] is > 0 and <= 512L << 20);
        Assert.Contains(host.Bridge, facts.Bridges!);
    }
}
