using V2VConverter.Guest.Transforms;
using V2VConverter.TestSupport;

namespace V2VConverter.Guest.Tests.Transforms;

/// <summary>
/// The host-side initramfs lister against real tools: images made by cpio(1) with gzip, zstd and lz4,
/// an early (uncompressed) archive in front as microcode images have, and this machine's own
/// /boot initramfs compared with Debian's lsinitramfs.
/// </summary>
public sealed class InitramfsArchiveTests
{
    [Fact]
    public void This_machines_initramfs_lists_as_lsinitramfs_lists_it()
    {
        Tool.Require("lsinitramfs");
        var image = Directory.GetFiles("/boot", "initrd.img-*").Order(StringComparer.Ordinal).FirstOrDefault();
        if (image is null)
        {
            Assert.Skip("no /boot/initrd.img-* on this machine");
        }

        var expected = Tool.Check("lsinitramfs", image).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n != ".").ToHashSet(StringComparer.Ordinal);
        using var s = File.OpenRead(image);

        var names = InitramfsArchive.TryList(s, out var why);

        Assert.Null(why);
        Assert.NotNull(names);
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Where(n => n != ".").Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(names, n => n.EndsWith(".ko", StringComparison.Ordinal) || n.Contains(".ko.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("zstd")]
    public void An_early_archive_then_a_compressed_main_archive_list_in_order(string compressor)
    {
        Tool.Require("cpio");
        Tool.Require(compressor);
        var dir = RepoPaths.NewTempDir("v2v-initramfs");
        try
        {
            var image = Build(dir, compressor);
            using var s = File.OpenRead(image);

            var names = InitramfsArchive.TryList(s, out var why);

            Assert.Null(why);
            Assert.Equal(["kernel", "kernel/x86", "kernel/x86/microcode", "kernel/x86/microcode/AuthenticAMD.bin", ".", "usr", "usr/lib", "usr/lib/modules", "usr/lib/modules/6.1.0-50-amd64", "usr/lib/modules/6.1.0-50-amd64/virtio_blk.ko", "usr/lib/modules/6.1.0-50-amd64/odd-name.ko.zst", "init"], names);
            Assert.Equal(["virtio_blk", "odd_name"], ModuleListing.ModuleNames(string.Join('\n', names!)).Order(StringComparer.Ordinal).Reverse());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Another_compression_is_left_to_the_guests_tool()
    {
        Tool.Require("cpio");
        Tool.Require("lz4");
        var dir = RepoPaths.NewTempDir("v2v-initramfs");
        try
        {
            using var s = File.OpenRead(Build(dir, "lz4"));

            Assert.Null(InitramfsArchive.TryList(s, out var why));
            Assert.Contains("other than gzip or zstd", why, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Corrupt_and_cut_images_are_invalid_data_naming_the_field()
    {
        Tool.Require("cpio");
        Tool.Require("gzip");
        var dir = RepoPaths.NewTempDir("v2v-initramfs");
        try
        {
            var good = File.ReadAllBytes(Build(dir, "none"));
            var badName = (byte[])good.Clone();
            "zzzzzzzz"u8.CopyTo(badName.AsSpan(6 + (11 * 8)));   // c_namesize of the first entry
            var cut = good.AsSpan(0, good.Length / 2).ToArray();

            Assert.Contains("c_namesize", Assert.Throws<InvalidDataException>(() => InitramfsArchive.TryList(new MemoryStream(badName), out _)).Message, StringComparison.Ordinal);
            Assert.Throws<InvalidDataException>(() => InitramfsArchive.TryList(new MemoryStream(cut), out _));
            Assert.Contains("no cpio archive", Assert.Throws<InvalidDataException>(() => InitramfsArchive.TryList(new MemoryStream([]), out _)).Message, StringComparison.Ordinal);
            Assert.Contains("c_filesize", Assert.Throws<InvalidDataException>(() => InitramfsArchive.TryList(new MemoryStream("070701 but not a header at all, and long enough to read one"u8.ToArray().Concat(new byte[120]).ToArray()), out _)).Message, StringComparison.Ordinal);
            var glued = good.Concat("0707zz"u8.ToArray()).Concat(new byte[200]).ToArray(); // after the early archive's trailer: neither cpio nor a known compression
            Assert.Null(InitramfsArchive.TryList(new MemoryStream(glued), out var why));
            Assert.Contains("magic 3037303", why, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>An early microcode archive (uncompressed), then the main archive compressed with <paramref name="compressor"/> ("none": both plain).</summary>
    private static string Build(string dir, string compressor)
    {
        var early = Path.Combine(dir, "early");
        Directory.CreateDirectory(Path.Combine(early, "kernel/x86/microcode"));
        File.WriteAllText(Path.Combine(early, "kernel/x86/microcode/AuthenticAMD.bin"), "microcode");
        var main = Path.Combine(dir, "main");
        Directory.CreateDirectory(Path.Combine(main, "usr/lib/modules/6.1.0-50-amd64"));
        File.WriteAllText(Path.Combine(main, "usr/lib/modules/6.1.0-50-amd64/virtio_blk.ko"), new string('k', 5001));
        File.WriteAllText(Path.Combine(main, "usr/lib/modules/6.1.0-50-amd64/odd-name.ko.zst"), "z");
        File.WriteAllText(Path.Combine(main, "init"), "#!/bin/sh\n");
        var image = Path.Combine(dir, "initrd.img");
        var compress = compressor switch
        {
            "none" => "cat",
            "gzip" => "gzip -9",
            "zstd" => "zstd -q -19 -c",
            "lz4" => "lz4 -l -q -c",
            _ => throw new ArgumentException(compressor),
        };
        Tool.Check("sh", "-c",
            $"cd '{early}' && printf '%s\\n' kernel kernel/x86 kernel/x86/microcode kernel/x86/microcode/AuthenticAMD.bin | cpio -o -H newc --quiet > '{image}' && " +
            $"cd '{main}' && printf '%s\\n' . usr usr/lib usr/lib/modules usr/lib/modules/6.1.0-50-amd64 usr/lib/modules/6.1.0-50-amd64/virtio_blk.ko 'usr/lib/modules/6.1.0-50-amd64/odd-name.ko.zst' init | cpio -o -H newc --quiet | {compress} >> '{image}'");
        return image;
    }
}
