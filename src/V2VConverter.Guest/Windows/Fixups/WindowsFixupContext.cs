using V2VConverter.Guest.Transforms;
using V2VConverter.Guest.Fixups;
using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.Guest.Windows.Inspection;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.Fixups;

/// <summary>One Windows fixup: a small unit that changes the guest only through its context (files through the session, registry through the editors).</summary>
public interface IWindowsFixup
{
    string Name { get; }

    FixupResult Apply(WindowsFixupContext context);
}

/// <summary>What the Windows fixups share: the guest, its inspection, the hive editors, the options, and what earlier fixups did.</summary>
public sealed class WindowsFixupContext(GuestfsSession session, WindowsInspection inspection, HiveEditor system, HiveEditor software, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, VirtioWinLocation? virtioWin, ILogger log)
{
    public GuestfsSession Session { get; } = session;

    public WindowsInspection Inspection { get; } = inspection;

    public HiveEditor System { get; } = system;

    public HiveEditor Software { get; } = software;

    public IReadOnlyList<NicInfo> Nics { get; } = nics;

    public GuestConversionOptions Options { get; } = options;

    public VirtioWinLocation? VirtioWin { get; } = virtioWin;

    public ILogger Log { get; } = log;

    /// <summary>SYSTEM\ControlSetNNN.</summary>
    public string ControlSet => Inspection.ControlSet;

    // Set by the driver fixup, read by the later ones.

    /// <summary>The driver set copied into the guest; null when none (compatibility devices).</summary>
    public VirtioDriverSet? Drivers { get; set; }

    /// <summary>The boot disk driver made boot-critical ("viostor" or "vioscsi"); null when none.</summary>
    public string? BootDriver { get; set; }

    /// <summary>%SystemRoot%\Drivers\VirtIO as Windows writes it, when drivers were staged.</summary>
    public string? DriverFolderWindows { get; set; }

    /// <summary>The guest agent MSI staged in the driver folder (Windows path).</summary>
    public string? GuestAgentMsiWindows { get; set; }

    /// <summary>The virtio devices the guest now has drivers for: "block" or "scsi", "net", "balloon", "serial", "rng".</summary>
    public HashSet<string> VirtioDevices { get; } = new(StringComparer.Ordinal);

    /// <summary>Edits of the ESP's BCD store (a hive of its own, not one of the two editors).</summary>
    public List<RegistryEdit> BcdEdits { get; } = [];

    /// <summary>The VMware Tools MSI product codes to uninstall at first boot.</summary>
    public List<string> ToolsProductCodes { get; } = [];

    /// <summary>"C:\Windows\x" for a guest path "/Windows/x".</summary>
    public static string WindowsPath(string guestPath) => "C:" + guestPath.Replace('/', '\\');
}

/// <summary>Collects one Windows fixup's actions, warnings and registry edits (the edits come from the hive editors, counted from where the fixup started).</summary>
public sealed class WindowsFixupRecorder(string name, WindowsFixupContext context) : FixupNotes(name, context.Log)
{
    private readonly int _systemStart = context.System.Edits.Count;
    private readonly int _softwareStart = context.Software.Edits.Count;
    private readonly int _bcdStart = context.BcdEdits.Count;
    private readonly List<FileChange> _files = [];

    public void File(string guestPath, bool created, string what)
    {
        _files.Add(new FileChange(guestPath, [new LineChange(1, "", what)], Created: created));
        Logger.Info($"{Name}: {(created ? "created" : "changed")} {guestPath} ({what})");
    }

    public FixupResult Finish(FixupStatus? status = null)
    {
        var edits = context.System.Edits.Skip(_systemStart).Concat(context.Software.Edits.Skip(_softwareStart)).Concat(context.BcdEdits.Skip(_bcdStart)).ToList();
        var changed = _files.Count > 0 || Actions.Count > 0 || edits.Count > 0;
        return new FixupResult(Name, status ?? (changed ? FixupStatus.Applied : FixupStatus.NotNeeded), _files, Actions, Verifications, Warnings) { Registry = edits };
    }
}
