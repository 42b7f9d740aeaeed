using System.Runtime.InteropServices;
using System.Text;

namespace V2VConverter.Guest.Access;

/// <summary>The <see cref="IGuestFileSystem"/> side: the guest's files (read in pread chunks), writes and commands.</summary>
public sealed partial class GuestfsSession
{
    public bool Exists(string path) => CheckBool(NativeMethods.guestfs_exists(Handle, path), $"exists {path}");

    public bool IsFile(string path) => CheckBool(NativeMethods.guestfs_is_file(Handle, path), $"is_file {path}");

    public bool IsDirectory(string path) => CheckBool(NativeMethods.guestfs_is_dir(Handle, path), $"is_dir {path}");

    public bool IsSymlink(string path) => CheckBool(NativeMethods.guestfs_is_symlink(Handle, path), $"is_symlink {path}");

    /// <summary>Bytes asked for per pread call: well under libguestfs's 4 MiB protocol message.</summary>
    public const int ReadChunkBytes = 1 << 20;

    /// <summary>Bound on a guest file read as text (configuration files; dpkg's status file is a few MiB at most).</summary>
    public const long MaxTextFileBytes = 256L << 20;

    /// <remarks>
    /// Read with <c>pread</c> in 1 MiB chunks: one protocol message each, answered in milliseconds,
    /// where <c>read_file</c> goes through a download (a temporary file and a chunked transfer, ~0.3 s
    /// per file under TCG). A chunk shorter than asked for is the end of the file.
    /// </remarks>
    public string ReadText(string path)
    {
        using var buffer = new MemoryStream();
        while (true)
        {
            var chunk = ReadBytes(path, ReadChunkBytes, buffer.Length);
            if (buffer.Length + chunk.Length > MaxTextFileBytes)
            {
                throw new InvalidDataException($"guest file {path} is over {MaxTextFileBytes >> 20} MiB, too big to edit as text");
            }

            buffer.Write(chunk);
            if (chunk.Length < ReadChunkBytes)
            {
                return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            }
        }
    }

    /// <summary>Up to <paramref name="count"/> bytes of a guest file from <paramref name="offset"/> (fewer at its end): one pread.</summary>
    public byte[] ReadBytes(string path, int count, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, ReadChunkBytes);
        var p = NativeMethods.guestfs_pread(Handle, path, count, offset, out var size);
        if (p == IntPtr.Zero)
        {
            throw new GuestfsException($"libguestfs pread {path}: {LastError(Handle)}");
        }

        try
        {
            var bytes = new byte[(int)Math.Min(size, (nuint)count)];
            Marshal.Copy(p, bytes, 0, bytes.Length);
            return bytes;
        }
        finally
        {
            NativeMethods.Free(p);
        }
    }

    public Stream OpenRead(string path) => new PreadStream(this, path);

    /// <summary>A whole guest file as bytes, refused (naming it) when it is over <paramref name="maxBytes"/>.</summary>
    public byte[] ReadAllBytes(string path, long maxBytes)
    {
        var size = FileSize(path);
        if (size > maxBytes)
        {
            throw new InvalidDataException($"guest file {path} is {size} bytes, over the {maxBytes} it may have");
        }

        using var buffer = new MemoryStream((int)size);
        using (var stream = OpenRead(path))
        {
            stream.CopyTo(buffer);
        }

        return buffer.ToArray();
    }

    public void WriteText(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Check(Handle, NativeMethods.guestfs_write(Handle, path, bytes, (nuint)bytes.Length), $"write {path}");
    }

    public IReadOnlyList<string> Glob(string pattern) => TakeList(NativeMethods.guestfs_glob_expand(Handle, pattern), $"glob_expand {pattern}").Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Find(string directory) => TakeList(NativeMethods.guestfs_find(Handle, directory), $"find {directory}");

    public void Remove(string path) => Check(Handle, NativeMethods.guestfs_rm_f(Handle, path), $"rm_f {path}");

    public void MakeDirectories(string path) => Check(Handle, NativeMethods.guestfs_mkdir_p(Handle, path), $"mkdir_p {path}");

    public void Chmod(int mode, string path) => Check(Handle, NativeMethods.guestfs_chmod(Handle, mode, path), $"chmod {path}");

    public void Copy(string source, string destination) =>
        Check(Handle, NativeMethods.guestfs_cp(Handle, source, destination), $"cp {source} {destination}");

    public void Symlink(string target, string linkName) => Check(Handle, NativeMethods.guestfs_ln_sf(Handle, target, linkName), $"ln_sf {target} {linkName}");

    public string Command(params string[] argv)
    {
        string? result = null;
        WithStringArray(argv, p => result = TakeString(NativeMethods.Command(Handle, p), "command " + string.Join(' ', argv)));
        return result!;
    }

    public string Shell(string script) => TakeString(NativeMethods.guestfs_sh(Handle, script), "sh " + script);

    /// <summary>A guest file read front to back in pread chunks (bounded memory, one daemon call per MiB).</summary>
    private sealed class PreadStream(GuestfsSession session, string path) : Stream
    {
        private byte[] _chunk = [];
        private int _at;
        private long _offset;
        private bool _end;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _offset - (_chunk.Length - _at);
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_at == _chunk.Length)
            {
                if (_end)
                {
                    return 0;
                }

                _chunk = session.ReadBytes(path, ReadChunkBytes, _offset);
                _at = 0;
                _offset += _chunk.Length;
                _end = _chunk.Length < ReadChunkBytes;
                if (_chunk.Length == 0)
                {
                    return 0;
                }
            }

            var n = Math.Min(count, _chunk.Length - _at);
            Array.Copy(_chunk, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
