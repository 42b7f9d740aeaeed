using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Pipeline.Contracts;
using V2VConverter.Sources.VSphere;

namespace V2VConverter.Cli.Commands;

/// <summary>
/// The credential and TLS options of every command taking an <c>esx://</c>/<c>vpx://</c> source, and the refusal
/// of a password on the command line; with <c>--vm</c>, <c>-i</c> and <c>--no-verify-manifest</c> for the commands
/// whose source may also be a local file (a .vmx, an OVA, an .ovf).
/// One instance per command.
/// </summary>
internal sealed class VSphereOptionSet(bool withVm)
{
    public const string PasswordRefusal = "passwords are not accepted on the command line (they would show in ps and shell history); use --password-file FILE, the V2V_PASSWORD environment variable or ~/.netrc";

    private readonly Option<string>? _vm = withVm ? CliOptions.Value("--vm", "NAME", "the VM to read when the source is an esx:// or vpx:// URI") : null;
    private readonly Option<string>? _input = withVm ? CliOptions.OneOf("-i", ["--input"], "read SOURCE as this kind whatever its name: vmx (a .vmx file), ova (an OVA: tar, zip, .ova.gz/.xz; or an .ovf folder), vsphere (default: from the scheme or extension)", "vmx", "ova", "vsphere") : null;
    private readonly Option<bool>? _noVerifyManifest = withVm ? CliOptions.Flag("--no-verify-manifest", "OVA/OVF: do not check the manifest's (.mf) digests (a warning says so)") : null;
    private readonly Option<string> _passwordFile = CliOptions.Value("--password-file", "FILE", "read the vSphere password from FILE (else $V2V_PASSWORD, else ~/.netrc)");
    private readonly Option<string> _thumbprint = CliOptions.Value("--thumbprint", "SHA1|SHA256", "pin the server's TLS certificate by its SHA-1 or SHA-256 thumbprint");
    private readonly RefusedOption _password = new("--password", PasswordRefusal, "-p");
    private readonly Option<int?> _timeout = CliOptions.Number(
        "--timeout", "SECONDS", "give up on a vSphere server silent for SECONDS: to connect, for the TLS handshake, for one SOAP call or a stalled download (default 30 s to connect and for TLS, 120 s for a call or a download)", 1, 86400);

    public void AddTo(Command command)
    {
        if (_vm is not null)
        {
            command.Options.Add(_vm);
            command.Options.Add(_input!);
            command.Options.Add(_noVerifyManifest!);
        }

        command.Options.Add(_passwordFile);
        command.Options.Add(_thumbprint);
        command.Options.Add(_password);
        command.Options.Add(_timeout);
    }

    /// <summary><c>--timeout SECONDS</c>, or null for the defaults.</summary>
    public int? BindTimeout(ParseResult result) => result.GetValue(_timeout);

    /// <summary>Reads <c>--password-file</c> and <c>--thumbprint</c> (a malformed thumbprint fails now, before connecting).</summary>
    public (string? PasswordFile, string? Thumbprint) BindCredentials(ParseResult result, CliContext context)
    {
        var file = result.GetValue(_passwordFile);
        var thumbprint = result.GetValue(_thumbprint);
        if (thumbprint is not null)
        {
            TlsPolicy.ParseThumbprint(thumbprint); // usage error now, before connecting
        }

        return (file is null ? null : context.ResolvePath(file), thumbprint);
    }

    /// <summary>For commands that take a local .vmx or a vSphere URI (inspect, xml, convert): the source with <c>--vm</c> and the credentials.</summary>
    public SourceSpec BindSource(ParseResult result, CliContext context, string location, bool allowRunning = false)
    {
        var vm = _vm is null ? null : result.GetValue(_vm);
        var (file, thumbprint) = BindCredentials(result, context);
        return new SourceSpec
        {
            Location = location,
            VmName = vm,
            PasswordFile = file,
            Thumbprint = thumbprint,
            AllowRunning = allowRunning,
            TimeoutSeconds = BindTimeout(result),
            InputKind = _input is null ? null : result.GetValue(_input),
            VerifyManifest = _noVerifyManifest is null || !result.GetValue(_noVerifyManifest),
        };
    }
}
