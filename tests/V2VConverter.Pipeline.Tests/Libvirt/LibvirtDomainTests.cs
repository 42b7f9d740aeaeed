using System.Xml.Linq;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;
using static V2VConverter.Pipeline.Tests.Libvirt.LibvirtTestKit;

namespace V2VConverter.Pipeline.Tests.Libvirt;

public sealed class LibvirtDomainTests
{
    private static string DomainXml(string name, string uuid, string network) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <uuid>{uuid}</uuid>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <interface type='network'><source network='{network}'/></interface>
            <serial type='pty'/>
          </devices>
        </domain>
        """;

    [Theory]
    [InlineData("local")]
    [InlineData("ssh")]
    public void A_domain_is_defined_found_started_stopped_and_undefined(string transport)
    {
        var host = LibvirtHost.Require();
        using var conn = Open(host, transport == "local" ? host.LocalUri : host.SshUri);
        var name = NewName("v2v-dom");
        var uuid = Guid.NewGuid().ToString();
        using var dom = conn.DefineDomain(DomainXml(name, uuid, host.NetworkName));
        try
        {
            Assert.Equal(name, dom.Name);
            Assert.Equal(uuid, dom.Uuid);
            Assert.False(dom.IsActive);
            using (var byName = conn.FindDomain(name))
            using (var byUuid = conn.FindDomainByUuid(uuid))
            {
                Assert.Equal(uuid, byName?.Uuid);
                Assert.Equal(name, byUuid?.Name);
            }

            Assert.Equal(name, XDocument.Parse(dom.XmlDesc()).Root?.Element("name")?.Value);

            // TCG (type='qemu'), on the default network of the test namespace.
            dom.Start();
            Assert.True(dom.IsActive);
            var e = Assert.Throws<LibvirtException>(dom.Start);
            Assert.StartsWith($"libvirt: starting domain '{name}' on ", e.Message);
            Assert.Equal(LibvirtException.ErrOperationInvalid, e.Code);
            dom.Destroy();
            Assert.False(dom.IsActive);
        }
        finally
        {
            if (dom.IsActive)
            {
                dom.Destroy();
            }

            dom.Undefine();
        }

        Assert.Null(conn.FindDomain(name));
        Assert.Null(conn.FindDomainByUuid(uuid));
        Assert.Equal(1, host.Virsh(host.LocalUri, "dominfo", name).ExitCode);
    }

    [Fact]
    public void Define_does_not_check_networks_start_does()
    {
        // Why the output checks networks itself before copying: libvirt accepts the definition.
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        var name = NewName("v2v-nonet");
        using var dom = conn.DefineDomain(DomainXml(name, Guid.NewGuid().ToString(), "v2v-no-such-net"));
        try
        {
            var e = Assert.Throws<LibvirtException>(dom.Start);
            Assert.Equal(LibvirtException.ErrNoNetwork, e.Code);
            Assert.True(e.IsNotFound);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains("v2v-no-such-net", e.Message);
        }
        finally
        {
            dom.Undefine();
        }
    }

    [Fact]
    public void Bad_xml_is_one_line_naming_the_operation_and_the_uri()
    {
        var host = LibvirtHost.Require();
        using var conn = LibvirtConnection.Open(host.LocalUri);
        var e = Assert.Throws<LibvirtException>(() => conn.DefineDomain("<domain type='qemu'><name>x</name>"));
        Assert.StartsWith("libvirt: defining a domain on qemu:///system: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(LibvirtException.ErrXmlDetail, e.Code);

        using var pool = conn.FindPool(host.DirPool)!;
        var name = NewName("v2v-twice") + ".raw";
        using var vol = pool.CreateVolume(RawVolumeXml(name, 4096));
        try
        {
            var twice = Assert.Throws<LibvirtException>(() => pool.CreateVolume(RawVolumeXml(name, 4096)));
            Assert.Equal($"creating volume '{name}' in storage pool '{host.DirPool}' on qemu:///system", twice.Message.Split(": ")[1]);
            Assert.Equal(LibvirtException.ErrStorageVolExists, twice.Code);
        }
        finally
        {
            vol.Delete();
        }
    }
}
