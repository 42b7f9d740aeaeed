using V2VConverter.Model.IO;

namespace V2VConverter.Sources.VSphere;

/// <summary>One <c>machine</c> (or <c>default</c>) entry of a .netrc file.</summary>
public sealed record NetrcEntry(string? Machine, string? Login, string? Password, string? Account)
{
    public bool IsDefault => Machine is null;

    public override string ToString() => $"{(IsDefault ? "default" : "machine " + Machine)} login {Login ?? "-"} password ***";
}

/// <summary>
/// Reads the classic ftp/curl <c>~/.netrc</c> format: whitespace-separated tokens
/// <c>machine NAME</c>, <c>default</c>, <c>login NAME</c>, <c>password SECRET</c>, <c>account X</c>,
/// and <c>macdef NAME</c> whose body (up to the next empty line) is skipped. Double-quoted
/// tokens may hold spaces (<c>\"</c> and <c>\\</c> escape). The file must not be readable or
/// writable by group or others, like ftp and curl insist.
/// </summary>
public sealed class NetrcFile
{
    /// <summary>A .netrc larger than this is not a credentials file.</summary>
    public const int MaxFileBytes = 1 << 20;

    private NetrcFile(IReadOnlyList<NetrcEntry> entries, string origin)
    {
        Entries = entries;
        Origin = origin;
    }

    public IReadOnlyList<NetrcEntry> Entries { get; }

    public string Origin { get; }

    /// <summary>Loads a .netrc, refusing it when group or others may read or write it.</summary>
    /// <exception cref="UnauthorizedAccessException">The permissions are too open.</exception>
    public static NetrcFile Load(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode open = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & open) != 0)
            {
                throw new UnauthorizedAccessException(
                    $"{path} is readable or writable by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}), so its passwords are not used; run: chmod 600 {path}");
            }
        }

        // Bounded, and a FIFO or a device is refused instead of blocking or reading without end.
        return Parse(InputFile.ReadAllText(path, MaxFileBytes), path);
    }

    public static NetrcFile Parse(string text, string origin)
    {
        var entries = new List<NetrcEntry>();
        string? machine = null;
        string? login = null, password = null, account = null;
        var open = false;

        void Close()
        {
            if (open)
            {
                entries.Add(new NetrcEntry(machine, login, password, account));
            }

            machine = login = password = account = null;
            open = false;
        }

        var pos = 0;
        while (NextToken(text, ref pos, out var token, out var line))
        {
            switch (token)
            {
                case "machine":
                    Close();
                    machine = Need(text, ref pos, token, line, origin);
                    open = true;
                    break;
                case "default":
                    Close();
                    open = true;
                    break;
                case "login":
                    login = Need(text, ref pos, token, line, origin);
                    break;
                case "password":
                    password = Need(text, ref pos, token, line, origin);
                    break;
                case "account":
                    account = Need(text, ref pos, token, line, origin);
                    break;
                case "macdef":
                    Close();
                    Need(text, ref pos, token, line, origin);
                    SkipMacro(text, ref pos);
                    break;
                default:
                    throw new InvalidDataException($"{origin}:{line}: unknown .netrc keyword \"{token}\" (expected machine, default, login, password, account or macdef)");
            }
        }

        Close();
        return new NetrcFile(entries, origin);
    }

    /// <summary>
    /// The entry for <paramref name="host"/>: the first <c>machine</c> entry with that name (and
    /// that login, when <paramref name="user"/> is given), else the <c>default</c> entry.
    /// </summary>
    public NetrcEntry? Find(string host, string? user)
    {
        bool UserOk(NetrcEntry e) => user is null || e.Login is null || string.Equals(e.Login, user, StringComparison.Ordinal);

        return Entries.FirstOrDefault(e => !e.IsDefault && string.Equals(e.Machine, host, StringComparison.OrdinalIgnoreCase) && UserOk(e))
            ?? Entries.FirstOrDefault(e => e.IsDefault && UserOk(e));
    }

    private static string Need(string text, ref int pos, string keyword, int line, string origin) =>
        NextToken(text, ref pos, out var value, out _)
            ? value
            : throw new InvalidDataException($"{origin}:{line}: \"{keyword}\" at the end of the file has no value");

    private static bool NextToken(string text, ref int pos, out string token, out int line)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }

        line = 1 + text.AsSpan(0, pos).Count('\n');
        if (pos >= text.Length)
        {
            token = "";
            return false;
        }

        if (text[pos] == '#')
        {
            // A comment runs to the end of the line (curl and GNU inetutils accept these).
            while (pos < text.Length && text[pos] != '\n')
            {
                pos++;
            }

            return NextToken(text, ref pos, out token, out line);
        }

        var sb = new System.Text.StringBuilder();
        if (text[pos] == '"')
        {
            pos++;
            while (pos < text.Length && text[pos] != '"')
            {
                if (text[pos] == '\\' && pos + 1 < text.Length)
                {
                    pos++;
                }

                sb.Append(text[pos++]);
            }

            pos++; // closing quote (or end of text)
        }
        else
        {
            while (pos < text.Length && !char.IsWhiteSpace(text[pos]))
            {
                sb.Append(text[pos++]);
            }
        }

        token = sb.ToString();
        return true;
    }

    /// <summary>A macro body runs from the next line to the first empty line.</summary>
    private static void SkipMacro(string text, ref int pos)
    {
        var nl = text.IndexOf('\n', pos);
        if (nl < 0)
        {
            pos = text.Length;
            return;
        }

        pos = nl + 1;
        while (pos < text.Length)
        {
            var end = text.IndexOf('\n', pos);
            var lineText = end < 0 ? text[pos..] : text[pos..end];
            pos = end < 0 ? text.Length : end + 1;
            if (lineText.TrimEnd('\r').Length == 0)
            {
                return;
            }
        }
    }
}
