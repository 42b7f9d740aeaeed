using System.Runtime.InteropServices;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>
/// libvirt prints every error to stderr unless an error handler is installed. The process's file descriptor 2 is
/// redirected to a file around failing calls: with the binding's handler nothing arrives; with libvirt's default
/// handler put back for the control, the same failure is printed. Not run in parallel with the other tests, which
/// could write to fd 2 meanwhile.
/// </summary>
[Collection(nameof(LibvirtStderrTests))]
[CollectionDefinition(nameof(LibvirtStderrTests), DisableParallelization = true)]
public sealed partial class LibvirtStderrTests
{
    private static string CaptureStderr(Action action)
    {
        var file = Path.Combine(Path.GetTempPath(), $"v2v-stderr-{Guid.NewGuid():N}");
        using (var capture = File.OpenHandle(file, FileMode.CreateNew, FileAccess.Write))
        {
            var saved = Dup(2);
            Assert.True(saved >= 0);
            try
            {
                Assert.True(Dup2((int)capture.DangerousGetHandle(), 2) >= 0);
                action();
            }
            finally
            {
                Dup2(saved, 2);
                Close(saved);
            }
        }

        var text = File.ReadAllText(file);
        File.Delete(file);
        return text;
    }

    private static void Fail(LibvirtHost host)
    {
        using var conn = LibvirtConnection.Open(host.LocalUri);
        Assert.Throws<LibvirtException>(() => conn.DefineDomain("<domain"));
        Assert.Null(conn.FindPool("v2v-no-such-pool"));
        Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("qemu+tcp://127.0.0.1:1/system"));
    }

    [Fact]
    public unsafe void Libvirt_errors_are_not_printed_on_stderr()
    {
        var host = LibvirtHost.Require();
        Assert.Empty(CaptureStderr(() => Fail(host)));
        Assert.True(LibvirtErrors.HandlerInstalled);

        // Control: with libvirt's default handler the same failures are printed, so the capture does see them.
        string printed;
        LibvirtNative.SetErrorFunc(IntPtr.Zero, null);
        try
        {
            printed = CaptureStderr(() => Fail(host));
        }
        finally
        {
            LibvirtErrors.Reinstall();
        }

        Assert.Contains("libvirt:", printed);
        Assert.Contains("v2v-no-such-pool", printed);
        Assert.Empty(CaptureStderr(() => Fail(host)));
    }

    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int fd, int fd2);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
