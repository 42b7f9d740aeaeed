using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace V2VConverter.Guest.Transforms;

/// <summary>
/// Lists the files of an initramfs image on the host: what <c>lsinitramfs</c>/<c>lsinitrd</c> print,
/// without running them in the appliance (~2 s under TCG, on the conversion's critical path). An image
/// is a sequence of cpio "newc" archives (kernel Documentation/driver-api/early-userspace/
/// buffer-format.rst): uncompressed ones first (early microcode), zero padding between, then one
/// compressed segment holding the main archive. gzip and zstd (the Debian, Ubuntu and Fedora
/// defaults) are read here; any other compression returns null and the caller asks the guest's tool.
/// </summary>
public static class InitramfsArchive
{
    /// <summary>Bound on the entries listed (a real image has a few thousand).</summary>
    public const int MaxEntries = 500_000;

    /// <summary>Bound on one entry's name (PATH_MAX).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Bound on the decompressed bytes walked (an image unpacks to a few hundred MiB at most).</summary>
    public const long MaxUnpackedBytes = 4L << 30;

    // cpio newc header: 6-byte magic then 13 fields of 8 hex digits (c_ino ... c_check); 110 bytes.
    private const int HeaderBytes = 110;
    private const int MagicBytes = 6;
    private const int FieldChars = 8;
    private const int FileSizeField = 6;   // c_filesize
    private const int NameSizeField = 11;  // c_namesize
    private const int Alignment = 4;
    private const string NewcMagic = "070701";
    private const string NewcCrcMagic = "070702";
    private const string Trailer = "TRAILER!!!";

    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    /// <summary>
    /// The entry names, in order ("usr/lib/modules/…/virtio_blk.ko"), or null with <paramref name="why"/>
    /// when the image uses a compression read only by the guest's tools. Throws
    /// <see cref="InvalidDataException"/> on a corrupt archive.
    /// </summary>
    public static IReadOnlyList<string>? TryList(Stream image, out string? why)
    {
        ArgumentNullException.ThrowIfNull(image);
        var input = new PeekStream(image);
        var names = new List<string>();
        while (true)
        {
            var head = input.Peek(MagicBytes, skipZeros: true);
            if (head.Length == 0)
            {
                why = null;
                return names.Count > 0 ? names : throw new InvalidDataException("initramfs: the image holds no cpio archive");
            }

            if (IsCpio(head))
            {
                ReadArchives(input, names, untilEnd: false);
                continue;
            }

            Stream? unpacked = head.AsSpan().StartsWith(GzipMagic) ? new GZipStream(input, CompressionMode.Decompress, leaveOpen: true)
                : head.AsSpan().StartsWith(ZstdMagic) ? new ZstdSharp.DecompressionStream(input, leaveOpen: true)
                : null;
            if (unpacked is null)
            {
                why = $"compressed with something other than gzip or zstd (magic {Convert.ToHexString(head)})";
                return null;
            }

            using (unpacked)
            {
                ReadArchives(new PeekStream(unpacked), names, untilEnd: true);
            }

            why = null;
            return names; // the compressed segment is the last one
        }
    }

    private static bool IsCpio(byte[] head) => head.Length == MagicBytes && Encoding.ASCII.GetString(head) is NewcMagic or NewcCrcMagic;

    /// <summary>Reads cpio archives: one (to its trailer) or, inside a compressed segment, every one to the end.</summary>
    private static void ReadArchives(PeekStream s, List<string> names, bool untilEnd)
    {
        var header = new byte[HeaderBytes];
        while (true)
        {
            if (untilEnd && s.Peek(MagicBytes, skipZeros: true).Length == 0)
            {
                return;
            }

            s.ReadExactly(header);
            var magic = Encoding.ASCII.GetString(header, 0, MagicBytes);
            if (magic is not NewcMagic and not NewcCrcMagic)
            {
                throw new InvalidDataException($"initramfs: cpio header magic is \"{magic}\" at byte {s.Position - HeaderBytes} of its segment, not 070701");
            }

            var fileSize = Field(header, FileSizeField, "c_filesize");
            var nameSize = Field(header, NameSizeField, "c_namesize");
            if (nameSize is < 1 or > MaxNameBytes)
            {
                throw new InvalidDataException($"initramfs: cpio c_namesize {nameSize} is out of range (1..{MaxNameBytes})");
            }

            var name = new byte[nameSize];
            s.ReadExactly(name);
            s.Skip(Pad(HeaderBytes + nameSize));
            var text = Encoding.UTF8.GetString(name, 0, (int)nameSize - 1);
            if (text == Trailer)
            {
                if (!untilEnd)
                {
                    return;
                }

                continue;
            }

            if (names.Count >= MaxEntries)
            {
                throw new InvalidDataException($"initramfs: more than {MaxEntries} entries");
            }

            names.Add(text);
            s.Skip(fileSize + Pad(fileSize));
            if (s.Position > MaxUnpackedBytes)
            {
                throw new InvalidDataException($"initramfs: unpacks to more than {MaxUnpackedBytes >> 30} GiB");
            }
        }
    }

    private static long Field(byte[] header, int index, string field)
    {
        var at = MagicBytes + (index * FieldChars);
        var text = Encoding.ASCII.GetString(header, at, FieldChars);
        return long.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"initramfs: cpio {field} is \"{text}\", not hexadecimal");
    }

    private static long Pad(long n) => (Alignment - (n % Alignment)) % Alignment;

    /// <summary>A forward-only reader with a small look-ahead (compression streams cannot seek).</summary>
    private sealed class PeekStream(Stream inner) : Stream
    {
        private readonly byte[] _ahead = new byte[16];
        private int _aheadStart;
        private int _aheadEnd;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        /// <summary>The next <paramref name="count"/> bytes without consuming them (fewer at the end); zero bytes first skipped when asked.</summary>
        public byte[] Peek(int count, bool skipZeros)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _ahead.Length);
            while (true)
            {
                Fill(count);
                if (!skipZeros || _aheadEnd == _aheadStart || _ahead[_aheadStart] != 0)
                {
                    return _ahead.AsSpan(_aheadStart, Math.Min(count, _aheadEnd - _aheadStart)).ToArray();
                }

                _aheadStart++;
                _position++;
            }
        }

        public void Skip(long count)
        {
            var buffer = new byte[Math.Min(count, 1 << 16)];
            while (count > 0)
            {
                var n = Read(buffer, 0, (int)Math.Min(count, buffer.Length));
                if (n == 0)
                {
                    throw new InvalidDataException("initramfs: cpio archive ends inside an entry");
                }

                count -= n;
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n;
            if (_aheadEnd > _aheadStart)
            {
                n = Math.Min(count, _aheadEnd - _aheadStart);
                Array.Copy(_ahead, _aheadStart, buffer, offset, n);
                _aheadStart += n;
            }
            else
            {
                n = inner.Read(buffer, offset, count);
            }

            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private void Fill(int count)
        {
            if (_aheadEnd - _aheadStart >= count)
            {
                return;
            }

            Array.Copy(_ahead, _aheadStart, _ahead, 0, _aheadEnd - _aheadStart);
            _aheadEnd -= _aheadStart;
            _aheadStart = 0;
            while (_aheadEnd < count)
            {
                var n = inner.Read(_ahead, _aheadEnd, count - _aheadEnd);
                if (n == 0)
                {
                    break;
                }

                _aheadEnd += n;
            }
        }
    }
}
