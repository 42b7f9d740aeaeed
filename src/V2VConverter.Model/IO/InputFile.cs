using System.Text;
using Microsoft.Win32.SafeHandles;

namespace V2VConverter.Model.IO;

/// <summary>How <see cref="InputFile"/> opens one input.</summary>
public sealed record InputFileOptions
{
    public static InputFileOptions Default { get; } = new();

    /// <summary>What the file is, for messages ("password file", "mapping file"); it comes before the path.</summary>
    public string? What { get; init; }

    /// <summary>Accept a block device too (a raw disk, or an image on a logical volume, named on the command line).</summary>
    public bool AllowBlockDevice { get; init; }

    /// <summary>
    /// The real path (see <see cref="InputFile.RealPath(string)"/>) of a folder the file must really lie in, links and every
    /// folder on the way resolved; null for no confinement.
    /// </summary>
    public string? ConfineTo { get; init; }
}

/// <summary>
/// The one way the tool opens a file it reads (disks, extents, descriptors, the .vmx, .netrc, password, mapping,
/// catalog and template files). A FIFO, a folder, a socket or a character device is refused at once, before it is
/// opened, naming the file and what it is: nothing can block on a pipe nor read a device without end. The open
/// itself uses O_NONBLOCK (a FIFO swapped in after the check cannot block either) and the type is checked again on
/// the open descriptor. Files of the kernel's pseudo file systems (/proc, /sys) are refused too: their sizes are
/// not their contents. With <see cref="InputFileOptions.ConfineTo"/>, the file's real path is checked before the
/// open and again, without a race, on the open descriptor (<c>/proc/self/fd/N</c>).
/// </summary>
public static partial class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading (see the class summary for what is refused).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InputOutsideFolderException">The file really lies outside <see cref="InputFileOptions.ConfineTo"/>.</exception>
    /// <exception cref="IOException">Not a regular file (a FIFO, a directory, a device...), or the open failed.</exception>
    public static SafeFileHandle Open(string path, InputFileOptions? options = null) => Open(path, options, out _);

    /// <inheritdoc cref="Open(string, InputFileOptions?)"/>
    /// <param name="realPath">The real path of the opened file: links and every folder on the way resolved.</param>
    public static SafeFileHandle Open(string path, InputFileOptions? options, out string realPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= InputFileOptions.Default;
        if (!OperatingSystem.IsLinux())
        {
            return OpenPortable(path, options, out realPath);
        }

        if (options.ConfineTo is not null)
        {
            // Before anything is opened: a link out of the folder is not even opened (a device may act on open).
            CheckConfined(path, ResolveLinks(path, options), options);
        }

        CheckType(path, Native.StatPath(path, options), options);
        var handle = Native.OpenReadOnly(path, options);
        try
        {
            CheckType(path, Native.StatHandle(handle, path, options), options);
            realPath = RealPathOf(handle) ?? ResolveLinks(path, options);
            if (options.ConfineTo is not null)
            {
                // Again on the open descriptor: the link may have been swapped between the check and the open.
                CheckConfined(path, realPath, options);
            }

            if (Native.PseudoFileSystem(handle) is { } fs)
            {
                throw new IOException($"{Name(path, options)} is on {fs}, a kernel pseudo file system, not a disk image or a data file; refused");
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole file of at most <paramref name="maxBytes"/> bytes, refusing a larger one before and while it is read.</summary>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, InputFileOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength - 1L);
        using var handle = Open(path, options);
        var length = RandomAccess.GetLength(handle);
        if (length > maxBytes)
        {
            throw TooLarge(path, length, maxBytes, options);
        }

        // Read one byte past the bound: a file that grew (or reported no size) is caught here, not allocated.
        var buffer = new byte[(int)Math.Min(maxBytes + 1, Math.Max(length + 1, 4096))];
        var n = 0;
        while (true)
        {
            if (n == buffer.Length)
            {
                if (n > maxBytes)
                {
                    throw TooLarge(path, n, maxBytes, options, grew: true);
                }

                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
            }

            var r = RandomAccess.Read(handle, buffer.AsSpan(n), n);
            if (r == 0)
            {
                break;
            }

            n += r;
        }

        if (n > maxBytes)
        {
            throw TooLarge(path, n, maxBytes, options, grew: true);
        }

        return n == buffer.Length ? buffer : buffer[..n];
    }

    /// <summary>
    /// Reads a whole text file of at most <paramref name="maxBytes"/> bytes, decoded like <see cref="File.ReadAllText(string)"/>
    /// (UTF-8, or the encoding its byte order mark names).
    /// </summary>
    public static string ReadAllText(string path, long maxBytes, InputFileOptions? options = null)
    {
        var bytes = ReadAllBytes(path, maxBytes, options);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The real path of <paramref name="path"/>: absolute, every link and every folder on the way resolved (realpath(3)).
    /// Use it for the folder given to <see cref="InputFileOptions.ConfineTo"/>.
    /// </summary>
    public static string RealPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return OperatingSystem.IsLinux() ? ResolveLinks(path, InputFileOptions.Default) : Path.GetFullPath(path);
    }

    /// <summary>True when <paramref name="realPath"/> lies inside the folder <paramref name="realFolder"/> (both real paths).</summary>
    public static bool IsWithin(string realPath, string realFolder)
    {
        ArgumentNullException.ThrowIfNull(realPath);
        ArgumentNullException.ThrowIfNull(realFolder);
        var root = Path.TrimEndingDirectorySeparator(realFolder);
        return root.Length == 0 || root == "/"
            ? realPath.StartsWith('/')
            : realPath.StartsWith(root + "/", StringComparison.Ordinal);
    }

    private static string Name(string path, InputFileOptions options) => options.What is null ? path : $"{options.What} {path}";

    private static InvalidDataException TooLarge(string path, long length, long maxBytes, InputFileOptions? options, bool grew = false) =>
        new($"{Name(path, options ?? InputFileOptions.Default)}: file is {length} bytes{(grew ? " or more (it grew while read)" : "")}; such a file is at most {maxBytes} bytes; refused");

    private static void CheckConfined(string path, string realPath, InputFileOptions options)
    {
        if (!IsWithin(realPath, options.ConfineTo!))
        {
            throw new InputOutsideFolderException(Name(path, options), realPath, options.ConfineTo!);
        }
    }

    private static string ResolveLinks(string path, InputFileOptions options) => Native.RealPath(path, Name(path, options));

    /// <summary>The real path of an open descriptor, from /proc/self/fd; null when /proc is not there.</summary>
    private static string? RealPathOf(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var link = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
            return link is not null && link.StartsWith('/') ? link : null;
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static void CheckType(string path, int mode, InputFileOptions options)
    {
        var type = mode & Native.TypeMask;
        if (type == Native.RegularFile || (type == Native.BlockDevice && options.AllowBlockDevice))
        {
            return;
        }

        var what = type switch
        {
            Native.Fifo => "a FIFO (named pipe)",
            Native.Directory => "a directory",
            Native.CharacterDevice => "a character device",
            Native.BlockDevice => "a block device",
            Native.Socket => "a socket",
            _ => $"a special file (mode {Convert.ToString(mode, 8)})",
        };
        var expected = options.AllowBlockDevice ? "a regular file or a block device" : "a regular file";
        throw new IOException($"{Name(path, options)}{LinkNote(path)} is {what}, not {expected}; refused");
    }

    /// <summary>" (a link to X)" when links lead <paramref name="path"/> elsewhere, for messages; "" otherwise.</summary>
    private static string LinkNote(string path)
    {
        try
        {
            var real = ResolveLinks(path, InputFileOptions.Default);
            return real == Path.GetFullPath(path) ? "" : $" (a link to {real})";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Where there is no Linux: .NET's own open, with the folder and existence checks it can make.</summary>
    private static SafeFileHandle OpenPortable(string path, InputFileOptions options, out string realPath)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"{Name(path, options)} is a directory, not a regular file; refused");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{Name(path, options)}: no such file", path);
        }

        realPath = Path.GetFullPath(path);
        if (options.ConfineTo is not null)
        {
            CheckConfined(path, realPath, options);
        }

        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }
}

/// <summary>An input file whose real path (links resolved) lies outside the folder it must stay in.</summary>
public sealed class InputOutsideFolderException : IOException
{
    public InputOutsideFolderException(string name, string realPath, string folder)
        : base(realPath == name || name.EndsWith(" " + realPath, StringComparison.Ordinal)
            ? $"{name} lies outside the folder {folder}"
            : $"{name} resolves to {realPath}, outside the folder {folder}")
    {
        RealPath = realPath;
        Folder = folder;
    }

    public InputOutsideFolderException()
    {
        RealPath = Folder = "";
    }

    public InputOutsideFolderException(string message)
        : base(message)
    {
        RealPath = Folder = "";
    }

    public InputOutsideFolderException(string message, Exception innerException)
        : base(message, innerException)
    {
        RealPath = Folder = "";
    }

    /// <summary>The file's real path.</summary>
    public string RealPath { get; }

    /// <summary>The real path of the folder it had to be in.</summary>
    public string Folder { get; }
}
