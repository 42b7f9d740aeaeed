using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;

namespace V2VConverter.Sources.VSphere;

/// <summary>A user name and password. <see cref="ToString"/> never shows the password.</summary>
public sealed class VSphereCredentials(string user, string password, string source)
{
    public string User { get; } = user;

    /// <summary>The secret; pass it only to the Login call.</summary>
    public string Password { get; } = password;

    /// <summary>Where the password came from ("--password-file /x", "V2V_PASSWORD", "~/.netrc"), for messages.</summary>
    public string Source { get; } = source;

    public override string ToString() => $"{User} (password from {Source})";
}

/// <summary>
/// Finds the password for a vSphere URI. Order: <c>--password-file FILE</c>, then the
/// <c>V2V_PASSWORD</c> environment variable, then <c>$HOME/.netrc</c>. The user name is the
/// URI's, else the .netrc login, else <c>V2V_USER</c>, else <c>root</c> for an ESXi host.
/// A password is never read from the command line.
/// </summary>
public static class CredentialResolver
{
    public const string PasswordVariable = "V2V_PASSWORD";
    public const string UserVariable = "V2V_USER";

    /// <summary>A password file larger than this is a mistake (wrong file given).</summary>
    public const int MaxPasswordFileBytes = 64 * 1024;

    /// <param name="uri">The source.</param>
    /// <param name="passwordFile">The <c>--password-file</c> value, already made absolute, or null.</param>
    /// <param name="getEnv">Environment lookup (CliContext.GetEnv); HOME locates .netrc.</param>
    /// <param name="log">Receives where the password came from, never the password (which is registered with <see cref="Secrets"/> so that no sink can show it).</param>
    public static VSphereCredentials Resolve(VSphereUri uri, string? passwordFile, Func<string, string?> getEnv, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(getEnv);
        log ??= LogExtensions.None;

        NetrcEntry? netrc = null;
        string? netrcPath = null;
        var home = getEnv("HOME");
        // ~/.netrc is read (and its mode checked) only when it can be used: for the user name, or for the password.
        var needsNetrc = (uri.User is null && NonEmpty(getEnv(UserVariable)) is null) || (passwordFile is null && NonEmpty(getEnv(PasswordVariable)) is null);
        if (needsNetrc && !string.IsNullOrEmpty(home))
        {
            netrcPath = Path.Combine(home, ".netrc");
            if (File.Exists(netrcPath))
            {
                netrc = NetrcFile.Load(netrcPath).Find(uri.Host, uri.User);
                log.Info(netrc is null ? $"{netrcPath}: no entry for {uri.Host}" : $"{netrcPath}: using {netrc}");
            }
        }

        var user = uri.User ?? netrc?.Login ?? NonEmpty(getEnv(UserVariable))
            ?? (uri.Kind == VSphereEndpointKind.Esx ? "root" : null)
            ?? throw new UsageException($"no user name for {uri.Host}: write it in the URI (vpx://user@{uri.Host}/...), in ~/.netrc (machine {uri.Host} login USER) or in {UserVariable}");

        if (passwordFile is not null)
        {
            if (Directory.Exists(passwordFile))
            {
                throw new InvalidDataException($"password file {passwordFile} is a directory; give the file that holds the password");
            }

            // The first line is the password; its line ending is not part of it. Bounded; a FIFO or a device
            // (/dev/zero, a pipe) is refused instead of blocking or reading without end.
            var text = InputFile.ReadAllText(passwordFile, MaxPasswordFileBytes, new InputFileOptions { What = "password file" });
            var nl = text.IndexOfAny(['\r', '\n']);
            var pw = nl >= 0 ? text[..nl] : text;
            if (pw.Length == 0)
            {
                throw new InvalidDataException($"password file {passwordFile}: the first line is empty");
            }

            log.Info($"password for {user}@{uri.Host} from --password-file {passwordFile}");
            Secrets.Register(pw);
            return new VSphereCredentials(user, pw, $"--password-file {passwordFile}");
        }

        if (NonEmpty(getEnv(PasswordVariable)) is { } envPassword)
        {
            log.Info($"password for {user}@{uri.Host} from ${PasswordVariable}");
            Secrets.Register(envPassword);
            return new VSphereCredentials(user, envPassword, PasswordVariable);
        }

        if (netrc?.Password is { } netrcPassword && (netrc.Login is null || netrc.Login == user))
        {
            log.Info($"password for {user}@{uri.Host} from {netrcPath}");
            Secrets.Register(netrcPassword);
            return new VSphereCredentials(user, netrcPassword, netrcPath!);
        }

        throw new UsageException(
            $"no password for {user}@{uri.Host}: use --password-file FILE, the {PasswordVariable} environment variable, or ~/.netrc (machine {uri.Host} login {user} password ...); passwords are not accepted on the command line");
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
