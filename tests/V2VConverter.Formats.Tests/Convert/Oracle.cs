using V2VConverter.TestSupport;

namespace V2VConverter.Formats.Tests.Convert;

/// <summary>qemu-img as the oracle: check (exit 0, no leaks) and compare (identical).</summary>
public static class Oracle
{
    public static void AssertCheckClean(string qcow2)
    {
        Tool.Require("qemu-img");
        var r = Tool.Run("qemu-img", ["check", "-f", "qcow2", qcow2]);
        Assert.True(r.ExitCode == 0, $"qemu-img check {qcow2} exited {r.ExitCode}: {r.All}");
        Assert.Contains("No errors were found", r.StdOut);
        Assert.DoesNotContain("Leaked", r.All);
    }

    public static void AssertIdentical(string a, string b)
    {
        Tool.Require("qemu-img");
        var r = Tool.Run("qemu-img", ["compare", a, b]);
        Assert.True(r.ExitCode == 0, $"qemu-img compare {a} {b} exited {r.ExitCode}: {r.All}");
        Assert.Contains("Images are identical", r.StdOut);
    }

    public static void AssertSameBytes(string a, string b)
    {
        var fa = new FileInfo(a);
        var fb = new FileInfo(b);
        Assert.Equal(fa.Length, fb.Length);
        using var sa = fa.OpenRead();
        using var sb = fb.OpenRead();
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        long pos = 0;
        while (true)
        {
            var na = sa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var nb = sb.ReadAtLeast(bb, bb.Length, throwOnEndOfStream: false);
            Assert.Equal(na, nb);
            if (na == 0)
            {
                break;
            }

            var diff = ba.AsSpan(0, na).CommonPrefixLength(bb.AsSpan(0, nb));
            Assert.True(diff == na, $"{a} and {b} differ at byte {pos + diff}");
            pos += na;
        }
    }
}
