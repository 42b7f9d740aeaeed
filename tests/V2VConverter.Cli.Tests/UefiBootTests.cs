using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// Issue 16: a UEFI Linux guest boots after conversion. The UEFI variant of the fixture guest (GPT, ESP with shim and grub
/// in EFI/debian only, no EFI/BOOT fallback; built by tests/deps/make-uefi-guest.sh) gets the NVRAM VMware would have
/// written beside its .vmx (Boot0001 "debian" \EFI\debian\shimx64.efi), is converted with the CLI, and is booted under
/// OVMF by ../shared/fixtures/boot-check-x.sh with the domain XML and every NIC, twice: with the domain's own variable
/// store (the entry carried by virt-fw-vars), and with an empty store from the template (the ESP's fallback loader).
/// </summary>
[Trait("Category", "Boot")]
public sealed class UefiBootTests
{
    /// <summary>The fixture's ESP: partition 1, its fixed GPT partition GUID, 64 MiB from sector 2048.</summary>
    private static readonly Guid EspPartition = new("5a1e0003-0f10-4d65-9bd6-000000000003");

    private const ulong EspStart = 2048;
    private const ulong EspSectors = 64 * 2048;

    [Fact]
    public void A_converted_uefi_guest_boots_its_carried_entry_and_with_an_empty_variable_store_its_fallback()
    {
        Tool.Require("qemu-system-x86_64");
        Tool.Require("xmllint");
        Assert.SkipUnless(File.Exists("/usr/share/OVMF/OVMF_CODE_4M.fd"), "no OVMF (apt-get install ovmf): the UEFI boot needs it");
        var fixture = LinuxGuestFixture.Require("uefi");
        var dir = RepoPaths.NewTempDir("v2v-uefi");
        try
        {
            // The VM folder as VMware leaves it: the .vmx, the disk and the NVRAM with the boot entry.
            var src = Path.Combine(dir, "src");
            var vmx = LinuxGuestFixture.CopyVm(fixture, src);
            var vmdk = Path.Combine(fixture, "guest.vmdk");
            new VmwareNvramWriter().WithTypicalNoise()
                .AddDeviceBootOption(0, "EFI VMware Virtual SCSI Hard Drive (0.0)")
                .AddBootOption(1, "debian", @"\EFI\debian\shimx64.efi", 1, EspPartition, EspStart, EspSectors)
                .SetBootOrder(1, 0)
                .Write(Path.Combine(src, "guest.nvram"));
            var before = FileHash.Sha256(vmdk);

            var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
            var r = CliRunner.Run(dir, new Dictionary<string, string?> { ["HOME"] = dir }, "convert", vmx, "-o", "local", "-os", outDir);
            Assert.True(r.ExitCode == 0, r.Err);
            Assert.DoesNotContain("compatibility", r.Err);

            var xmlPath = Directory.GetFiles(outDir, "*.xml").Single();
            var xml = File.ReadAllText(xmlPath);
            XmlValidator.AssertValidDomain(xml, "converted UEFI fixture");
            Assert.Contains("/usr/share/OVMF/OVMF_CODE_4M.fd</loader>", xml);
            Assert.Contains("template=\"/usr/share/OVMF/OVMF_VARS_4M.fd\"", xml);

            // The report says what was done and why: the NVRAM's entry, the empty store, the fallback made from shim.
            using var report = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(outDir, "*.report.json").Single()));
            var uefi = report.RootElement.GetProperty("guest").GetProperty("fixups").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "uefi-boot");
            Assert.Equal("applied", uefi.GetProperty("status").GetString());
            var actions = string.Join("\n", uefi.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
            Assert.Contains(@"boots Boot0001 ""debian"" \EFI\debian\shimx64.efi first", actions);
            Assert.Contains("That entry was carried into the domain's own variable store", actions);
            Assert.Contains("copied EFI/debian/shimx64.efi to EFI/BOOT/BOOTX64.EFI", actions);
            Assert.Contains("copied EFI/debian/grubx64.efi to EFI/BOOT/grubx64.efi", actions);

            // The domain's own variable store, made from the template by virt-fw-vars, holds the carried entry.
            var vars = Path.Combine(outDir, "debian12-v2v-fixture_VARS.fd");
            Assert.Contains($">{vars}</nvram>", xml);
            var print = Tool.Run("virt-fw-vars", ["--input", vars, "--print"]);
            Assert.Matches(@"Boot0001\s*: boot entry: title=""debian"" devpath=Partition\(nr=1\)/FilePath\(\\EFI\\debian\\shimx64\.efi\)", print.All);

            // 1. As converted: OVMF boots the carried entry from the domain's store.
            var carried = Boot(xmlPath, r.Err);
            Assert.Contains(@"BdsDxe: starting Boot0001 ""debian"" from HD(1,GPT,5A1E0003-0F10-4D65-9BD6-000000000003,0x800,0x20000)/\EFI\debian\shimx64.efi", carried);

            // 2. With the store lost (libvirt makes an empty one from the template): the ESP's fallback boots it.
            var doc = System.Xml.Linq.XDocument.Load(xmlPath);
            doc.Root!.Element("os")!.Element("nvram")!.Value = "";
            var templateOnly = Path.Combine(dir, "template-only.xml");
            doc.Save(templateOnly);
            var fallback = Boot(templateOnly, r.Err);
            Assert.Contains("BdsDxe: starting Boot", fallback);
            Assert.DoesNotContain(@"""debian""", fallback);
            Assert.Equal(before, FileHash.Sha256(vmdk)); // the source is never written
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Boots the XML under OVMF with every NIC; the probe must succeed. Returns the serial console (firmware messages included).</summary>
    private static string Boot(string xml, string convertLog)
    {
        var serial = Path.ChangeExtension(xml, ".serial.log");
        var boot = Tool.Run("bash", [Path.Combine(RepoPaths.Shared!, "fixtures", "boot-check-x.sh"), "--domain-xml", xml, "--timeout", "400", "--log", serial], timeoutMs: 900_000);
        Assert.True(boot.ExitCode == 0, $"boot-check-x failed:\n{boot.All}\n{convertLog}");
        Assert.Contains("V2V-BOOT-OK", boot.All);
        Assert.Contains("root=/dev/vda2 data=/dev/vda3", boot.All);
        Assert.Contains("V2V-NET-OK", boot.All);
        return File.ReadAllText(serial);
    }

    [Fact]
    public void A_secure_boot_source_gets_the_secure_ovmf_its_keys_and_smm_and_the_xml_validates()
    {
        var dir = RepoPaths.NewTempDir("v2v-sb");
        try
        {
            var vmx = Path.Combine(dir, "sb.vmx");
            File.WriteAllText(vmx, SmallVmx.Text("sb", "sb.vmdk", extra: "firmware = \"efi\"\nuefi.secureBoot.enabled = \"TRUE\""));
            var r = CliRunner.Run(dir, "xml", vmx);
            Assert.True(r.ExitCode == 0, r.Err);
            XmlValidator.AssertValidDomain(r.Out, "secure-boot source");
            var doc = System.Xml.Linq.XDocument.Parse(r.Out);
            var os = doc.Root!.Element("os")!;
            Assert.Equal("q35", os.Element("type")!.Attribute("machine")!.Value);
            Assert.Equal("/usr/share/OVMF/OVMF_CODE_4M.ms.fd", os.Element("loader")!.Value);
            Assert.Equal("yes", os.Element("loader")!.Attribute("secure")!.Value);
            Assert.Equal("/usr/share/OVMF/OVMF_VARS_4M.ms.fd", os.Element("nvram")!.Attribute("template")!.Value);
            Assert.Equal("on", doc.Root!.Element("features")!.Element("smm")!.Attribute("state")!.Value);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
