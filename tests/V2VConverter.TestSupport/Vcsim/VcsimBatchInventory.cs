using System.Globalization;
using System.Text;

namespace V2VConverter.TestSupport.Vcsim;

/// <summary>
/// What <see cref="VcsimBatchInventory.Start"/> builds. VM names are the simulator's as they are before
/// <see cref="Dup"/> renames two of them: <c>ha-host_VM0</c> ... <c>ha-host_VM21</c> for an ESXi host,
/// <c>DC0_H0_VM0</c>, <c>DC0_H1_VM0</c> ... for a vCenter (<see cref="Hosts"/> standalone hosts).
/// </summary>
public sealed record VcsimBatchOptions
{
    public const string DefaultUser = "batchuser";
    public const string DefaultPassword = "Batch-S3cret-pw";

    /// <summary>The VMs of the ESXi host, or of each host of a vCenter.</summary>
    public int VmCount { get; init; } = 22;

    /// <summary>False: one ESXi host (esx://). True: a vCenter, datacenter DC0, with <see cref="Hosts"/> standalone hosts (vpx://).</summary>
    public bool VCenter { get; init; }

    /// <summary>Standalone hosts of the vCenter (each runs <see cref="VmCount"/> VMs); ignored for an ESXi host.</summary>
    public int Hosts { get; init; } = 2;

    /// <summary>VMs left running; every other VM is powered off.</summary>
    public IReadOnlyList<string> PoweredOn { get; init; } = [];

    /// <summary>VM to snapshot name (vcsim records the snapshot; the disk stays one flat link).</summary>
    public IReadOnlyDictionary<string, string> Snapshots { get; init; } = new Dictionary<string, string>();

    /// <summary>VMs given a second disk that is a physical-mode RDM (independent_persistent); it gets no data file.</summary>
    public IReadOnlyList<string> Rdm { get; init; } = [];

    /// <summary>"NAME=VMa,VMb": VMb moves into folder "Dup" and both are renamed NAME.</summary>
    public string? Dup { get; init; }

    public IReadOnlyList<string> Cbt { get; init; } = [];

    public IReadOnlyList<string> Efi { get; init; } = [];

    /// <summary>EFI with Secure Boot.</summary>
    public IReadOnlyList<string> SecureBoot { get; init; } = [];

    /// <summary>config.keyId set (vcsim cannot encrypt; the key id is all the API shows).</summary>
    public IReadOnlyList<string> Encrypted { get; init; } = [];

    public IReadOnlyList<string> Vtpm { get; init; } = [];

    /// <summary>A vGPU (PCI passthrough, profile grid_t4-2q).</summary>
    public IReadOnlyList<string> Vgpu { get; init; } = [];

    /// <summary>The SCSI controller shares its bus (physicalSharing).</summary>
    public IReadOnlyList<string> SharedBus { get; init; } = [];

    /// <summary>ShutdownGuest is accepted but the guest keeps running (a guest that ignores ACPI).</summary>
    public IReadOnlyList<string> IgnoreShutdown { get; init; } = [];

    /// <summary>ShutdownGuest fails with ToolsUnavailable.</summary>
    public IReadOnlyList<string> NoTools { get; init; } = [];

    /// <summary>Size of each VM's disk (4 MiB at least).</summary>
    public int DiskMiB { get; init; } = 4;

    public string User { get; init; } = DefaultUser;

    public string Password { get; init; } = DefaultPassword;
}

/// <summary>
/// An ESXi inventory for batch tests: vcsim with <see cref="VcsimBatchOptions.VmCount"/> VMs, and for every VM a
/// real disk in ESXi's flat layout (a "vmfs" descriptor and its <c>-flat.vmdk</c>) at the path its .vmx names,
/// with data that differs per VM (a pattern and the VM's folder name at a few offsets), so that a mix-up
/// between VMs shows in <c>qemu-img compare</c>.
/// </summary>
public sealed class VcsimBatchInventory : IDisposable
{
    private const int SectorSize = 512;
    private static readonly long[] PatternOffsetsMiB = [0, 1];

    private VcsimBatchInventory(VcsimServer server, VcsimBatchOptions options)
    {
        Server = server;
        Options = options;
    }

    public VcsimServer Server { get; }

    public VcsimBatchOptions Options { get; }

    /// <summary>esx://user@127.0.0.1:port/, or vpx://user@127.0.0.1:port/DC0 for a vCenter.</summary>
    public string Uri => Options.VCenter ? $"vpx://{Options.User}@{Server.HostPort}/DC0" : $"esx://{Options.User}@{Server.HostPort}/";

    /// <summary>The CLI arguments that pin the simulator's certificate.</summary>
    public IReadOnlyList<string> Pin => ["--thumbprint", Server.Banner.Sha256];

    /// <summary>The VMs as the simulator reported them after setup (renames applied), sorted by name then id.</summary>
    public IReadOnlyList<VcsimVm> Vms => Server.Banner.Vms;

    /// <summary>Starts the simulator and writes every VM's disk; a few seconds for 22 VMs.</summary>
    public static VcsimBatchInventory Start(VcsimBatchOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.VmCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.DiskMiB, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Hosts, 1);
        string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
        List<string> args = o.VCenter
            ? ["-model", "vpx", "-vm", Num(o.VmCount), "-host", Num(o.Hosts), "-cluster", "0"]
            : ["-model", "esx", "-vm", Num(o.VmCount)];
        args.AddRange(["-user", o.User, "-pass", o.Password, "-off", "all"]);
        void Add(string flag, IEnumerable<string> values)
        {
            var list = string.Join(',', values);
            if (list.Length > 0)
            {
                args.Add(flag);
                args.Add(list);
            }
        }

