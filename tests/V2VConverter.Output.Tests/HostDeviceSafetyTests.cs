using System.Xml.Linq;
using V2VConverter.TestSupport;

namespace V2VConverter.Output.Tests;

/// <summary>
/// Issue 11 point 3: host paths from a stranger's VMX (serial/parallel files and devices, sockets, CD-ROM and floppy
/// images outside the VM folder) must not reach the domain XML unless --keep-host-devices asks for them.
/// </summary>
public sealed class HostDeviceSafetyTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-hostdev");

    public void Dispose() => Directory.Delete(_dir, true);

    private const string Header = """
        config.version = "8"
        virtualHW.version = "14"
        displayName = "hostdev"
        guestOS = "ubuntu-64"
        memsize = "1024"
        scsi0.present = "TRUE"
        scsi0.virtualDev = "pvscsi"
        scsi0:0.present = "TRUE"
        scsi0:0.fileName = "disk.vmdk"

        """;

    private const string Hostile = Header + """
        serial0.present = "TRUE"
        serial0.fileType = "file"
        serial0.fileName = "/etc/passwd"
        serial1.present = "TRUE"
        serial1.fileType = "device"
        serial1.fileName = "/dev/sda"
        serial2.present = "TRUE"
        serial2.fileType = "pipe"
        serial2.fileName = "/run/libvirt/libvirt-sock"
        serial2.pipe.endPoint = "client"
        serial3.present = "TRUE"
        serial3.fileType = "network"
        serial3.fileName = "telnet://0.0.0.0:23"
        serial3.network.endPoint = "server"
        parallel0.present = "TRUE"
        parallel0.fileType = "file"
        parallel0.fileName = "/etc/group"
        parallel1.present = "TRUE"
        parallel1.fileType = "device"
        parallel1.fileName = "/dev/parport0"
        ide1:0.present = "TRUE"
        ide1:0.deviceType = "cdrom-image"
        ide1:0.fileName = "/etc/passwd"
        floppy0.present = "TRUE"
        floppy0.fileType = "file"
        floppy0.fileName = "/etc/passwd"

        """;

    private static readonly string[] HostPaths = ["/etc/passwd", "/dev/sda", "libvirt-sock", "0.0.0.0", "/etc/group", "/dev/parport0"];

    private (string Xml, V2VConverter.Mapping.Plan.ConversionPlan Plan, TestLog Log) Convert(string vmxText, bool keep = false, string name = "vm.vmx")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, vmxText);
        var log = new TestLog();
        var (xml, plan) = GoldenSupport.Convert(path, keepHostDevices: keep, log: log);
        if (!xml.Contains("{vmxdir}", StringComparison.Ordinal))
        {
            // (a path in the VM folder is shown as {vmxdir}, which the schema's absolute path refuses)
            XmlValidator.AssertValidDomain(xml, name);
        }

        return (xml, plan, log);
    }

    [Fact]
    public void By_default_no_host_path_from_the_vmx_reaches_the_xml()
    {
        var (xml, _, log) = Convert(Hostile);
        foreach (var p in HostPaths)
        {
            Assert.DoesNotContain(p, xml, StringComparison.Ordinal);
        }

        var doc = XDocument.Parse(xml);
        // serial0 (file) keeps its port as a pty; serial1..3 (device, socket, listening socket) are dropped.
        var serial = Assert.Single(doc.Descendants("serial"));
        Assert.Equal("pty", serial.Attribute("type")!.Value);
        Assert.Equal("0", serial.Element("target")!.Attribute("port")!.Value);
        // parallel0 (file) becomes a pty; parallel1 (host device) is dropped.
        var parallel = Assert.Single(doc.Descendants("parallel"));
        Assert.Equal("pty", parallel.Attribute("type")!.Value);
        // the CD-ROM and the floppy stay, empty.
        Assert.All(doc.Descendants("disk").Where(d => (string?)d.Attribute("device") is "cdrom" or "floppy"), d => Assert.Null(d.Element("source")));
        Assert.Equal(2, doc.Descendants("disk").Count(d => (string?)d.Attribute("device") is "cdrom" or "floppy"));

        // each one is a warning naming the VMX key and its value
        var warnings = log.Warnings.Select(w => w.Message).ToList();
        foreach (var (key, value) in new[]
        {
            ("serial0", "/etc/passwd"), ("serial1", "/dev/sda"), ("serial2", "/run/libvirt/libvirt-sock"), ("serial3", "telnet://0.0.0.0:23"),
            ("parallel0", "/etc/group"), ("parallel1", "/dev/parport0"), ("ide1:0", "/etc/passwd"), ("floppy0", "/etc/passwd"),
        })
        {
            Assert.Contains(warnings, w => w.Contains(key + ".fileName", StringComparison.Ordinal) && w.Contains(value, StringComparison.Ordinal) && w.Contains("--keep-host-devices", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Keep_host_devices_carries_them_on_purpose()
    {
        var (xml, plan, log) = Convert(Hostile, keep: true);
        foreach (var p in HostPaths)
        {
            Assert.Contains(p, xml, StringComparison.Ordinal);
        }

        Assert.Equal(4, plan.Serials.Count);
        Assert.Equal(2, plan.Parallels.Count);
        Assert.Equal("/etc/passwd", plan.CdRoms.Single().SourceFile);
        Assert.Equal("/etc/passwd", plan.Floppies.Single().SourceFile);
        Assert.DoesNotContain(log.Warnings, w => w.Message.Contains("--keep-host-devices", StringComparison.Ordinal));
        Assert.Contains(plan.Decisions, d => d.Rule == "option --keep-host-devices");
    }

    [Fact]
    public void Images_inside_the_vm_folder_are_kept()
    {
        File.WriteAllText(Path.Combine(_dir, "tools.iso"), "iso");
        File.WriteAllText(Path.Combine(_dir, "boot.flp"), "flp");
        var (_, plan, log) = Convert(Header + """
            ide1:0.present = "TRUE"
            ide1:0.deviceType = "cdrom-image"
            ide1:0.fileName = "tools.iso"
            floppy0.present = "TRUE"
            floppy0.fileType = "file"
            floppy0.fileName = "boot.flp"
            """);
        Assert.Equal(Path.Combine(_dir, "tools.iso"), plan.CdRoms.Single().SourceFile);
        Assert.Equal(Path.Combine(_dir, "boot.flp"), plan.Floppies.Single().SourceFile);
        Assert.DoesNotContain(log.Warnings, w => w.Message.Contains("--keep-host-devices", StringComparison.Ordinal));
    }

    [Fact]
    public void An_image_that_is_a_link_out_of_the_vm_folder_becomes_an_empty_drive()
    {
        var vmDir = Path.Combine(_dir, "vm");
        Directory.CreateDirectory(vmDir);
        var outside = Path.Combine(_dir, "secret.iso");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(vmDir, "tools.iso"), outside);
        Directory.CreateSymbolicLink(Path.Combine(vmDir, "media"), _dir); // a folder link: vm/media/secret.iso
        var path = Path.Combine(vmDir, "vm.vmx");
        File.WriteAllText(path, Header + """
            ide0:1.present = "TRUE"
            ide0:1.deviceType = "cdrom-image"
            ide0:1.fileName = "tools.iso"
            ide1:0.present = "TRUE"
            ide1:0.deviceType = "cdrom-image"
            ide1:0.fileName = "media/secret.iso"
            floppy0.present = "TRUE"
            floppy0.fileType = "file"
            floppy0.fileName = "../secret.iso"
            """);
        var log = new TestLog();
        var (xml, plan) = GoldenSupport.Convert(path, log: log);
        Assert.DoesNotContain("secret", xml, StringComparison.Ordinal);
        Assert.All(plan.CdRoms, c => Assert.Null(c.SourceFile));
        Assert.Null(plan.Floppies.Single().SourceFile);
        Assert.Contains(log.Warnings, w => w.Message.Contains("ide0:1.fileName", StringComparison.Ordinal) && w.Message.Contains(outside, StringComparison.Ordinal));
        Assert.Contains(log.Warnings, w => w.Message.Contains("ide1:0.fileName", StringComparison.Ordinal));
        Assert.Contains(log.Warnings, w => w.Message.Contains("floppy0.fileName", StringComparison.Ordinal));
    }
}
