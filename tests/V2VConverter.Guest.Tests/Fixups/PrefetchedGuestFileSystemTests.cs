using System.Diagnostics;
using V2VConverter.Guest.Access;

namespace V2VConverter.Guest.Tests.Fixups;

/// <summary>
/// The one-listing file prober against an oracle: this machine's own tree, probed directly
/// (lstat semantics, and glob(3) through the shell with a slash after directories) and through the
/// listing that GNU find prints here. Every answer must agree; most must come from the listing.
/// </summary>
public sealed class PrefetchedGuestFileSystemTests
{
    /// <summary>The host tree as a guest: the real answers, counting every question asked.</summary>
    private sealed class HostTree : IGuestFileSystem
    {
        public int Asked { get; private set; }

        public int Shells { get; private set; }

        // test(1) semantics, as the appliance's calls have them: -e follows links; file and directory are lstat's.
        public bool Exists(string path) => Test($"[ -e '{path}' ]");

        public bool IsFile(string path) => Test($"[ -f '{path}' ] && [ ! -L '{path}' ]");

        public bool IsDirectory(string path) => Test($"[ -d '{path}' ] && [ ! -L '{path}' ]");

        public bool IsSymlink(string path) => Test($"[ -L '{path}' ]");

        public IReadOnlyList<string> Glob(string pattern)
        {
            Asked++;
            // glob(3) with GLOB_MARK: the shell expands, and a slash marks each directory (following symlinks, like stat).
            var o = Run($"for f in {pattern}; do [ -e \"$f\" ] || [ -L \"$f\" ] || continue; if [ -d \"$f\" ]; then echo \"$f/\"; else echo \"$f\"; fi; done");
            return o.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        }

        public string Shell(string script)
        {
            Shells++;
            return Run(script);
        }

        public string ReadText(string path) => File.ReadAllText(path);

        public void WriteText(string path, string text) => throw new NotSupportedException();

        public IReadOnlyList<string> Find(string directory) => throw new NotSupportedException();

        public void Remove(string path) => throw new NotSupportedException();

        public void MakeDirectories(string path) => throw new NotSupportedException();

        public void Chmod(int mode, string path) => throw new NotSupportedException();

        public string Command(params string[] argv) => throw new NotSupportedException();

        private bool Test(string script)
        {
            Asked++;
            return Run(script + " && echo yes").Trim() == "yes";
        }

        private static string Run(string script)
        {
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(script);
            using var p = Process.Start(psi)!;
            _ = p.StandardError.ReadToEndAsync();
            var o = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return o;
        }
    }

    private static readonly string[] Paths =
    [
        "/etc", "/etc/passwd", "/etc/hostname", "/etc/nonexistent", "/etc/default/grub", "/etc/fstab", "/etc/alternatives/awk",
        "/etc/systemd/system", "/etc/network/interfaces", "/etc/initramfs-tools", "/etc//passwd", "/etc/passwd/",
        "/usr/sbin/update-initramfs", "/usr/sbin/grub-mkconfig", "/usr/bin/env", "/bin/sh", "/sbin/mkinitrd",
        "/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd", "/var/lib/dpkg/status", "/var/lib/dpkg/info",
        "/boot/grub/grub.cfg", "/lib/modules", "/usr/lib/modules", "/root", "/tmp",
    ];

    private static readonly string[] Patterns =
    [
        "/etc/*.conf", "/etc/rc[0-6S].d", "/etc/rc[!0-6].d", "/etc/init.d/*", "/etc/systemd/system/*", "/etc/systemd/system/*.wants/*",
        "/etc/network/interfaces.d/*", "/etc/netplan/*.yaml", "/etc/sysconfig/network-scripts/ifcfg-*", "/etc/.*", "/etc/?asswd",
        "/boot/vmlinuz-*", "/var/lib/dpkg/info/dpkg.*", "/var/lib/dpkg/info/libc6:*", "/usr/sbin/update-*", "/lib/modules/*",
        "/usr/lib/modules/*/modules.dep", "/etc/{a,b}*", "/tmp/*", "/etc/*/", "/etc//rc2.d//*",
    ];

    [Fact]
    public void Every_answer_matches_the_real_tree_and_most_come_from_one_listing()
    {
        var oracle = new HostTree();
        var host = new HostTree();
        var fs = new PrefetchedGuestFileSystem(host);
        foreach (var p in Paths)
        {
            Assert.True(oracle.Exists(p) == fs.Exists(p), $"Exists {p}");
            Assert.True(oracle.IsFile(p) == fs.IsFile(p), $"IsFile {p}");
            Assert.True(oracle.IsDirectory(p) == fs.IsDirectory(p), $"IsDirectory {p}");
            Assert.True(oracle.IsSymlink(p) == fs.IsSymlink(p), $"IsSymlink {p}");
        }

        foreach (var pattern in Patterns)
        {
            Assert.Equal(oracle.Glob(pattern), fs.Glob(pattern));
        }

        Assert.Equal(1, fs.Listings);
        Assert.Equal(1, host.Shells);
        Assert.True(host.Asked < oracle.Asked / 3, $"{host.Asked} of {oracle.Asked} questions went to the guest");
    }

    [Fact]
    public void A_guest_command_drops_the_listing_and_the_next_question_reads_it_again()
    {
        var host = new HostTree();
        var fs = new PrefetchedGuestFileSystem(host);
        Assert.True(fs.IsFile("/etc/passwd"));
        fs.Shell("true");
        Assert.True(fs.IsFile("/etc/passwd"));
        Assert.Equal(2, fs.Listings);
    }

    [Fact]
    public void A_listing_without_its_end_mark_or_from_a_find_without_printf_is_not_used()
    {
        Assert.Null(PrefetchedGuestFileSystem.Parse("f /etc/passwd\n"));
        Assert.Null(PrefetchedGuestFileSystem.Parse("/etc\n/etc/passwd\n@@v2v-listing-end\n"));
        var ok = PrefetchedGuestFileSystem.Parse("d /etc\nf /etc/passwd\nl /etc/alternatives/awk\n@@v2v-listing-end\n")!;
        Assert.Equal('f', ok["/etc/passwd"]);
        Assert.Equal('l', ok["/etc/alternatives/awk"]);
    }
}
