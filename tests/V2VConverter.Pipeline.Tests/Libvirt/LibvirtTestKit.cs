using V2VConverter.Pipeline.Outputs.Libvirt.Api;
using V2VConverter.TestSupport;

namespace V2VConverter.Pipeline.Tests.Libvirt;

/// <summary>
/// Opening connections to the test libvirtd (tests/deps/setup.d/libvirtd.sh). The tcp and ssh URIs listen on
/// 127.0.0.1 of the host's own network namespace, so they are opened on a thread that first joins that namespace
/// (<see cref="LibvirtHost.InNamespace"/>).
/// </summary>
internal static class LibvirtTestKit
{
    public static LibvirtConnection Open(LibvirtHost host, string uri) =>
        uri == host.LocalUri ? LibvirtConnection.Open(uri) : InNamespace(host, () => LibvirtConnection.Open(uri));

    /// <summary>Runs <paramref name="f"/> on a thread inside the host's network namespace.</summary>
    public static T InNamespace<T>(LibvirtHost host, Func<T> f) => host.InNamespace(f);

    /// <summary>A volume name no other test uses.</summary>
    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static string RawVolumeXml(string name, long capacity) =>
        $"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>0</allocation><target><format type='raw'/></target></volume>";
}
