using System.Globalization;
using System.Text;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;
using V2VConverter.Model.Vm;

namespace V2VConverter.Mapping.Plan;

/// <summary>
/// What from a stranger's VMX may reach the KVM host. The model stays faithful to the VMX; the planner decides, since it
/// knows the VM folder and the options. By default only what is safe is carried: a serial or parallel port writing a
/// file becomes a pty; a host device or a socket (listening or connecting) is not carried; a CD-ROM or floppy image
/// whose real path (links resolved) is outside the VM folder becomes an empty drive. Each is a warning naming the VMX
/// key and value. <c>--keep-host-devices</c> (<see cref="PlanOptions.KeepHostDevices"/>) carries them as they are.
/// </summary>
public sealed partial class Planner
{
    private const string HostDeviceSafetyRule = "safety#host-devices";
    private const string KeepHostDevicesRule = "option --keep-host-devices";
    private const string KeepHint = "--keep-host-devices keeps it";

    /// <summary>The image path if it may be attached, null for an empty drive.</summary>
    private string? ConfineImage(VirtualMachine vm, string key, string? fileName, string? path, PlanOptions options)
    {
        if (path is null)
        {
            return null;
        }

        var real = RealOrNull(path);
        if (vm.BaseDirectory is { } folder && real is not null && RealOrNull(folder) is { } realFolder && InputFile.IsWithin(real, realFolder))
        {
            return path;
        }

        if (options.KeepHostDevices)
        {
            Decide(key, $"image {path}", "attached although it is outside the VM folder", KeepHostDevicesRule);
            return path;
        }

        var where = real == path ? path : $"{path} (really {real ?? "a path that does not resolve"})";
        log.Warn(
            $"{key}.fileName = \"{fileName}\" is {where}, outside the VM folder {vm.BaseDirectory ?? "(none)"}: QEMU on the KVM host would open it; the drive is left empty ({KeepHint})",
            vm.Origin);
        return null;
    }

    /// <summary>The port as planned if it is safe (or kept on purpose), a pty for a file, null when it is not carried.</summary>
    private CharDevPlan? ConfineCharDev(CharDevPlan plan, string subject, CharDeviceKind kind, string? target, PlanOptions options, string? origin)
    {
        if (plan.Type == "pty")
        {
            return plan;
        }

        var source = $"{subject}.fileName = \"{target}\" ({subject}.fileType {kind.ToString().ToLowerInvariant()})";
        if (options.KeepHostDevices)
        {
            Decide(subject, source, $"{plan.Type} kept as it is", KeepHostDevicesRule);
            return plan;
        }

        switch (plan.Type)
        {
            case "file":
                log.Warn($"{source}: QEMU on the KVM host would write to the host file {plan.Path}; the port becomes a pty ({KeepHint})", origin);
                return plan with { Type = "pty", Path = null, Mode = null };
            case "dev":
                log.Warn($"{source}: the KVM host's device {plan.Path} would be given to the guest; the port is not carried ({KeepHint})", origin);
                return null;
            case "unix":
                log.Warn($"{source}: QEMU on the KVM host would {(plan.Mode == "connect" ? "connect to" : "create and listen on")} the UNIX socket {plan.Path}; the port is not carried ({KeepHint})", origin);
                return null;
            default:
                log.Warn($"{source}: QEMU on the KVM host would {(plan.Mode == "bind" ? "listen on" : "connect to")} {plan.Protocol ?? plan.Type} {plan.Host}:{plan.Service}; the port is not carried ({KeepHint})", origin);
                return null;
        }
    }

    /// <summary>
    /// A VMX label made fit for XML text: control characters (which XML 1.0 cannot hold, or which make names unusable)
    /// are replaced by '_', with a warning naming the key. Line breaks and tabs are kept where text may have them.
    /// </summary>
    private string XmlText(string key, string value, string? origin, bool keepLineBreaks)
    {
        StringBuilder? sb = null;
        var found = new List<string>();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var bad = char.IsControl(c) ? !(keepLineBreaks && c is '\n' or '\r' or '\t')
                : char.IsSurrogate(c) ? !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    && !(char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]))
                : c is '\uFFFE' or '\uFFFF';
            if (!bad)
            {
                sb?.Append(c);
                continue;
            }

            sb ??= new StringBuilder(value, 0, i, value.Length);
            sb.Append('_');
            var code = "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
            if (!found.Contains(code))
            {
                found.Add(code);
            }
        }

        if (sb is null)
        {
            return value;
        }

        var clean = sb.ToString();
        log.Warn($"{key} has control characters ({string.Join(", ", found)}) that XML or libvirt cannot take; each is replaced by '_': \"{clean}\"", origin);
        return clean;
    }

    /// <summary>
    /// The real path (<see cref="InputFile.RealPath"/>); for an image that does not exist, the real path of its folder
    /// and its name (a missing ISO inside the VM folder stays inside); null when neither resolves (taken as outside).
    /// </summary>
    private static string? RealOrNull(string path)
    {
        try
        {
            return InputFile.RealPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                var full = Path.GetFullPath(path);
                return Path.Join(InputFile.RealPath(Path.GetDirectoryName(full) ?? "/"), Path.GetFileName(full));
            }
            catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
