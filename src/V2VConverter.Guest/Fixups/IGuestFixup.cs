using Serilog;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Guest.Access;
using V2VConverter.Guest.Inspection;
using V2VConverter.Guest.Network;
using V2VConverter.Guest.Transforms;

namespace V2VConverter.Guest.Fixups;

/// <summary>One guest fixup: a small pluggable unit (like Serilog's ILogEventSink). It reads and edits the guest only through the context.</summary>
public interface IGuestFixup
{
    string Name { get; }

    FixupResult Apply(GuestFixupContext context);
}

public enum FixupStatus
{
    /// <summary>Changed the guest.</summary>
    Applied,

    /// <summary>Nothing to do for this guest.</summary>
    NotNeeded,

    /// <summary>Ran but could not finish; see the warnings.</summary>
    Failed,
}

/// <summary>The lines a fixup changed in one guest file (a new file has only "after" lines).</summary>
public sealed record FileChange(string Path, IReadOnlyList<LineChange> Lines, bool Created = false, bool Deleted = false);

/// <summary>What one fixup did: files changed, commands run, checks made, warnings.</summary>
public sealed record FixupResult(
    string Name,
    FixupStatus Status,
    IReadOnlyList<FileChange> Files,
    IReadOnlyList<string> Actions,
    IReadOnlyList<string> Verification,
    IReadOnlyList<string> Warnings)
{
    /// <summary>The registry edits of a Windows fixup, each with its value before and after (empty for Linux fixups).</summary>
    public IReadOnlyList<V2VConverter.Guest.Windows.Registry.RegistryEdit> Registry { get; init; } = [];
}

/// <summary>Everything a fixup may use: the guest, what inspection found, the device maps, the NICs and the log.</summary>
public sealed class GuestFixupContext
{
    public GuestFixupContext(IGuestFileSystem guest, GuestInspection inspection, DeviceRemapper sourceNames, DeviceRemapper applianceNames, IReadOnlyList<NicInfo> nics, GuestConversionOptions options, ILogger log)
    {
        Guest = guest;
        Inspection = inspection;
        SourceNames = sourceNames;
        ApplianceNames = applianceNames;
        Nics = nics;
        Options = options;
        Log = log;
    }

    public IGuestFileSystem Guest { get; }

    public GuestInspection Inspection { get; }

    /// <summary>Maps the device names the guest used on VMware (sda) to the new ones.</summary>
    public DeviceRemapper SourceNames { get; }

    /// <summary>Maps the names the disks have inside the libguestfs appliance (what a grub-mkconfig run there writes) to the new ones.</summary>
    public DeviceRemapper ApplianceNames { get; }

    public IReadOnlyList<NicInfo> Nics { get; }

    public GuestConversionOptions Options { get; }

    public ILogger Log { get; }
}

/// <summary>What every fixup recorder keeps: its actions, checks and warnings, each logged under the fixup's name as it is made.</summary>
public abstract class FixupNotes(string name, ILogger log)
{
    protected string Name { get; } = name;

    protected ILogger Logger { get; } = log;

    protected List<string> Actions { get; } = [];

    protected List<string> Verifications { get; } = [];

    protected List<string> Warnings { get; } = [];

    public bool HasWarnings => Warnings.Count > 0;

    public void Action(string text)
    {
        Actions.Add(text);
        Logger.Info($"{Name}: {text}");
    }

    public void Verified(string text)
    {
        Verifications.Add(text);
        Logger.Info($"{Name}: verify: {text}");
    }

    /// <summary>A note for the log only (how something was done), not an action, check or warning.</summary>
    public void Log(string text) => Logger.Info($"{Name}: {text}");

    public void Warn(string text)
    {
        Warnings.Add(text);
        Logger.Info($"{Name}: WARNING: {text}");
    }
}

/// <summary>Collects one fixup's results and applies pure text transforms to guest files, logging before/after lines.</summary>
public sealed class FixupRecorder(string name, GuestFixupContext context) : FixupNotes(name, context.Log)
{
    private readonly List<FileChange> _files = [];

    public bool HasChanges => _files.Count > 0 || Actions.Count > 0;

    /// <summary>Reads a guest file, runs a pure transform on it, writes it back when it changed, and records the lines.</summary>
    public TextTransformResult? Edit(string path, Func<string, TextTransformResult> transform)
    {
        if (!context.Guest.IsFile(path))
        {
            return null;
        }

        var r = transform(context.Guest.ReadText(path));
        foreach (var w in r.Warnings)
        {
            Warn($"{path}: {w}");
        }

        if (r.Changed)
        {
            context.Guest.WriteText(path, r.Text);
            Record(new FileChange(path, r.Changes));
        }

        return r;
    }

    /// <summary>Writes a whole new file (or replaces one), recording every line as added.</summary>
    public void Create(string path, string text)
    {
        var existed = context.Guest.Exists(path);
        var old = existed && context.Guest.IsFile(path) ? context.Guest.ReadText(path) : null;
        if (string.Equals(old, text, StringComparison.Ordinal))
        {
            return;
        }

        var dir = path[..path.LastIndexOf('/')];
        if (dir.Length > 0)
        {
            context.Guest.MakeDirectories(dir);
        }

        context.Guest.WriteText(path, text);
        var lines = text.TrimEnd('\n').Split('\n').Select((l, i) => new LineChange(i + 1, "", l)).ToList();
        Record(new FileChange(path, lines, Created: !existed));
    }

    public void Deleted(string path)
    {
        Record(new FileChange(path, [], Deleted: true));
    }

    private void Record(FileChange fc)
    {
        _files.Add(fc);
        if (fc.Deleted)
        {
            Logger.Info($"{Name}: removed {fc.Path}");
            return;
        }

        Logger.Info($"{Name}: {(fc.Created ? "created" : "changed")} {fc.Path}");
        foreach (var l in fc.Lines)
        {
            if (l.Before.Length > 0)
            {
                Logger.Info($"{Name}:   {fc.Path}:{l.Line} - {l.Before}");
            }

            Logger.Info($"{Name}:   {fc.Path}:{l.Line} + {l.After}");
        }
    }

    public FixupResult Finish(FixupStatus? status = null) =>
        new(Name, status ?? (HasChanges ? FixupStatus.Applied : FixupStatus.NotNeeded), _files, Actions, Verifications, Warnings);
}
