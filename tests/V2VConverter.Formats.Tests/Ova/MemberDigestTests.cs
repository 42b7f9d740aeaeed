using System.Security.Cryptography;
using V2VConverter.Formats.Disk;
using V2VConverter.Formats.Ova;
using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Ova;

/// <summary>
/// The same-pass manifest digest: bytes read through a <see cref="DiskFile"/> window are hashed as they are read, in
/// whatever order the reader comes, and only the bytes nobody read are read again by the digest itself.
/// </summary>
public sealed class MemberDigestTests : IDisposable
{
    private const int Size = 8 << 20;
    private readonly string _dir = RepoPaths.NewTempDir("v2v-digest");
    private readonly byte[] _data;
    private readonly string _file;

    public MemberDigestTests()
    {
        _data = new byte[Size];
        new Random(7).NextBytes(_data);
        _file = Path.Combine(_dir, "member.bin");

        // The member sits at an odd offset of a larger file, as in a tar.
        File.WriteAllBytes(_file, [.. new byte[1536], .. _data, .. new byte[700]]);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ManifestEntry Entry(byte[] data, string algorithm = "SHA256") => new(
        "member.bin",
        new HashAlgorithmName(algorithm),
        System.Convert.ToHexStringLower(algorithm == "SHA1" ? SHA1.HashData(data) : algorithm == "SHA512" ? SHA512.HashData(data) : SHA256.HashData(data)),
        1);

    /// <summary>The member as the package holds it: an unobserved reader for the digest, the digest, and the window the engine reads through.</summary>
    private sealed class Member : IDisposable
    {
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
        private readonly DiskFile _reader;

        public Member(string file, ManifestEntry entry)
        {
            _handle = File.OpenHandle(file);
            _reader = DiskFile.Window(_handle, 1536, Size, "x.ova/member.bin");
            Digest = new MemberDigest(entry, _reader, "x.ova/member.bin");
            Window = DiskFile.Window(_handle, 1536, Size, "x.ova/member.bin", Digest);
        }

        public MemberDigest Digest { get; }

        public DiskFile Window { get; }

        public void Dispose()
        {
            Window.Dispose();
            Digest.Dispose();
            _reader.Dispose();
            _handle.Dispose();
        }
    }

    /// <summary>Reads [offset, offset+length) through an observed window, as the disk engine does.</summary>
    private static void ReadThrough(DiskFile window, long offset, int length)
    {
        var buffer = new byte[length];
        var n = window.Read(buffer, offset);
        Assert.Equal(length, n);
    }

    [Theory]
    [InlineData("SHA1")]
    [InlineData("SHA256")]
    [InlineData("SHA512")]
    public void Reads_front_to_back_need_no_read_of_its_own(string algorithm)
    {
        using var member = new Member(_file, Entry(_data, algorithm));
        var (digest, window) = (member.Digest, member.Window);
        for (var at = 0; at < Size; at += 65536)
        {
            ReadThrough(window, at, 65536);
        }

        digest.Verify(TestContext.Current.CancellationToken);
        Assert.True(digest.Verified);
        Assert.Equal(0, digest.CatchUpBytes);
    }

    [Fact]
    public void Parallel_reads_out_of_order_and_small_skipped_gaps_still_cost_only_the_gaps()
    {
        using var member = new Member(_file, Entry(_data));
        var (digest, window) = (member.Digest, member.Window);

        // Pieces of 60 KiB every 64 KiB (a marker and padding skipped between grains), read by 4 threads in a shuffled order.
        var pieces = Enumerable.Range(0, Size / 65536).ToArray();
        new Random(3).Shuffle(pieces);
        Parallel.ForEach(pieces, new ParallelOptions { MaxDegreeOfParallelism = 4 }, p => ReadThrough(window, p * 65536L, 60 * 1024));

        digest.Verify(TestContext.Current.CancellationToken);
        Assert.Equal(pieces.Length * 4096L, digest.CatchUpBytes); // only the skipped 4 KiB of each 64 KiB
    }

    [Fact]
    public void Metadata_read_first_at_the_end_is_kept_and_the_tail_nobody_read_is_read_once()
    {
        using var member = new Member(_file, Entry(_data));
        var (digest, window) = (member.Digest, member.Window);
        ReadThrough(window, Size - 1024, 1024);    // a stream footer, read first
        ReadThrough(window, 0, 512);               // the header
        ReadThrough(window, 0, Size / 2);          // the first half of the data
        digest.Verify(TestContext.Current.CancellationToken);
        Assert.Equal((Size / 2) - 1024, digest.CatchUpBytes);
    }

    [Fact]
    public void A_wrong_digest_names_the_file_the_manifest_line_and_both_digests()
    {
        var good = Entry(_data);
        var bad = good with { Digest = (good.Digest[0] == '0' ? "1" : "0") + good.Digest[1..], Line = 3 };
        using var member = new Member(_file, bad);
        var digest = member.Digest;
        ReadThrough(member.Window, 0, Size);
        var e = Assert.Throws<InvalidDataException>(() => digest.Verify(TestContext.Current.CancellationToken));
        Assert.Contains("x.ova/member.bin", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
        Assert.Contains(bad.Digest, e.Message, StringComparison.Ordinal);
        Assert.Contains(good.Digest, e.Message, StringComparison.Ordinal);
        Assert.False(digest.Verified);
    }

    [Fact]
    public void Upper_case_hex_in_the_manifest_matches()
    {
        var entry = Entry(_data);
        using var member = new Member(_file, entry with { Digest = entry.Digest.ToUpperInvariant() });
        var digest = member.Digest;
        digest.Verify(TestContext.Current.CancellationToken);
        Assert.Equal(Size, digest.CatchUpBytes); // nobody read it: the digest read it all, once
    }

    [Fact]
    public void A_window_never_reads_past_its_member()
    {
        using var handle = File.OpenHandle(_file);
        using var window = DiskFile.Window(handle, 1536, Size, "x.ova/member.bin");
        var buffer = new byte[4096];
        Assert.Equal(1000, window.Read(buffer, Size - 1000));
        Assert.Equal(_data.AsSpan(Size - 1000), buffer.AsSpan(0, 1000));
        Assert.Equal(0, window.Read(buffer, Size));
    }
}
