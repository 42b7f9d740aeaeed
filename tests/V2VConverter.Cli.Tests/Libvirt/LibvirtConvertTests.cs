using System.Diagnostics;
using System.Xml.Linq;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests.Libvirt;

/// <summary>
/// <c>convert -o libvirt</c> against the real libvirtd of the test setup (tests/deps/setup.d/libvirtd.sh): the volumes
/// hold what -o local writes, through every transport (local socket, tcp, ssh); every pre-copy check fails with its
/// own line and creates nothing; a failure or Ctrl+C mid-upload leaves no volume and no domain.
/// </summary>
[Collection(LibvirtCollection.Name)]
public sealed class LibvirtConvertTests
{
    /// <summary>The test host has no KVM: its domains are qemu (TCG) ones.</summary>
    private const string QemuDomain = "devices:domain:rules:default:type=qemu";

    private static LibvirtHost Host => LibvirtHost.Require();

    /// <summary>The CLI in-process; for tcp and ssh on a thread inside the host's network namespace (the daemon's localhost).</summary>
    private static CliRunner.Result Convert(LibvirtVm vm, string uri, params string[] extra)
    {
        string[] network = extra.Contains("--network") ? [] : ["--network", Host.NetworkName];
        string[] args = ["convert", vm.Vmx, "-o", "libvirt", "-oc", uri, .. network, "--set", QemuDomain, .. extra];
        return uri == Host.LocalUri ? CliRunner.Run(vm.Dir, args) : Host.InNamespace(() => CliRunner.Run(vm.Dir, args));
    }

    public static TheoryData<string, string> FormatsAndTransports() => new()
    {
        { "qcow2", "local" },
        { "raw", "local" },
        { "qcow2", "tcp" },
        { "raw", "ssh" },
        { "qcow2", "ssh" },
    };

    private static string UriOf(string transport) => transport switch
    {
        "tcp" => Host.TcpUri,
        "ssh" => Host.SshUri,
        _ => Host.LocalUri,
    };

