namespace V2VConverter.Guest.Access;

/// <summary>
/// What a fixup may do to the guest: read and write files of the mounted guest tree and run the
/// guest's own programs (chrooted into it). Implemented over libguestfs by <see cref="GuestfsSession"/>;
/// a fixup never knows about disk formats or the appliance.
/// </summary>
public interface IGuestFileSystem
{
    bool Exists(string path);

    bool IsFile(string path);

    bool IsDirectory(string path);

    bool IsSymlink(string path);

    /// <summary>The file as UTF-8 text (invalid bytes become U+FFFD).</summary>
    string ReadText(string path);

    void WriteText(string path, string text);

    /// <summary>The file's bytes as a forward-only stream (for binary files such as initramfs images).</summary>
    Stream OpenRead(string path);

    /// <summary>Paths matching a shell glob, sorted; empty when nothing matches.</summary>
    IReadOnlyList<string> Glob(string pattern);

    /// <summary>Every path below a directory (relative to it, like find(1) with the prefix removed).</summary>
    IReadOnlyList<string> Find(string directory);

    void Remove(string path);

    void MakeDirectories(string path);

    void Chmod(int mode, string path);

    /// <summary>Copies a guest file to another guest path (also across the guest's mounted filesystems), replacing it.</summary>
    void Copy(string source, string destination);

    /// <summary>Makes (or replaces) a symbolic link <paramref name="linkName"/> pointing at <paramref name="target"/>.</summary>
    void Symlink(string target, string linkName);

    /// <summary>Runs a guest program (argv[0] must be a guest path); throws <see cref="GuestfsException"/> on a non-zero exit.</summary>
    string Command(params string[] argv);

    /// <summary>Runs <c>/bin/sh -c script</c> in the guest; throws on a non-zero exit.</summary>
    string Shell(string script);
}

/// <summary>A libguestfs call failed; the message carries libguestfs's own error text.</summary>
public sealed class GuestfsException(string message) : Exception(message);
