using System.Runtime.Versioning;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Sources.VSphere;
using V2VConverter.TestSupport;

namespace V2VConverter.Sources.Tests.VSphere;

[UnsupportedOSPlatform("windows")]
public sealed class NetrcTests
{
    private const string Sample = """
        # credentials
        machine esx1.example.com login root password "pa ss\"word"
        macdef init
        cd /pub
        get file machine evil login x password y

        machine vc.example.com
            login administrator@vsphere.local
            password vcpw
        machine vc.example.com login other password otherpw
        default login anonymous password guest
        """;

    [Fact]
    public void Parses_machines_quoting_and_default_and_skips_macdef()
    {
        var n = NetrcFile.Parse(Sample, "sample");
        Assert.Equal(4, n.Entries.Count);
        Assert.Equal("pa ss\"word", n.Find("esx1.example.com", null)!.Password);
        Assert.Equal("vcpw", n.Find("VC.example.com", null)!.Password);
        Assert.Equal("otherpw", n.Find("vc.example.com", "other")!.Password);
        Assert.Equal("guest", n.Find("unknown.example.com", null)!.Password);
        Assert.DoesNotContain(n.Entries, e => e.Machine == "evil");
        Assert.DoesNotContain("pa ss", n.Entries[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keyword_and_missing_value_name_the_line()
    {
        var ex = Assert.Throws<InvalidDataException>(() => NetrcFile.Parse("machine a\nlogin b\nport 21\n", "/h/.netrc"));
        Assert.Equal("/h/.netrc:3: unknown .netrc keyword \"port\" (expected machine, default, login, password, account or macdef)", ex.Message);
        var ex2 = Assert.Throws<InvalidDataException>(() => NetrcFile.Parse("machine a login", "/h/.netrc"));
        Assert.Contains("\"login\" at the end of the file has no value", ex2.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.OtherWrite)]
    public void Group_or_other_access_is_refused_with_chmod_advice(UnixFileMode extra)
    {
        var home = RepoPaths.NewTempDir("v2v-home");
        var path = Path.Combine(home, ".netrc");
        File.WriteAllText(path, "machine h login u password p\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        var ex = Assert.Throws<UnauthorizedAccessException>(() => NetrcFile.Load(path));
        Assert.Contains($"run: chmod 600 {path}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolver_order_password_file_then_env_then_netrc()
    {
        var home = RepoPaths.NewTempDir("v2v-home");
        var netrc = Path.Combine(home, ".netrc");
        File.WriteAllText(netrc, "machine esx1 login admin password fromnetrc\n");
        File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var pwFile = Path.Combine(home, "pw");
        File.WriteAllText(pwFile, "fromfile\r\nsecond line ignored\n");
        var uri = VSphereUri.Parse("esx://esx1/");
        var env = new Dictionary<string, string?> { ["HOME"] = home };
        string? Get(string n) => env.TryGetValue(n, out var v) ? v : null;

        var c = CredentialResolver.Resolve(uri, null, Get);
        Assert.Equal(("admin", "fromnetrc"), (c.User, c.Password));

        env[CredentialResolver.PasswordVariable] = "fromenv";
        Assert.Equal("fromenv", CredentialResolver.Resolve(uri, null, Get).Password);

        var log = new List<string>();
        var f = CredentialResolver.Resolve(uri, pwFile, Get, new TestLog(log.Add).Logger);
        Assert.Equal("fromfile", f.Password);
        Assert.DoesNotContain("fromfile", f.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(log, l => l.Contains("fromfile", StringComparison.Ordinal) || l.Contains("fromnetrc", StringComparison.Ordinal));
    }

    [Fact]
    public void No_password_anywhere_is_a_usage_error_listing_the_sources()
    {
        var uri = VSphereUri.Parse("esx://root@esx1/");
        var ex = Assert.Throws<UsageException>(() => CredentialResolver.Resolve(uri, null, _ => null));
        Assert.Contains("no password for root@esx1: use --password-file FILE, the V2V_PASSWORD environment variable, or ~/.netrc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vcenter_without_user_is_a_usage_error_and_esx_defaults_to_root()
    {
        var ex = Assert.Throws<UsageException>(() => CredentialResolver.Resolve(VSphereUri.Parse("vpx://vc/DC"), null, n => n == "V2V_PASSWORD" ? "x" : null));
        Assert.Contains("no user name for vc", ex.Message, StringComparison.Ordinal);
        Assert.Equal("root", CredentialResolver.Resolve(VSphereUri.Parse("esx://h/"), null, n => n == "V2V_PASSWORD" ? "x" : null).User);
    }

    [Fact]
    public void Empty_or_missing_password_file_fails_clearly()
    {
        var dir = RepoPaths.NewTempDir();
        var empty = Path.Combine(dir, "empty");
        File.WriteAllText(empty, "\n");
        var uri = VSphereUri.Parse("esx://h/");
        Assert.Contains("the first line is empty", Assert.Throws<InvalidDataException>(() => CredentialResolver.Resolve(uri, empty, _ => null)).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => CredentialResolver.Resolve(uri, Path.Combine(dir, "nope"), _ => null));
    }

    /// <summary>Issue 11 point 14: an open (0644) ~/.netrc is refused only when it would be used.</summary>
    [Fact]
    public void An_open_netrc_does_not_stop_a_run_that_has_the_user_and_a_password_file()
    {
        var home = RepoPaths.NewTempDir("v2v-home");
        var netrc = Path.Combine(home, ".netrc");
        File.WriteAllText(netrc, "machine esx1 login admin password fromnetrc\n");
        File.SetUnixFileMode(netrc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var pwFile = Path.Combine(home, "pw");
        File.WriteAllText(pwFile, "fromfile\n");
        var env = new Dictionary<string, string?> { ["HOME"] = home };
        string? Get(string n) => env.TryGetValue(n, out var v) ? v : null;

        var c = CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), pwFile, Get);
        Assert.Equal(("root", "fromfile"), (c.User, c.Password));

        // Without the password file the open .netrc would be used: refused, naming the fix.
        var ex = Assert.ThrowsAny<Exception>(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), null, Get));
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Issue 11 point 13: --password-file naming a folder says so (it said "does not exist").</summary>
    [Fact]
    public void A_password_file_that_is_a_directory_says_so()
    {
        var dir = RepoPaths.NewTempDir("v2v-pwdir");
        var ex = Assert.Throws<InvalidDataException>(() => CredentialResolver.Resolve(VSphereUri.Parse("esx://root@esx1/"), dir, _ => null));
        Assert.Equal($"password file {dir} is a directory; give the file that holds the password", ex.Message);
    }

    /// <summary>Issue 11 point 13: an unterminated quote said "Parameter 'start'"; it names the file, the line and the problem, not the secret.</summary>
    [Theory]
    [InlineData("machine a\nlogin b\npassword \"s3cret value\n", 3, "password")]
    [InlineData("machine a login b password \"s3cret\\\"", 1, "password")]
    [InlineData("# c\n\nmachine \"s3cret", 3, "machine")]
    public void An_unterminated_quote_names_the_file_the_line_and_the_problem(string text, int line, string keyword)
    {
        var ex = Assert.Throws<InvalidDataException>(() => NetrcFile.Parse(text, "/h/.netrc"));
        Assert.Equal($"/h/.netrc:{line}: unterminated quote: the value of \"{keyword}\" opens with \" and the file ends before it is closed", ex.Message);
        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Issue 11 point 10: parsing was quadratic (each token counted the lines from the start of the text).
    /// The tokenizer reads each character once: its count of characters read is bounded by the text's length,
    /// whatever the number of lines, tokens or comments. The 10 s wait is only a guard against a hang.
    /// </summary>
    [Fact]
    public async Task Parsing_reads_each_character_once_for_many_comments_and_many_tokens()
    {
        var comments = string.Concat(Enumerable.Repeat("# a comment line\n", 256 * 1024)) + "machine last login u password \"p w\"\n";
        var tokens = string.Concat(Enumerable.Repeat("login a\n", 512 * 1024)) + "machine m\n\tlogin u password p # trailing\n";
        foreach (var text in new[] { comments, tokens })
        {
            var parse = Task.Run(() => NetrcFile.Parse(text, "big", out var read) is var n ? (n, read) : default, TestContext.Current.CancellationToken);
            var (netrc, charsRead) = await parse.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken); // a hang guard, not a timing
            Assert.InRange(charsRead, text.Length, text.Length + 2);
            Assert.Equal("u", netrc.Entries[^1].Login);
        }

        var bad = Assert.Throws<InvalidDataException>(() => NetrcFile.Parse(comments + "port 21\n", "big"));
        Assert.StartsWith($"big:{(256 * 1024) + 2}: unknown .netrc keyword", bad.Message, StringComparison.Ordinal);
    }
}