    /// <summary>
    /// Issue 16 on libvirt: a UEFI VM's NVRAM entries go into the domain's own variable store, a raw volume beside its
    /// disk that the domain's &lt;nvram&gt; names (libvirt would otherwise make an empty one from the template).
    /// </summary>
    [Fact]
    public void A_uefi_vms_boot_entries_are_carried_into_a_variable_store_volume_the_domain_names()
    {
        Tool.Require("virt-fw-vars");
        using var vm = new LibvirtVm(Host, "uefi", firmware: "efi");
        new VmwareNvramWriter().WithTypicalNoise()
            .AddBootOption(1, "debian", @"\EFI\debian\shimx64.efi", 1, new Guid("5a1e0003-0f10-4d65-9bd6-000000000003"), 2048, 131072)
            .SetBootOrder(1)
            .Write(Path.Combine(vm.Dir, "vm.nvram"));

        var r = Convert(vm, Host.LocalUri, "-os", Host.DirPool, "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("OVMF may find nothing to boot", r.Err, StringComparison.Ordinal);

        var store = $"{vm.Name}_VARS.fd";
        Assert.Contains(store, vm.VolumesIn(Host.DirPool));
        var xml = XDocument.Parse(Host.CheckVirsh(Host.LocalUri, "dumpxml", vm.Name));
        Assert.Equal(Path.Combine(vm.PoolPath(Host.DirPool), store), xml.Root!.Element("os")!.Element("nvram")!.Value);
        var print = Tool.Run("virt-fw-vars", ["--input", vm.Download(Host.DirPool, store), "--print"]);
        Assert.Matches(@"Boot0001\s*: boot entry: title=""debian"" devpath=Partition\(nr=1\)/FilePath\(\\EFI\\debian\\shimx64\.efi\)", print.All);
    }

    [Theory]
    [MemberData(nameof(FormatsAndTransports))]
    public void A_volume_holds_what_o_local_writes_and_the_domain_points_at_it(string format, string transport)
    {
        using var vm = new LibvirtVm(Host, $"{format}-{transport}");
        var local = Path.Combine(vm.Dir, "local");
        var l = CliRunner.Run(vm.Dir, "convert", vm.Vmx, "-o", "local", "-os", local, "-of", format, "--no-guest-fixups");
        Assert.True(l.ExitCode == 0, l.Err);

        var r = Convert(vm, UriOf(transport), "-os", Host.DirPool, "-of", format, "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains($"volume {Host.DirPool}/{vm.Volume(format)}", r.Err, StringComparison.Ordinal);

        // The volume, read back by libvirt itself, is the same image as the local file, and the same disk as the source.
        var downloaded = vm.Download(Host.DirPool, vm.Volume(format));
        var localDisk = Path.Combine(local, $"{vm.Name}-sda.{format}");
        Assert.True(Tool.Run("qemu-img", ["compare", "-f", format, "-F", format, localDisk, downloaded]).ExitCode == 0);
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", format, vm.Disk, downloaded]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
        if (format == "qcow2")
        {
            var check = Tool.Run("qemu-img", ["check", "-f", "qcow2", downloaded]);
            Assert.True(check.ExitCode == 0, check.All);
        }

        // A raw upload into a file pool stays sparse: the sample's 64 MiB hold 1.5 MiB of data.
        var info = Host.CheckVirsh(Host.LocalUri, "vol-info", "--pool", Host.DirPool, vm.Volume(format), "--bytes");
        long Field(string name) => long.Parse(info.Split('\n').Single(x => x.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Field("Allocation") < Field("Capacity") / 4, info);

        var xml = XDocument.Parse(Host.CheckVirsh(Host.LocalUri, "dumpxml", vm.Name));
        var source = xml.Descendants("disk").Single(d => (string?)d.Attribute("device") == "disk").Element("source")!;
        Assert.Equal(Host.DirPool, (string?)source.Attribute("pool"));
        Assert.Equal(vm.Volume(format), (string?)source.Attribute("volume"));
        Assert.Equal(vm.UuidText, xml.Root!.Element("uuid")!.Value);
        Assert.Equal("shut off", Host.CheckVirsh(Host.LocalUri, "domstate", vm.Name).Trim()); // --define-only is the default
    }

    [Fact]
    public void A_pool_of_another_type_takes_a_raw_volume_and_refuses_nothing_it_can_hold()
    {
        using var vm = new LibvirtVm(Host, "fs");
        var r = Convert(vm, Host.LocalUri, "-os", Host.FsPool, "-of", "raw", "--no-guest-fixups");
        Assert.True(r.ExitCode == 0, r.Err);
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "raw", vm.Disk, vm.Download(Host.FsPool, vm.Volume("raw"))]);
        Assert.True(cmp.ExitCode == 0, cmp.All);
    }

    /// <summary>Each check of issue 12 point 3, with the words of its own message; none of them creates anything.</summary>
    [Fact]
    public void Every_check_fails_before_the_copy_with_its_own_line_and_creates_nothing()
    {
        var pools = new[] { Host.DirPool, Host.FsPool };
        void Refused(LibvirtVm vm, string expected, params string[] extra)
        {
            var r = Convert(vm, Host.LocalUri, ["--no-guest-fixups", .. extra]);
            Assert.True(r.ExitCode == ExitCodes.Failure, $"exit {r.ExitCode}: {r.Err}");
            var errors = r.Err.Split('\n').Where(x => x.StartsWith("v2v: error:", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 1, r.Err);
            Assert.Contains(expected, errors[0], StringComparison.Ordinal);
            Assert.DoesNotContain(" at V2VConverter", r.Err, StringComparison.Ordinal);
        }

        using (var vm = new LibvirtVm(Host, "conn"))
        {
            var r = CliRunner.Run(vm.Dir, "convert", vm.Vmx, "-o", "libvirt", "-oc", "qemu+tcp://127.0.0.1:1/system", "-os", Host.DirPool, "--no-guest-fixups");
            Assert.Equal(ExitCodes.Failure, r.ExitCode);
            Assert.Contains("qemu+tcp://127.0.0.1:1/system", r.Err, StringComparison.Ordinal);
            Assert.Single(r.Err.Split('\n'), x => x.StartsWith("v2v: error:", StringComparison.Ordinal));
            vm.AssertNothingOnHost(pools);
        }

        using (var vm = new LibvirtVm(Host, "machine"))
        {
            // A domain the host cannot run (here a machine type its QEMU lacks) is refused before the copy, not at define.
            Refused(vm, "cannot run a qemu x86_64 pc-q35-0.1 domain", "-os", Host.DirPool, "--set", "devices:machine:rules:default:type=pc-q35-0.1");
            vm.AssertNothingOnHost(pools);
            if (!File.Exists("/dev/kvm"))
            {
                // Without the qemu rule the plan is a kvm domain, which a host without /dev/kvm cannot run.
                var r = CliRunner.Run(vm.Dir, "convert", vm.Vmx, "-o", "libvirt", "-oc", Host.LocalUri, "-os", Host.DirPool, "--network", Host.NetworkName, "--no-guest-fixups");
                Assert.Equal(ExitCodes.Failure, r.ExitCode);
                Assert.Contains("type=qemu", Assert.Single(r.Err.Split('\n'), x => x.StartsWith("v2v: error:", StringComparison.Ordinal)), StringComparison.Ordinal);
                vm.AssertNothingOnHost(pools);
            }
        }

        using (var vm = new LibvirtVm(Host, "pool"))
        {
            Refused(vm, "storage pool 'no-such-pool' not found", "-os", "no-such-pool");
            vm.AssertNothingOnHost(pools);
        }

        using (var vm = new LibvirtVm(Host, "inactive"))
        {
            var name = vm.Name + "-pool";
            var target = Path.Combine(vm.Dir, "inactive-pool");
            Directory.CreateDirectory(target);
            Host.CheckVirsh(Host.LocalUri, "pool-define-as", name, "dir", "--target", target);
            try
            {
                Refused(vm, $"storage pool '{name}'", "-os", name);
                Refused(vm, "is not active", "-os", name);
            }
            finally
            {
                Host.Virsh(Host.LocalUri, "pool-undefine", name);
            }

            vm.AssertNothingOnHost(pools);
        }

        using (var vm = new LibvirtVm(Host, "volume"))
        {
            Host.CheckVirsh(Host.LocalUri, "vol-create-as", Host.DirPool, vm.Volume(), "1M", "--format", "qcow2");
            Refused(vm, $"volume '{vm.Volume()}' already exists in storage pool '{Host.DirPool}'", "-os", Host.DirPool);
            Assert.Equal([vm.Volume()], vm.VolumesIn(Host.DirPool)); // the one that was there, untouched
            Host.CheckVirsh(Host.LocalUri, "vol-delete", "--pool", Host.DirPool, vm.Volume());
            Assert.False(vm.DomainExists());
        }

        using (var vm = new LibvirtVm(Host, "name"))
        {
            DefineDummy(vm.Name, null);
            Refused(vm, $"a domain named '{vm.Name}' already exists", "-os", Host.DirPool);
            Host.CheckVirsh(Host.LocalUri, "undefine", vm.Name);
            vm.AssertNothingOnHost(pools);
        }

        using (var vm = new LibvirtVm(Host, "uuid"))
        {
            var other = vm.Name + "-other";
            DefineDummy(other, vm.UuidText);
            try
            {
                Refused(vm, $"already has the UUID {vm.UuidText}", "-os", Host.DirPool);
            }
            finally
            {
                Host.CheckVirsh(Host.LocalUri, "undefine", other);
            }

            vm.AssertNothingOnHost(pools);
        }

        using (var vm = new LibvirtVm(Host, "net"))
        {
            Refused(vm, "network 'no-such-net' for ethernet0 not found", "-os", Host.DirPool, "--network", "nat:no-such-net");
            var net = vm.Name[..15] + "n";
            File.WriteAllText(Path.Combine(vm.Dir, "net.xml"), $"<network><name>{net}</name><bridge name='v2vx{vm.Name[^6..]}'/></network>");
            Host.CheckVirsh(Host.LocalUri, "net-define", Path.Combine(vm.Dir, "net.xml"));
            try
            {
                Refused(vm, $"network '{net}' for ethernet0 on {Host.LocalUri} is not active", "-os", Host.DirPool, "--network", "nat:" + net);
            }
            finally
            {
                Host.Virsh(Host.LocalUri, "net-undefine", net);
            }

            // A bridge (for the VMX's "nat" network), checked on the target host.
            string[] bridged = ["convert", vm.Vmx, "-o", "libvirt", "-oc", Host.LocalUri, "-os", Host.DirPool, "--set", QemuDomain, "--no-guest-fixups", "--bridge"];
            var nobr = CliRunner.Run(vm.Dir, [.. bridged, "nat:no-such-br0"]);
            Assert.Equal(ExitCodes.Failure, nobr.ExitCode);
            Assert.Contains("bridge 'no-such-br0' for ethernet0 does not exist", Assert.Single(nobr.Err.Split('\n'), x => x.StartsWith("v2v: error:", StringComparison.Ordinal)), StringComparison.Ordinal);
            vm.AssertNothingOnHost(pools);

            // The bridge that exists on the host passes the check (and the conversion goes through).
            var ok = CliRunner.Run(vm.Dir, [.. bridged, "nat:" + Host.Bridge]);
            Assert.True(ok.ExitCode == 0, ok.Err);
            Assert.Contains($"<source bridge=\"{Host.Bridge}\"", Host.CheckVirsh(Host.LocalUri, "dumpxml", vm.Name).Replace('\'', '"'), StringComparison.Ordinal);
        }

        using (var vm = new LibvirtVm(Host, "space", BigSparseVmdk()))
        {
            Refused(vm, $"storage pool '{Host.FsPool}'", "-os", Host.FsPool, "-of", "raw");
            Refused(vm, "(--ignore-space to try anyway)", "-os", Host.FsPool, "-of", "raw");
            vm.AssertNothingOnHost(pools);
        }
    }

    /// <summary>The upload fails when the pool fills (here with --ignore-space): the volume is deleted, no domain is defined.</summary>
    [Fact]
    public void A_pool_that_fills_mid_upload_leaves_no_volume_and_no_domain()
    {
        using var vm = new LibvirtVm(Host, "full", DataVmdk(64));
        Tool.Require("mkfs.ext4");

        // A 16 MiB fs pool of its own, on a loop device of its own (libvirt unmounts an fs pool only when its source is a device).
        var image = Path.Combine(vm.Dir, "pool.img");
        var target = Path.Combine(vm.Dir, "tiny");
        Directory.CreateDirectory(target);
        Tool.Check("truncate", "-s", "16M", image);
        Tool.Check("mkfs.ext4", "-q", "-F", image);
        var loop = Tool.Check("losetup", "-f", "--show", image).StdOut.Trim();
        var pool = vm.Name + "-tiny";
        try
        {
            Host.CheckVirsh(Host.LocalUri, "pool-create-as", pool, "fs", "--source-dev", loop, "--source-format", "ext4", "--target", target);
            var r = Convert(vm, Host.LocalUri, "-os", pool, "-of", "raw", "--ignore-space", "--no-guest-fixups");
            Assert.Equal(ExitCodes.Failure, r.ExitCode);
            var error = Assert.Single(r.Err.Split('\n'), x => x.StartsWith("v2v: error:", StringComparison.Ordinal));
            Assert.Contains("No space left on device", error, StringComparison.Ordinal);
            Assert.DoesNotContain("could not remove", r.Err, StringComparison.Ordinal); // the roll-back itself worked
            vm.AssertNothingOnHost(pool);
        }
        finally
        {
            Host.Virsh(Host.LocalUri, "pool-destroy", pool);
            Tool.Run("losetup", ["-d", loop]);
        }
    }

    /// <summary>The upload stays inside the tool's 200 MiB memory bound (peak RSS of the whole process, qcow2 -c: the hungriest writer).</summary>
    [Fact]
    public void The_upload_stays_inside_the_memory_bound()
    {
        Tool.Require("/usr/bin/time");
        using var vm = new LibvirtVm(Host, "rss", DataVmdk(256));
        var rss = Path.Combine(vm.Dir, "rss");
        var r = Tool.Run("/usr/bin/time", ["-f", "%M", "-o", rss, "dotnet", Path.Combine(AppContext.BaseDirectory, "v2v.dll"), "convert", vm.Vmx, "-o", "libvirt", "-oc", Host.LocalUri, "-os", Host.DirPool, "--network", Host.NetworkName, "--set", QemuDomain, "-c", "--no-guest-fixups"], timeoutMs: 600_000);
        Assert.True(r.ExitCode == 0, r.All);
        var kib = long.Parse(File.ReadAllText(rss).Trim().Split('\n').Last(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(kib < 200 * 1024, $"peak RSS {kib} KiB");
        Assert.Equal(0, Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", vm.Disk, vm.Download(Host.DirPool, vm.Volume())]).ExitCode);
    }

    /// <summary>A --start that fails (here: the serial log's folder does not exist) is a failure: the domain is undefined, the volumes deleted.</summary>
    [Fact]
    public void A_start_that_fails_undefines_the_domain_and_deletes_the_volumes()
    {
        using var vm = new LibvirtVm(Host, "start");
        var templates = Path.Combine(vm.Dir, "templates");
        Directory.CreateDirectory(Path.Combine(templates, "devices"));
        File.WriteAllText(Path.Combine(templates, "devices", "console.xml"), "<serial type=\"pty\">\n  <log file=\"/nonexistent-v2v-dir/serial.log\"/>\n  <target port=\"0\"/>\n</serial>\n");
        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "templates"), "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(templates, Path.GetRelativePath(Path.Combine(RepoPaths.Root, "templates"), f));
            if (!File.Exists(dest))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(f, dest);
            }
        }

        var r = Convert(vm, Host.LocalUri, "-os", Host.DirPool, "--no-guest-fixups", "--start", "--templates", templates);
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains($"starting domain '{vm.Name}'", Assert.Single(r.Err.Split('\n'), x => x.StartsWith("v2v: error:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("could not remove", r.Err, StringComparison.Ordinal);
        vm.AssertNothingOnHost(Host.DirPool);
    }

    /// <summary>Ctrl+C (SIGINT) while a disk streams: exit 130, the volume deleted, no domain.</summary>
    [Fact]
    public async Task Ctrl_c_mid_upload_leaves_no_volume_and_no_domain()
    {
        using var vm = new LibvirtVm(Host, "sigint", DataVmdk(384));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "v2v.dll"), "convert", vm.Vmx, "-o", "libvirt", "-oc", Host.LocalUri, "-os", Host.DirPool, "--network", Host.NetworkName, "--set", QemuDomain, "-c", "--no-guest-fixups" })
        {
            psi.ArgumentList.Add(a);
        }

        var file = Path.Combine(vm.PoolPath(Host.DirPool), vm.Volume());
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited && !(File.Exists(file) && new FileInfo(file).Length > 4 << 20))
        {
            Thread.Sleep(20);
        }

        Assert.False(p.HasExited, "the conversion ended before it could be interrupted; make the disk larger");
        Assert.Equal(0, Tool.Run("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        Assert.True(p.WaitForExit(60_000), "the interrupted conversion did not stop");
        var stderr = await err;
        Assert.True(p.ExitCode == ExitCodes.Interrupted, $"exit {p.ExitCode}: {stderr}");
        vm.AssertNothingOnHost(Host.DirPool);
        Assert.False(File.Exists(file));
    }

    private static void DefineDummy(string name, string? uuid)
    {
        var dir = RepoPaths.NewTempDir("v2v-dummy");
        try
        {
            var xml = Path.Combine(dir, "d.xml");
            File.WriteAllText(xml, $"<domain type='qemu'><name>{name}</name>{(uuid is null ? "" : $"<uuid>{uuid}</uuid>")}<memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>");
            Host.CheckVirsh(Host.LocalUri, "define", xml);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A 1 TiB sparse VMDK: more than any test pool holds as raw. (LibvirtVm takes the file and its folder.)</summary>
    private static string BigSparseVmdk()
    {
        var path = Path.Combine(RepoPaths.NewTempDir("v2v-big"), "big.vmdk");
        Assert.Equal(0, Tool.Run("qemu-img", ["create", "-q", "-f", "vmdk", path, "1T"]).ExitCode);
        return path;
    }

    /// <summary>A VMDK with <paramref name="mib"/> MiB of random data (incompressible, so a copy takes a while). (LibvirtVm takes the file and its folder.)</summary>
    private static string DataVmdk(int mib)
    {
        var dir = RepoPaths.NewTempDir("v2v-data");
        var raw = Path.Combine(dir, "data.raw");
        var rng = new Random(mib);
        var chunk = new byte[1 << 20];
        using (var f = File.Create(raw))
        {
            for (var i = 0; i < mib; i++)
            {
                rng.NextBytes(chunk);
                f.Write(chunk);
            }
        }

        var vmdk = Path.Combine(dir, "data.vmdk");
        Assert.Equal(0, Tool.Run("qemu-img", ["convert", "-f", "raw", "-O", "vmdk", raw, vmdk]).ExitCode);
        File.Delete(raw);
        return vmdk;
    }
}

/// <summary>The libvirt tests share one daemon and its pools; they run one class at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibvirtCollection
{
    public const string Name = "libvirt host";
}
