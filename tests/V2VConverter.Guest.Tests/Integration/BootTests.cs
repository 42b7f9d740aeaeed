using System.Diagnostics;
using System.Security;
using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Integration;

/// <summary>
/// Proof by booting: the converted fixture is booted under QEMU/TCG on q35 with virtio-blk and a
/// virtio-net NIC carrying the VMX's static MAC (boot-check.sh --domain-xml). Slow (a conversion
/// plus a boot each), so tagged Category=Boot for the everyday loop to skip.
/// </summary>
[Collection("guest appliance")]
[Trait("Category", "Boot")]
public sealed class BootTests(GuestFixture fixture)
{
    // The plain and pinned variants with UUID naming boot end to end through the CLI
    // (tests/V2VConverter.Cli.Tests/CliBootTests.cs: ./v2v convert + boot-check --domain-xml on our XML).

    /// <summary>The vd naming style on the harder variant: grub keeps device names (vda1), written over the appliance's sda1.</summary>
    [Fact]
    public void Pinned_variant_with_vd_names_boots() =>
        AssertBoots(fixture.Get("pinned", DeviceNamingStyle.VirtioName), expectUuid: false);

    private static void AssertBoots(ConvertedGuest c, bool expectUuid = true)
    {
        Tool.Require("qemu-system-x86_64");
        Tool.Require("xmllint");
        Assert.True(c.Report.Succeeded, string.Join("\n", c.Report.Warnings.Prepend(c.Report.CompatibilityReason ?? "")));
        Assert.Equal(c.SourceShaBefore, c.SourceShaAfter);
        var fstab = c.Files["/etc/fstab"];
        Assert.Contains(expectUuid ? "UUID=5a1e0001-0f10-4d65-9bd6-000000000001" : "/dev/vda1 ", fstab, StringComparison.Ordinal);

        var xml = Path.Combine(c.Directory, "domain.xml");
        File.WriteAllText(xml, DomainXml(c.OutputQcow2, "qcow2", GuestFixture.FixtureMac));
        var script = Path.Combine(RepoPaths.Shared!, "fixtures", "boot-check.sh");
        var sw = Stopwatch.StartNew();
        var r = Tool.Run("bash", [script, "--domain-xml", xml, "--timeout", "300", "--log", Path.Combine(c.Directory, $"serial-{Guid.NewGuid():N}.log")], timeoutMs: 480_000);
        var output = r.All;
        File.WriteAllText(Path.Combine(c.Directory, "boot-check.out"), $"{output}\n(wall {sw.Elapsed.TotalSeconds:F1} s)\n");
        TestContext.Current.SendDiagnosticMessage($"boot-check ({sw.Elapsed.TotalSeconds:F1} s):\n{output}");
        Assert.True(r.ExitCode == 0, $"boot-check failed:\n{output}\nconversion log:\n{string.Join('\n', c.Log)}");
        Assert.Contains("V2V-BOOT-OK", output, StringComparison.Ordinal);
        Assert.Contains("root=/dev/vda1 data=/dev/vda2 disks=vda", output, StringComparison.Ordinal);
        Assert.Contains("V2V-PROBE-NET config=ens160:up", output, StringComparison.Ordinal);
        Assert.Contains("V2V-NET-OK", output, StringComparison.Ordinal);
        Assert.Contains("virtio_blk", output, StringComparison.Ordinal);
    }

    /// <summary>A minimal libvirt domain: q35, the converted disk on virtio, one virtio NIC with the source MAC.</summary>
    internal static string DomainXml(string disk, string format, string mac) => $"""
        <domain type='qemu'>
          <name>debian12-v2v-fixture</name>
          <memory unit='MiB'>1024</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='q35'>hvm</type>
            <boot dev='hd'/>
          </os>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='{format}'/>
              <source file='{SecurityElement.Escape(disk)}'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='user'>
              <mac address='{mac}'/>
              <model type='virtio'/>
            </interface>
            <serial type='pty'/>
          </devices>
        </domain>
        """;
}
