using V2VConverter.Model.Diagnostics;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Sources.Tests.VSphere;

public sealed class VSphereUriTests
{
    [Fact]
    public void Esx_uri_with_user_port_and_no_verify()
    {
        var u = VSphereUri.Parse("esx://root@esx1.example.com:8443/?no_verify=1");
        Assert.Equal(VSphereEndpointKind.Esx, u.Kind);
        Assert.Equal("root", u.User);
        Assert.Equal("esx1.example.com", u.Host);
        Assert.Equal(8443, u.Port);
        Assert.True(u.NoVerify);
        Assert.Empty(u.Path);
        Assert.Equal(new Uri("https://esx1.example.com:8443/sdk"), u.SdkUri);
        Assert.Equal("esx://root@esx1.example.com:8443/?no_verify=1", u.ToString());
    }

    [Theory]
    [InlineData("esx://esx1")]
    [InlineData("esx://esx1/")]
    [InlineData("ESX://esx1/")]
    public void Esx_uri_defaults(string text)
    {
        var u = VSphereUri.Parse(text);
        Assert.Null(u.User);
        Assert.Equal(443, u.Port);
        Assert.False(u.NoVerify);
    }

    [Fact]
    public void Vpx_uri_with_folder_cluster_host_and_encoded_user()
    {
        var u = VSphereUri.Parse("vpx://administrator%40vsphere.local@vc.example.com/Folder1/DC%201/Cluster/esx1.example.com?no_verify=1");
        Assert.Equal(VSphereEndpointKind.VCenter, u.Kind);
        Assert.Equal("administrator@vsphere.local", u.User);
        Assert.Equal(["Folder1", "DC 1", "Cluster", "esx1.example.com"], u.Path);
        Assert.True(u.NoVerify);
    }

    [Fact]
    public void Ipv6_host_with_port()
    {
        var u = VSphereUri.Parse("esx://[::1]:4443/");
        Assert.Equal("::1", u.Host);
        Assert.Equal(4443, u.Port);
        Assert.Equal("[::1]:4443", u.Authority);
    }

    [Theory]
    [InlineData("esx://host:/", "a colon after the host \"host\" must be followed by a port number")]
    [InlineData("vpx://user@vc:/DC", "a colon after the host \"vc\" must be followed by a port number")]
    [InlineData("http://host/", "unknown scheme \"http\"; use esx:// for an ESXi host or vpx:// for a vCenter")]
    [InlineData("vi://host/", "unknown scheme \"vi\"")]
    [InlineData("esx:///", "the host is missing")]
    [InlineData("esx://root@/", "the host is missing")]
    [InlineData("vpx://:443/DC", "the host is missing")]
    [InlineData("esx://host:99999/", "the port \"99999\" is not a number from 1 to 65535")]
    [InlineData("esx://host:ab/", "the port \"ab\" is not a number")]
    [InlineData("vpx://vc/", "a vpx:// URI needs the datacenter path")]
    [InlineData("esx://host/DC", "an esx:// URI names a host only")]
    [InlineData("esx://host/?no_verify=yes", "no_verify must be 0 or 1, not \"yes\"")]
    [InlineData("esx://host/?foo=1", "unknown parameter \"foo\"")]
    [InlineData("host.example.com", "it has no scheme")]
    [InlineData("esx://@host/", "the user name before '@' is empty")]
    [InlineData("esx://[::1/", "is not closed")]
    public void Malformed_uris_get_a_precise_usage_error(string text, string expected)
    {
        var ex = Assert.Throws<UsageException>(() => VSphereUri.Parse(text));
        Assert.StartsWith("bad source URI \"", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_in_the_uri_is_refused_and_not_echoed()
    {
        var ex = Assert.Throws<UsageException>(() => VSphereUri.Parse("esx://root:hunter2@host/"));
        Assert.Contains("a password in the URI is not accepted", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("esx://h/", true)]
    [InlineData("vpx://h/DC", true)]
    [InlineData("/vms/a.vmx", false)]
    [InlineData("http://h/", false)]
    public void Recognises_its_schemes(string text, bool expected) => Assert.Equal(expected, VSphereUri.IsVSphereUri(text));

    [Fact]
    public void Datastore_path_parsing()
    {
        var p = DatastorePath.Parse("[datastore 1] vm one/vm one.vmx", "f");
        Assert.Equal("datastore 1", p.Datastore);
        Assert.Equal("vm one/vm one.vmx", p.Path);
        Assert.Equal("vm one", p.Directory);
        Assert.Equal("vm one.vmx", p.FileName);
        var ex = Assert.Throws<InvalidDataException>(() => DatastorePath.Parse("vm/vm.vmx", "config.files.vmPathName"));
        Assert.Contains("config.files.vmPathName: \"vm/vm.vmx\" is not a datastore path", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AB:CD", "has 2 bytes; a SHA-1 fingerprint has 20 and a SHA-256 fingerprint 32")]
    [InlineData("XY:ZZ", "is not a hexadecimal fingerprint")]
    public void Bad_thumbprints_are_usage_errors(string text, string expected)
    {
        var ex = Assert.Throws<UsageException>(() => new TlsPolicy("h:443", false, text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Thumbprint_with_no_verify_is_a_contradiction()
    {
        var sha1 = string.Join(':', Enumerable.Repeat("0A", 20));
        Assert.Equal("SHA-1", new TlsPolicy("h:443", false, sha1).PinnedAlgorithm);
        var ex = Assert.Throws<UsageException>(() => new TlsPolicy("h:443", true, sha1));
        Assert.Contains("contradict", ex.Message, StringComparison.Ordinal);
    }
}