        Add("-on", o.PoweredOn);
        Add("-snapshot", o.Snapshots.Select(kv => $"{kv.Key}:{kv.Value}"));
        Add("-rdm", o.Rdm);
        Add("-cbt", o.Cbt);
        Add("-efi", o.Efi);
        Add("-secure-boot", o.SecureBoot);
        Add("-encrypted", o.Encrypted);
        Add("-vtpm", o.Vtpm);
        Add("-vgpu", o.Vgpu);
        Add("-shared-bus", o.SharedBus);
        Add("-ignore-shutdown", o.IgnoreShutdown);
        Add("-no-tools", o.NoTools);
        if (o.Dup is not null)
        {
            Add("-dup", [o.Dup]);
        }

        var server = VcsimServer.Start([.. args]);
        try
        {
            var inventory = new VcsimBatchInventory(server, o);
            for (var i = 0; i < server.Banner.Vms.Count; i++)
            {
                inventory.WriteDisk(server.Banner.Vms[i], i);
            }

            return inventory;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The environment a CLI run needs: the password (V2V_PASSWORD) and an empty HOME (no .netrc).</summary>
    public Dictionary<string, string?> Env() => new()
    {
        ["HOME"] = RepoPaths.NewTempDir("v2v-home"),
        ["V2V_PASSWORD"] = Options.Password,
    };

    /// <summary>One VM by name or by managed object id (<c>vm-18</c>); a name two VMs share must be given as an id.</summary>
    public VcsimVm Vm(string nameOrRef)
    {
        var matches = Vms.Where(v => v.Name == nameOrRef || v.Ref == nameOrRef).ToArray();
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw new ArgumentException($"no VM {nameOrRef} in the simulator ({string.Join(", ", Vms.Select(v => v.Name))})", nameOrRef),
            _ => throw new ArgumentException($"{matches.Length} VMs are named {nameOrRef}; use one of the ids {string.Join(", ", matches.Select(v => v.Ref))}", nameOrRef),
        };
    }

    /// <summary>The local path of the VM's (first) disk descriptor, by VM name or managed object id.</summary>
    public string DiskPath(string vmName) => Server.LocalPath(DataDisks(Vm(vmName)).First());

    /// <summary>
    /// Makes the VM's disk unreadable: the descriptor stays, its <c>-flat.vmdk</c> extent is deleted, so a
    /// download or a read fails naming that file.
    /// </summary>
    public void Corrupt(string vmName)
    {
        var descriptor = DiskPath(vmName);
        File.Delete(FlatOf(descriptor));
    }

    /// <summary>The extent next to a descriptor: "disk1.vmdk" has "disk1-flat.vmdk".</summary>
    public static string FlatOf(string descriptor) =>
        Path.Combine(Path.GetDirectoryName(descriptor)!, Path.GetFileNameWithoutExtension(descriptor) + "-flat.vmdk");

    public void Dispose() => Server.Dispose();

    /// <summary>The VM's disks that hold data (an RDM's mapping file is left as the launcher wrote it).</summary>
    private static IEnumerable<string> DataDisks(VcsimVm vm) =>
        (vm.Disks ?? []).Where(d => !d.EndsWith("_rdm.vmdk", StringComparison.Ordinal));

    private void WriteDisk(VcsimVm vm, int index)
    {
        foreach (var disk in DataDisks(vm))
        {
            var descriptor = Server.LocalPath(disk);
            var flat = FlatOf(descriptor);
            var bytes = Options.DiskMiB * 1024L * 1024;
            WriteFlat(flat, bytes, vm, index);
            // As ESXi writes it (qemu-img reads a descriptor without the "# Extent description" line as twice the size).
            var cid = (0x10000000u + (uint)index).ToString("x8", CultureInfo.InvariantCulture);
            File.WriteAllText(descriptor,
                "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\n" +
                $"CID={cid}\nparentCID=ffffffff\ncreateType=\"vmfs\"\n\n# Extent description\n" +
                $"RW {bytes / SectorSize} VMFS \"{Path.GetFileName(flat)}\"\n\n# The Disk Data Base\n#DDB\n\n" +
                "ddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"13\"\n");
        }
    }

    /// <summary>A sparse raw file: a per-VM byte pattern and a label naming the VM at a few offsets, zeros elsewhere.</summary>
    private static void WriteFlat(string flat, long bytes, VcsimVm vm, int index)
    {
        File.Delete(flat);
        using var h = File.OpenHandle(flat, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        RandomAccess.SetLength(h, bytes);
        var pattern = (byte)(0x11 + (index * 37 % 0xe0));
        var block = new byte[64 * 1024];
        Array.Fill(block, pattern);
        var label = Encoding.ASCII.GetBytes($"v2v batch disk of {vm.VmPathName} ({vm.Ref})\n");
        label.CopyTo(block, 512);
        foreach (var mib in PatternOffsetsMiB)
        {
            RandomAccess.Write(h, block, mib * 1024 * 1024);
        }

        // The last 64 KiB, and a block whose place depends on the VM, so two VMs differ in layout as well as in bytes.
        RandomAccess.Write(h, block, bytes - block.Length);
        RandomAccess.Write(h, block, 2L * 1024 * 1024 + (index % 16) * block.Length);
    }
}
