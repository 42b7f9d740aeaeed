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

        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{path}: file size {info.Length} bytes is larger than the {MaxFileBytes} bytes a .netrc may have");
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static NetrcFile Parse(string text, string origin) => Parse(text, origin, out _);

    /// <summary>Parses in one pass; <paramref name="charsRead"/> counts the characters the tokenizer read (tests check it stays linear).</summary>
    internal static NetrcFile Parse(string text, string origin, out long charsRead)
    {
        ArgumentNullException.ThrowIfNull(text);
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

        var tokens = new Tokenizer(text, origin);
        while (tokens.Next(out var token, out var line))
        {
            switch (token)
            {
                case "machine":
                    Close();
                    machine = tokens.Need(token, line);
                    open = true;
                    break;
                case "default":
                    Close();
                    open = true;
                    break;
                case "login":
                    login = tokens.Need(token, line);
                    break;
                case "password":
                    password = tokens.Need(token, line);
                    break;
                case "account":
                    account = tokens.Need(token, line);
                    break;
                case "macdef":
                    Close();
                    tokens.Need(token, line);
                    tokens.SkipMacro();
                    break;
                default:
                    throw new InvalidDataException($"{origin}:{line}: unknown .netrc keyword \"{token}\" (expected machine, default, login, password, account or macdef)");
            }
        }

        Close();
        charsRead = tokens.CharsRead;
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

    /// <summary>
    /// Splits the text into tokens in one forward pass, counting lines as it goes: no character is read
    /// twice, so a file of many short lines or comments costs its length, not its length squared.
    /// </summary>
    private sealed class Tokenizer(string text, string origin)
    {
        private readonly System.Text.StringBuilder _token = new();
        private int _pos;
        private int _line = 1;

        /// <summary>Characters read so far (each is read once).</summary>
        public long CharsRead { get; private set; }

        /// <summary>The value after <paramref name="keyword"/>, which stands on <paramref name="line"/>.</summary>
        public string Need(string keyword, int line) =>
            Next(out var value, out _, keyword)
                ? value
                : throw new InvalidDataException($"{origin}:{line}: \"{keyword}\" at the end of the file has no value");

        public bool Next(out string token, out int line) => Next(out token, out line, null);

        /// <summary>A macro body runs from the next line to the first empty line (or the end of the file).</summary>
        public void SkipMacro()
        {
            // The rest of the macdef line.
            while (Peek() is { } c && c != '\n')
            {
                Take();
            }

            if (Peek() is null)
            {
                return;
            }

            Take(); // its newline
            var empty = true;
            while (Peek() is { } c)
            {
                Take();
                if (c == '\n')
                {
                    if (empty)
                    {
                        return;
                    }

                    empty = true;
                }
                else if (c != '\r')
                {
                    empty = false;
                }
            }
        }

        private bool Next(out string token, out int line, string? keyword)
        {
            while (Peek() is { } c)
            {
                if (char.IsWhiteSpace(c))
                {
                    Take();
                }
                else if (c == '#')
                {
                    // A comment runs to the end of the line (curl and GNU inetutils accept these).
                    while (Peek() is { } d && d != '\n')
                    {
                        Take();
                    }
                }
                else
                {
                    break;
                }
            }

            line = _line;
            if (Peek() is not { } first)
            {
                token = "";
                return false;
            }

            _token.Clear();
            if (first == '"')
            {
                Take();
                while (true)
                {
                    if (Peek() is not { } c)
                    {
                        // Not the token itself: it may be a password.
                        var what = keyword is null ? "a token" : $"the value of \"{keyword}\"";
                        throw new InvalidDataException($"{origin}:{line}: unterminated quote: {what} opens with \" and the file ends before it is closed");
                    }

                    Take();
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\' && Peek() is { } escaped)
                    {
                        Take();
                        c = escaped;
                    }

                    _token.Append(c);
                }
            }
            else
            {
                while (Peek() is { } c && !char.IsWhiteSpace(c))
                {
                    _token.Append(Take());
                }
            }

            token = _token.ToString();
            return true;
        }

        private char? Peek() => _pos < text.Length ? text[_pos] : null;

        private char Take()
        {
            var c = text[_pos++];
            CharsRead++;
            if (c == '\n')
            {
                _line++;
            }

            return c;
        }
    }
}
