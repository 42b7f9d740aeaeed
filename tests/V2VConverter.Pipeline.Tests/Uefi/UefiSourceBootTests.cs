using V2VConverter.Mapping.Plan;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Pipeline.Uefi;
using V2VConverter.Pipeline.Sources.VSphere;
using V2VConverter.Pipeline.Sources.Vmx;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;

namespace V2VConverter.Pipeline.Tests.Uefi;

/// <summary>
/// VMware's NVRAM reaches the guest stage: beside a local .vmx (the <c>nvram</c> key, else NAME.nvram), and fetched from
/// the datastore for a vSphere VM (vcsim, TLS on). Missing or broken, it is a logged reason, never a failed conversion.
/// </summary>
public sealed class UefiSourceBootTests : IDisposable
{
    private const string User = "uefiuser";
    private const string Password = "Uefi-S3cret-pw";
    private static readonly Guid Esp = new("5a1e0003-0f10-4d65-9bd6-000000000003");
    private static readonly FirmwarePlan Efi = new(true, true, "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", null, null);

    private readonly string _dir = RepoPaths.NewTempDir("v2v-uefi-src");

    public void Dispose() => Directory.Delete(_dir, true);

    private static byte[] Nvram() => new VmwareNvramWriter().WithTypicalNoise()
        .AddBootOption(1, "debian", @"\EFI\debian\shimx64.efi", 1, Esp, 2048, 131072)
        .AddDeviceBootOption(2, "EFI Network")
        .SetBootOrder(1, 2)
        .ToArray();

    private SourceContext Context(TestLog log, string? staging = null) => new()
    {
        Log = log.Logger,
        WorkingDirectory = _dir,
        StagingDirectory = staging,
        GetEnv = n => n switch { "V2V_PASSWORD" => Password, "HOME" => _dir, _ => null },
    };

    [Fact]
    public void A_vsphere_vms_nvram_is_fetched_from_its_datastore_folder()
    {
        using var server = VcsimServer.Start("-model", "esx", "-vm", "2", "-user", User, "-pass", Password, "-off", "all", "-efi", "ha-host_VM0");
        var vm = server.Banner.Vms.Single(v => v.Name == "ha-host_VM0");
        File.WriteAllBytes(Path.ChangeExtension(server.LocalPath(vm.VmPathName), ".nvram"), Nvram());
        var log = new TestLog();
        var spec = new SourceSpec { Location = $"esx://{User}@{server.HostPort}/", VmName = "ha-host_VM0", Thumbprint = server.Banner.Sha256 };
        using var source = new VSphereInventorySource().Open(spec, Context(log, Directory.CreateDirectory(Path.Combine(_dir, "staging")).FullName));

        Assert.Equal(Path.ChangeExtension(vm.VmPathName, ".nvram"), source.Nvram!.Origin);
        var uefi = UefiSourceBoot.Read(Efi, source.Nvram, log.Logger, TestContext.Current.CancellationToken)!;
        Assert.True(uefi.SecureBoot);
        Assert.Equal([1, 2], uefi.SourceBoot!.BootOrder);
        var first = uefi.SourceBoot.Ordered[0];
        Assert.Equal((@"\EFI\debian\shimx64.efi", 1, (Guid?)Esp), (first.FilePath, first.Partition, first.PartitionGuid));
        Assert.Contains(log.Events, e => e.Message.Contains(@"Boot0001 ""debian"" \EFI\debian\shimx64.efi on partition 1", StringComparison.Ordinal));
    }

    [Fact]
    public void A_vsphere_vm_with_an_empty_or_no_nvram_file_is_searched_on_its_partition_instead()
    {
        using var server = VcsimServer.Start("-model", "esx", "-vm", "1", "-user", User, "-pass", Password, "-off", "all", "-efi", "ha-host_VM0");
        var vm = server.Banner.Vms.Single(v => v.Name == "ha-host_VM0");
        var log = new TestLog();
        var spec = new SourceSpec { Location = $"esx://{User}@{server.HostPort}/", VmName = "ha-host_VM0", Thumbprint = server.Banner.Sha256 };
        using var source = new VSphereInventorySource().Open(spec, Context(log, Directory.CreateDirectory(Path.Combine(_dir, "staging")).FullName));

        // The simulator makes an empty NVRAM, as a VM that was never powered on has.
        var empty = UefiSourceBoot.Read(Efi, source.Nvram, log.Logger, TestContext.Current.CancellationToken)!;
        Assert.Null(empty.SourceBoot);
        Assert.Contains("ha-host_VM0.nvram is empty", empty.SourceBootProblem);

        File.Delete(Path.ChangeExtension(server.LocalPath(vm.VmPathName), ".nvram"));
        var uefi = UefiSourceBoot.Read(Efi, source.Nvram, log.Logger, TestContext.Current.CancellationToken)!;
        Assert.Null(uefi.SourceBoot);
        Assert.Contains("ha-host_VM0.nvram does not exist", uefi.SourceBootProblem);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void A_local_vmx_names_its_nvram_and_a_broken_one_is_a_warning_naming_it()
    {
        var vmx = Path.Combine(_dir, "web.vmx");
        File.WriteAllText(vmx, SmallVmx.Text("web", "web.vmdk", extra: "firmware = \"efi\"\nnvram = \"boot-vars.nvram\""));
        var log = new TestLog();
        using (var source = new VmxFileSource().Open(new SourceSpec { Location = vmx }, Context(log)))
        {
            Assert.Equal(Path.Combine(_dir, "boot-vars.nvram"), source.Nvram!.Origin);
            File.WriteAllBytes(source.Nvram.Origin, Nvram());
            Assert.Equal("debian", UefiSourceBoot.Read(Efi, source.Nvram, log.Logger, TestContext.Current.CancellationToken)!.SourceBoot!.Ordered[0].Description);

            File.WriteAllBytes(source.Nvram.Origin, new byte[4096]);
            var broken = UefiSourceBoot.Read(Efi, source.Nvram, log.Logger, TestContext.Current.CancellationToken)!;
            Assert.Null(broken.SourceBoot);
            Assert.Contains(log.Warnings, w => w.Message.Contains("boot-vars.nvram: no VMWNVRAM variable region", StringComparison.Ordinal));
        }

        // Without the key, VMware's default: the .vmx's own name.
        File.WriteAllText(vmx, SmallVmx.Text("web", "web.vmdk", extra: "firmware = \"efi\""));
        using var plain = new VmxFileSource().Open(new SourceSpec { Location = vmx }, Context(log));
        Assert.Equal(Path.Combine(_dir, "web.nvram"), plain.Nvram!.Origin);
        Assert.Null(UefiSourceBoot.Read(Efi with { Efi = false }, plain.Nvram, log.Logger, TestContext.Current.CancellationToken));
    }
}
