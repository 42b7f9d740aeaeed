using System.Runtime.Versioning;
using System.Text.Json;
using V2VConverter.TestSupport;
using V2VConverter.TestSupport.Vcsim;

namespace V2VConverter.Cli.Tests;

/// <summary>An ESXi model for the CLI: VM0 powered off (holding a real ESXi-layout disk), VM1 running.</summary>
public sealed class CliVcsimFixture : IDisposable
{
    public const string User = "cliuser";
    public const string Password = "Cli-S3cret-pw";

    public CliVcsimFixture()
    {
        Server = VcsimServer.Start("-model", "esx", "-vm", "2", "-user", User, "-pass", Password, "-off", "ha-host_VM0");

        // ESXi's own disk layout in VM0's folder: a "vmfs" descriptor + its -flat.vmdk, data written by qemu-io.
        var dir = Path.GetDirectoryName(Server.LocalPath("LocalDS_0", "ha-host_VM0/x"))!;
        Flat = Path.Combine(dir, "disk1-flat.vmdk");
        Descriptor = Path.Combine(dir, "disk1.vmdk");
        Tool.Require("qemu-img");
        Tool.Require("qemu-io");
        File.Delete(Flat);
        Tool.Check("qemu-img", "create", "-q", "-f", "raw", Flat, "16M");
        Tool.Check("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 2M", "-c", "write -P 0xc3 9M 3M", "-c", "write -P 0x01 15M 1M", Flat);
        // As ESXi writes it (qemu-img 7.2 reads a descriptor without the "# Extent description" line as twice the size).
        File.WriteAllText(Descriptor, "# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=0badcafe\nparentCID=ffffffff\ncreateType=\"vmfs\"\n\n# Extent description\nRW 32768 VMFS \"disk1-flat.vmdk\"\n\n# The Disk Data Base\n#DDB\n\nddb.adapterType = \"lsilogic\"\nddb.virtualHWVersion = \"13\"\n");
    }

    public VcsimServer Server { get; }

    public string Flat { get; }

    public string Descriptor { get; }

    public string Uri => $"esx://{User}@{Server.HostPort}/";

    public void Dispose() => Server.Dispose();
}

