using System.Runtime.InteropServices;
using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>
/// Opening connections to the test libvirtd (tests/deps/setup.d/libvirtd.sh). The tcp and ssh URIs listen on
/// 127.0.0.1 of the host's own network namespace, so they are opened on a thread that first joins that namespace
/// (setns(2) moves only the calling thread): the socket, or the ssh child, is made there and keeps working from any
/// thread afterwards, as a connection from another machine would.
/// </summary>
internal static partial class LibvirtTestKit
{
    private const int CloneNewNet = 0x40000000;

    public static LibvirtConnection Open(LibvirtHost host, string uri) =>
        uri == host.LocalUri ? LibvirtConnection.Open(uri) : InNamespace(host, () => LibvirtConnection.Open(uri));

    /// <summary>Runs <paramref name="f"/> on a new thread inside the host's network namespace.</summary>
    public static T InNamespace<T>(LibvirtHost host, Func<T> f)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using (var ns = File.OpenHandle($"/run/netns/{host.Namespace}"))
                {
                    if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    {
                        throw new IOException($"setns into {host.Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }

                result = f();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        t.Start();
        t.Join();
        return error is null ? result : throw new AggregateException(error);
    }

    /// <summary>A volume name no other test uses.</summary>
    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static string RawVolumeXml(string name, long capacity) =>
        $"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>";

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
