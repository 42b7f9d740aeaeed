using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows;

/// <summary>
/// Where the virtio-win drivers come from: <c>--virtio-win PATH</c>, else <c>$VIRTIO_WIN</c>, else /usr/share/virtio-win
/// (Fedora's and RHEL's package path). PATH is a directory (the ISO's layout, or the RPM's) or an ISO image; an ISO is
/// attached to the appliance read-only and read there (no loop mount on the host).
/// </summary>
public sealed record VirtioWinLocation(string Path, bool IsIso, string Origin)
{
    public const string DefaultDirectory = "/usr/share/virtio-win";

    /// <summary>The location, or null when none is given and the default does not exist. A given path that does not exist is a usage error.</summary>
    public static VirtioWinLocation? Resolve(string? option, string? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable("VIRTIO_WIN");
        var (path, origin) = option is { Length: > 0 } ? (option, "--virtio-win") : environment is { Length: > 0 } ? (environment, "$VIRTIO_WIN") : (DefaultDirectory, "default");
        if (Directory.Exists(path))
        {
            // The RPM puts an ISO beside a drivers/ tree; a folder holding only virtio-win*.iso is the ISO.
            var isos = Directory.GetFiles(path, "virtio-win*.iso");
            var onlyIso = isos.Length > 0 && !Directory.EnumerateDirectories(path).Any();
            return onlyIso ? new VirtioWinLocation(isos.Order(StringComparer.Ordinal).Last(), true, origin) : new VirtioWinLocation(System.IO.Path.GetFullPath(path), false, origin);
        }

        if (File.Exists(path))
        {
            return new VirtioWinLocation(System.IO.Path.GetFullPath(path), true, origin);
        }

        return origin == "default" ? null : throw new UsageException($"{origin} {path}: no such directory or ISO image");
    }

    public override string ToString() => $"{Path} ({(IsIso ? "ISO image" : "directory")}, from {Origin})";
}
