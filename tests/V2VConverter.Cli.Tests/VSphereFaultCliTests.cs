using System.Runtime.Versioning;
using System.Text.Encodings.Web;
using System.Text.Json;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>
/// A hostile or broken vSphere server, through the whole CLI: a fault that echoes the request (and so the
/// password, XML-escaped) must not put the password anywhere (issue 11 point 4), and a server that goes
/// silent is a timeout naming the host, exit 1, not "interrupted" (point 11).
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class VSphereFaultCliTests
{
    /// <summary>XML, JSON and URL special characters, a marker (<c>Zq7xK</c>) any leaked form would carry, and non-ASCII.</summary>
    private const string Password = "Zq7xK&amp;<pw>\"d'\\ %2F+/ä";
    private const string Marker = "Zq7xK";

    private static Dictionary<string, string?> Env() => new()
    {
        ["HOME"] = RepoPaths.NewTempDir("v2v-home"),
        ["V2V_PASSWORD"] = Password,
    };

    /// <summary>The forms a password takes in the places it could leak to: XML (text and attribute), JSON, URL.</summary>
    private static IEnumerable<string> Forms(string s) =>
    [
        s,
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal),
        System.Security.SecurityElement.Escape(s),
        JsonEncodedText.Encode(s).ToString(),
        JsonEncodedText.Encode(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
        Uri.EscapeDataString(s),
        Marker,
    ];

    [Theory]
    [InlineData("InvalidLogin")]
    [InlineData("SystemError")]
    public void A_login_fault_that_echoes_the_request_shows_the_password_nowhere(string faultType)
    {
        using var server = new FakeSoapServer(FakeServerMode.Answer, (method, body) => method switch
        {
            "RetrieveServiceContent" => (200, FakeSoapServer.ServiceContent),
            _ => (500, FakeSoapServer.Fault(faultType, $"cannot complete {method}; request was: {body}")),
        });
        var os = RepoPaths.NewTempDir();

        var r = CliRunner.Run(os, Env(), ["-vv", "convert", $"esx://root@{server.HostPort}/", "--vm", "vm1", "-o", "local", "-os", os, "--thumbprint", server.Sha256]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(server.HostPort, r.Err, StringComparison.Ordinal);
        Assert.Contains("   at ", r.Err, StringComparison.Ordinal); // -v printed the exception chain, masked too
        var files = Directory.GetFiles(os);
        Assert.Contains(files, f => f.EndsWith(".log.json", StringComparison.Ordinal));
        foreach (var (where, text) in new[] { ("stdout", r.Out), ("stderr", r.Err) }.Concat(files.Select(f => (f, File.ReadAllText(f)))))
        {
            foreach (var form in Forms(Password))
            {
                Assert.False(text.Contains(form, StringComparison.Ordinal), $"{where} holds the password as \"{form}\":\n{text}");
            }
        }
    }

    [Fact]
    public void A_server_that_never_answers_is_a_timeout_naming_the_host_and_the_call_exit_1()
    {
        using var server = new FakeSoapServer(FakeServerMode.SilentAfterTls);
        var dir = RepoPaths.NewTempDir();

        var r = CliRunner.Run(dir, Env(), ["inventory", $"esx://root@{server.HostPort}/", "--thumbprint", server.Sha256, "--timeout", "1"]);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"v2v: error: vSphere {server.HostPort} did not answer RetrieveServiceContent within 1 s", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("interrupted", r.Err, StringComparison.Ordinal);
    }
}
