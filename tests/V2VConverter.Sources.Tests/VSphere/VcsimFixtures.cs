using V2VConverter.TestSupport.Vcsim;

namespace V2VConverter.Sources.Tests.VSphere;

/// <summary>An ESXi model: user "v2vuser", one VM powered off (VM0), one on with a snapshot (VM1).</summary>
public sealed class EsxVcsimFixture : IDisposable
{
    public const string User = "v2vuser";
    public const string Password = "Esx-S3cret-#pw";

    public EsxVcsimFixture()
    {
        Server = VcsimServer.Start("-model", "esx", "-vm", "3", "-user", User, "-pass", Password, "-off", "ha-host_VM0,ha-host_VM2", "-snapshot", "ha-host_VM1:before-upgrade");
    }

    public VcsimServer Server { get; }

    public void Dispose() => Server.Dispose();
}

/// <summary>A vCenter model: DC0 with a cluster DC0_C0 (3 hosts) and a standalone host DC0_H0; all VMs off.</summary>
public sealed class VpxVcsimFixture : IDisposable
{
    public const string User = "administrator@vsphere.local";
    public const string Password = "Vc-S3cret-pw";

    public VpxVcsimFixture()
    {
        Server = VcsimServer.Start("-model", "vpx", "-user", User, "-pass", Password, "-off", "all");
    }

    public VcsimServer Server { get; }

    public void Dispose() => Server.Dispose();
}
