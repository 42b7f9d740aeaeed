using V2VConverter.Formats.Nvram;
using V2VConverter.Pipeline.Uefi;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Uefi;

/// <summary>
/// The boot entries of a VMware NVRAM carried into a variable store made from Debian's OVMF template by the real
/// virt-fw-vars, read back with virt-fw-vars itself (the oracle): the file entries in BootOrder, in their portable short
/// form; VMware's device entries left behind.
/// </summary>
public sealed class OvmfVarsBuilderTests : IDisposable
{
    private const string Template = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    private static readonly Guid Esp = new("5a1e0003-0f10-4d65-9bd6-000000000003");
    private readonly string _dir = RepoPaths.NewTempDir("v2v-vars");

    public void Dispose() => Directory.Delete(_dir, true);

    private static Model.Vm.UefiBootState Boot() => VmwareNvram.ReadBootState(
        new VmwareNvramWriter().WithTypicalNoise()
            .AddDeviceBootOption(0, "EFI VMware Virtual SCSI Hard Drive (0.0)")
            .AddBootOption(3, "debian", @"\EFI\debian\shimx64.efi", 1, Esp, 2048, 131072)
            .AddBootOption(5, "old kernel", @"\EFI\debian\grubx64.efi", 1, Esp, 2048, 131072)
            .SetBootOrder(3, 0, 5)
            .ToArray(),
        "guest.nvram");

    [Fact]
    public void The_file_entries_are_carried_in_boot_order_into_a_store_made_from_the_template()
    {
        Tool.Require(OvmfVarsBuilder.Tool);
        Assert.SkipUnless(File.Exists(Template), "no OVMF (apt-get install ovmf)");
        var log = new TestLog();

        var bytes = OvmfVarsBuilder.Build(Template, Boot(), log.Logger, TestContext.Current.CancellationToken);

        Assert.NotNull(bytes);
        Assert.Equal(new FileInfo(Template).Length, bytes.Length);
        var store = Path.Combine(_dir, "guest_VARS.fd");
        File.WriteAllBytes(store, bytes);
        var print = Tool.Run(OvmfVarsBuilder.Tool, ["--input", store, "--print"]);
        Assert.True(print.ExitCode == 0, print.All);
        Assert.Matches(@"Boot0003\s*: boot entry: title=""debian"" devpath=Partition\(nr=1\)/FilePath\(\\EFI\\debian\\shimx64\.efi\)", print.All);
        Assert.Matches(@"Boot0005\s*: boot entry: title=""old kernel"" devpath=Partition\(nr=1\)/FilePath\(\\EFI\\debian\\grubx64\.efi\)", print.All);
        Assert.DoesNotContain("Boot0000", print.All);
        Assert.Matches(@"BootOrder\s*: boot order: 0003, 0005", print.All);
        Assert.Contains(log.Infos, e => e.Message.Contains(@"carried Boot0003 ""debian"" \EFI\debian\shimx64.efi, Boot0005", StringComparison.Ordinal));
    }

    [Fact]
    public void A_secure_boot_store_keeps_the_templates_keys_beside_the_carried_entries()
    {
        Tool.Require(OvmfVarsBuilder.Tool);
        const string secure = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
        Assert.SkipUnless(File.Exists(secure), "no secure-boot OVMF (apt-get install ovmf)");

        var bytes = OvmfVarsBuilder.Build(secure, Boot(), new TestLog().Logger, TestContext.Current.CancellationToken);

        var store = Path.Combine(_dir, "sb_VARS.fd");
        File.WriteAllBytes(store, bytes!);
        var print = Tool.Run(OvmfVarsBuilder.Tool, ["--input", store, "--print"]).All;
        var keys = Tool.Run(OvmfVarsBuilder.Tool, ["--input", secure, "--print"]).All;
        foreach (var name in new[] { "PK", "KEK", "db", "dbx" })
        {
            var line = keys.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.Contains(line, print.Split('\n'));
        }

        Assert.Matches(@"SecureBootEnable\s*: bool: ON", print);
        Assert.Matches(@"BootOrder\s*: boot order: 0003, 0005", print);
    }

    [Fact]
    public void Nothing_is_carried_without_a_template_or_without_a_file_entry()
    {
        var log = new TestLog();
        Assert.Null(OvmfVarsBuilder.Build(Path.Combine(_dir, "no-such-VARS.fd"), Boot(), log.Logger, TestContext.Current.CancellationToken));
        Assert.Contains(log.Infos, e => e.Message.Contains("no-such-VARS.fd is not on this host", StringComparison.Ordinal));

        var devicesOnly = VmwareNvram.ReadBootState(new VmwareNvramWriter().AddDeviceBootOption(0, "EFI Network").SetBootOrder(0).ToArray(), "net.nvram");
        Assert.Null(OvmfVarsBuilder.Build(Template, devicesOnly, log.Logger, TestContext.Current.CancellationToken));
        Assert.Contains(log.Infos, e => e.Message.Contains("net.nvram has no boot entry for a file on a disk partition", StringComparison.Ordinal));
        Assert.Empty(log.Warnings);
    }
}