/// <summary>
/// The vSphere commands end to end through the CLI, against vcsim with TLS on:
/// <c>inventory</c>, <c>convert URI --vm</c> (streamed, no staging) and the user-facing failures.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class VSphereCliTests(CliVcsimFixture sim) : IClassFixture<CliVcsimFixture>
{
    private Dictionary<string, string?> Env(string? password = CliVcsimFixture.Password)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = RepoPaths.NewTempDir("v2v-home") };
        if (password is not null)
        {
            env["V2V_PASSWORD"] = password;
        }

        return env;
    }

    private string[] Pin => ["--thumbprint", sim.Server.Banner.Sha256];

    [Fact]
    public void Inventory_table_and_json_list_exactly_the_simulators_vms()
    {
        var dir = RepoPaths.NewTempDir();
        var table = CliRunner.Run(dir, Env(), ["inventory", sim.Uri, .. Pin]);
        Assert.True(table.ExitCode == 0, table.Err);
        var header = table.Out.Split('\n')[0];
        foreach (var col in new[] { "NAME", "POWER", "GUEST", "CPUS", "MEMORY", "DISKS", "NICS", "SNAPSHOTS", "DATASTORE" })
        {
            Assert.Contains(col, header, StringComparison.Ordinal);
        }

        Assert.Contains(table.Out.Split('\n'), l => l.StartsWith("ha-host_VM0", StringComparison.Ordinal) && l.Contains("poweredOff", StringComparison.Ordinal));
        Assert.Contains(table.Out.Split('\n'), l => l.StartsWith("ha-host_VM1", StringComparison.Ordinal) && l.Contains("poweredOn", StringComparison.Ordinal));

        var json = CliRunner.Run(dir, Env(), ["inventory", sim.Uri, "--json", .. Pin]);
        Assert.True(json.ExitCode == 0, json.Err);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        var names = doc.RootElement.GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("name").GetString()).Order().ToArray();
        Assert.Equal(sim.Server.Banner.Vms.Select(v => v.Name).Order().ToArray(), names);
    }

    [Fact]
    public void Convert_streams_the_esxi_disk_into_qcow2_and_writes_valid_xml_with_nothing_staged()
    {
        var os = RepoPaths.NewTempDir();
        var r = CliRunner.Run(os, Env(), ["-v", "convert", sim.Uri, "--vm", "ha-host_VM0", "-o", "local", "-os", os, "--no-guest-fixups", .. Pin]);
        Assert.True(r.ExitCode == 0, r.Err);
        var qcow2 = Directory.GetFiles(os, "*.qcow2").Single();
        Tool.Check("qemu-img", "check", "-q", qcow2);
        var cmp = Tool.Run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", sim.Descriptor, qcow2]);
        Assert.True(cmp.ExitCode == 0, $"{cmp.All}\n{r.Err}");
        var xml = File.ReadAllText(Path.Combine(os, "ha-host_VM0.xml"));
        XmlValidator.AssertValidDomain(xml, "converted vcsim VM");
        Assert.Contains(Path.GetFileName(qcow2), xml, StringComparison.Ordinal);
        Assert.Contains("streamed into the disk writer (no staging copy)", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(CliVcsimFixture.Password, r.Err + r.Out, StringComparison.Ordinal);

        // Only the results: no staging folder, no temporary file.
        Assert.Equal(
            new[] { Path.GetFileName(qcow2), "ha-host_VM0.report.json", "ha-host_VM0.xml" }.Order(),
            RunLogFiles.OutputsIn(os).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Xml_of_the_uri_is_the_xml_of_the_vms_own_vmx()
    {
        // The remote model is built from the .vmx fetched through /folder, with the same parser as a local file.
        var os = RepoPaths.NewTempDir();
        var remote = CliRunner.Run(os, Env(), ["xml", sim.Uri, "--vm", "ha-host_VM0", "-os", os, "--bridge", "VM Network:br0", .. Pin]);
        Assert.True(remote.ExitCode == 0, remote.Err);
        var vmx = sim.Server.LocalPath("LocalDS_0", "ha-host_VM0/ha-host_VM0.vmx");
        var local = CliRunner.Run(os, Env(), ["xml", vmx, "-os", os, "--bridge", "VM Network:br0"]);
        Assert.True(local.ExitCode == 0, local.Err);
        // Only the provenance line differs: the datastore path versus the local file.
        Assert.Contains("<v2v:source>[LocalDS_0] ha-host_VM0/ha-host_VM0.vmx</v2v:source>", remote.Out, StringComparison.Ordinal);
        Assert.Contains($"<v2v:source>{vmx}</v2v:source>", local.Out, StringComparison.Ordinal);
        Assert.Equal(
            local.Out.Replace(vmx, "SOURCE", StringComparison.Ordinal),
            remote.Out.Replace("[LocalDS_0] ha-host_VM0/ha-host_VM0.vmx", "SOURCE", StringComparison.Ordinal));
        XmlValidator.AssertValidDomain(remote.Out, "xml of a vcsim VM");
        Assert.Contains("<source bridge=\"br0\"", remote.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_vm_is_refused_before_anything_is_written_unless_allow_running()
    {
        var os = RepoPaths.NewTempDir();
        var r = CliRunner.Run(os, Env(), ["convert", sim.Uri, "--vm", "ha-host_VM1", "-o", "local", "-os", os, "--no-guest-fixups", .. Pin]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("ha-host_VM1", r.Err, StringComparison.Ordinal);
        Assert.Contains("--allow-running", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.Empty(RunLogFiles.OutputsIn(os));
    }

    [Fact]
    public void Wrong_password_wrong_thumbprint_and_an_open_netrc_each_fail_with_their_own_message()
    {
        var dir = RepoPaths.NewTempDir();
        var bad = CliRunner.Run(dir, Env("not-the-password"), ["inventory", sim.Uri, .. Pin]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"login failed for user {CliVcsimFixture.User} at", bad.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", bad.Err, StringComparison.Ordinal);

        var wrongPin = new string('a', 64);
        var tls = CliRunner.Run(dir, Env(), ["inventory", sim.Uri, "--thumbprint", wrongPin]);
        Assert.Equal(1, tls.ExitCode);
        Assert.Contains(sim.Server.Banner.Sha256.ToUpperInvariant().Replace(":", "", StringComparison.Ordinal)[..16], tls.Err.ToUpperInvariant().Replace(":", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var home = RepoPaths.NewTempDir("v2v-home");
        var netrc = Path.Combine(home, ".netrc");
        File.WriteAllText(netrc, $"machine 127.0.0.1 login {CliVcsimFixture.User} password {CliVcsimFixture.Password}\n");
        File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var open = CliRunner.Run(dir, new Dictionary<string, string?> { ["HOME"] = home }, ["inventory", sim.Uri, .. Pin]);
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("chmod 600", open.Err, StringComparison.Ordinal);
        Assert.Contains(netrc, open.Err, StringComparison.Ordinal);

        foreach (var res in new[] { bad, tls, open })
        {
            Assert.Single(res.Err.Trim().Split('\n'), l => l.StartsWith("v2v: ", StringComparison.Ordinal) && l.Contains("error", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain("   at ", res.Err, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("password-file")]
    [InlineData("netrc")]
    public void At_vv_no_byte_written_anywhere_contains_the_password(string from)
    {
        var os = RepoPaths.NewTempDir();
        var home = RepoPaths.NewTempDir("v2v-home");
        string[] credentials = [];
        if (from == "netrc")
        {
            var netrc = Path.Combine(home, ".netrc");
            File.WriteAllText(netrc, $"machine 127.0.0.1 login {CliVcsimFixture.User} password {CliVcsimFixture.Password}\n");
            File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        else
        {
            var file = Path.Combine(home, "pw");
            File.WriteAllText(file, CliVcsimFixture.Password + "\n");
            credentials = ["--password-file", file];
        }

        var r = CliRunner.Run(os, new Dictionary<string, string?> { ["HOME"] = home }, ["-vv", "convert", sim.Uri, "--vm", "ha-host_VM0", "-o", "local", "-os", os, "--no-guest-fixups", .. credentials, .. Pin]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Contains("debug: ", r.Err, StringComparison.Ordinal); // -vv did show everything

        // Every byte: stdout, stderr, and every file the run wrote (disk, XML, report, the JSON log).
        var secret = System.Text.Encoding.UTF8.GetBytes(CliVcsimFixture.Password);
        Assert.DoesNotContain(CliVcsimFixture.Password, r.Out + r.Err, StringComparison.Ordinal);
        var files = Directory.GetFiles(os, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith(".log.json", StringComparison.Ordinal));
        foreach (var f in files)
        {
            Assert.True(File.ReadAllBytes(f).AsSpan().IndexOf(secret) < 0, $"{f} contains the password");
        }

        // The log file has every event, each with the VM, the disk and the stage.
        var events = RunLogFiles.SingleLogIn(os);
        Assert.All(events, e => Assert.True(e.TryGetProperty("VM", out _) && e.TryGetProperty("Disk", out _) && e.TryGetProperty("Stage", out _), e.ToString()));
        Assert.Contains(events, e => e.GetProperty("Stage").GetString() == "copy" && e.GetProperty("Disk").GetString() == "scsi0:0");
        Assert.Contains(events, e => e.TryGetProperty("@l", out var l) && l.GetString() == "Debug");
        Assert.Contains(events, e => e.GetProperty("VM").GetString() == "ha-host_VM0");
    }
}
