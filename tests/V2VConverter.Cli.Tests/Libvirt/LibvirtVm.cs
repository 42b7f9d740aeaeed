using System.Globalization;
using System.Text.RegularExpressions;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// A small VM folder for the -o libvirt tests, with a name and a UUID of its own (the tests share one libvirtd), and
/// the clean-up that removes whatever a test left on the host: the domain and the VM's volumes in every test pool.
/// </summary>
internal sealed partial class LibvirtVm : IDisposable
{
    public LibvirtVm(LibvirtHost host, string label, string? vmdk = null, string firmware = "bios")
    {
        Host = host;
        Dir = RepoPaths.NewTempDir("v2v-libvirt-vm");
        Name = $"v2vt-{label}-{Guid.NewGuid().ToString("N")[..8]}";
        var disk = Path.Combine(Dir, "disk.vmdk");
        if (vmdk is null)
        {
            File.Copy(Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmdk"), disk);
        }
        else
        {
            // A disk made for this VM (a monolithic VMDK): taken, with the temporary folder it was made in.
            File.Move(vmdk, disk);
            Directory.Delete(Path.GetDirectoryName(vmdk)!, true);
        }

        // uuid.bios is the domain's UUID: the 16 bytes in the order the VMX gives them, as libvirt reads them.
        var u = Guid.NewGuid().ToString("N");
        var pairs = Enumerable.Range(0, 16).Select(i => u.Substring(i * 2, 2)).ToArray();
        var uuidBios = string.Join(' ', pairs[..8]) + "-" + string.Join(' ', pairs[8..]);
        Vmx = Path.Combine(Dir, "vm.vmx");
        File.WriteAllText(Vmx, string.Join('\n',
            "config.version = \"8\"",
            "virtualHW.version = \"19\"",
            $"displayName = \"{Name}\"",
            "guestOS = \"debian12-64\"",
            "memsize = \"256\"",
            "numvcpus = \"1\"",
            $"firmware = \"{firmware}\"",
            $"uuid.bios = \"{uuidBios}\"",
            "scsi0.present = \"TRUE\"",
            "scsi0.virtualDev = \"lsilogic\"",
            "scsi0:0.present = \"TRUE\"",
            "scsi0:0.fileName = \"disk.vmdk\"",
            "ethernet0.present = \"TRUE\"",
            "ethernet0.virtualDev = \"vmxnet3\"",
            "ethernet0.connectionType = \"nat\"",
            "ethernet0.addressType = \"static\"",
            "ethernet0.address = \"00:50:56:3a:71:0c\"") + "\n");
        UuidText = string.Concat(pairs[..4]) + "-" + string.Concat(pairs[4..6]) + "-" + string.Concat(pairs[6..8]) + "-" + string.Concat(pairs[8..10]) + "-" + string.Concat(pairs[10..]);
    }

    public LibvirtHost Host { get; }

    public string Dir { get; }

    public string Name { get; }

    public string Vmx { get; }

    public string Disk => Path.Combine(Dir, "disk.vmdk");

    /// <summary>The UUID libvirt gives the domain (the VMX's uuid.bios as written).</summary>
    public string UuidText { get; }

    public string Volume(string format = "qcow2") => $"{Name}-sda.{format}";

    /// <summary>Every volume of this VM in <paramref name="pool"/> (a test's leftovers, or none).</summary>
    public IReadOnlyList<string> VolumesIn(string pool)
    {
        var list = Host.CheckVirsh(Host.LocalUri, "vol-list", "--pool", pool);
        return list.Split('\n').Select(l => l.Trim().Split(' ', 2)[0]).Where(n => n.StartsWith(Name, StringComparison.Ordinal)).ToList();
    }

    public bool DomainExists() => Host.Virsh(Host.LocalUri, "dominfo", Name).ExitCode == 0;

    /// <summary>Asserts that nothing of this VM exists on the host: no domain, no volume in the given pools.</summary>
    public void AssertNothingOnHost(params string[] pools)
    {
        Assert.False(DomainExists(), $"domain {Name} is defined");
        foreach (var p in pools)
        {
            Assert.Empty(VolumesIn(p));
        }
    }

    /// <summary><c>virsh vol-download</c> of a volume into a local file (the oracle for what the upload wrote).</summary>
    public string Download(string pool, string volume, string? uri = null)
    {
        var path = Path.Combine(Dir, "downloaded-" + volume);
        Host.CheckVirsh(uri ?? Host.LocalUri, "vol-download", "--pool", pool, volume, path);
        return path;
    }

    /// <summary>The pool's target folder (dir and fs pools).</summary>
    public string PoolPath(string pool) => PathElement().Match(Host.CheckVirsh(Host.LocalUri, "pool-dumpxml", pool)).Groups[1].Value;

    public static string Bytes(long n) => n.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        Host.Virsh(Host.LocalUri, "destroy", Name);
        Host.Virsh(Host.LocalUri, "undefine", Name, "--nvram");
        foreach (var pool in new[] { Host.DirPool, Host.FsPool })
        {
            foreach (var v in VolumesIn(pool))
            {
                Host.Virsh(Host.LocalUri, "vol-delete", "--pool", pool, v);
            }
        }

        Directory.Delete(Dir, true);
    }

    [GeneratedRegex("<path>([^<]+)</path>")]
    private static partial Regex PathElement();
}
