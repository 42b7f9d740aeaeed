using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.Registry;

/// <summary>
/// The only way the converter writes a hive: each edit is logged before it is made ("registry: about to ...") and
/// after ("registry: ... done"), and recorded with the value before and after for the report.
/// An edit that changes nothing (a value already equal, a key that exists) is neither made nor recorded.
/// </summary>
public sealed class HiveEditor
{
    private readonly List<RegistryEdit> _edits = [];
    private readonly string _hiveName;
    private readonly ILogger _log;

    /// <param name="hiveName">The name the log and the report give the hive: "SYSTEM", "SOFTWARE", "BCD".</param>
    public HiveEditor(Hive hive, string hiveName, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(hive);
        ArgumentException.ThrowIfNullOrEmpty(hiveName);
        ArgumentNullException.ThrowIfNull(log);
        Hive = hive;
        _hiveName = hiveName;
        _log = log;
    }

    public Hive Hive { get; }

    /// <summary>The edits made so far, in order.</summary>
    public IReadOnlyList<RegistryEdit> Edits => _edits;

    /// <summary>Sets a value, creating its key (and parents) first when missing.</summary>
    public void SetValue(string keyPath, string name, RegValue value, string why)
    {
        ArgumentNullException.ThrowIfNull(name);
        CreateKey(keyPath, why);
        var before = Hive.GetValue(keyPath, name);
        if (before == value)
        {
            _log.Detail($@"registry: {_hiveName}\{keyPath} ""{name}"" is already {value.Render()}");
            return;
        }

        Apply(new RegistryEdit(_hiveName, keyPath, name, RegistryAction.SetValue, before?.Render(), value.Render(), why), null,
            () => Hive.SetValue(keyPath, name, value));
    }

    /// <summary>Deletes a value; false (and nothing recorded) when it does not exist.</summary>
    public bool DeleteValue(string keyPath, string name, string why)
    {
        ArgumentNullException.ThrowIfNull(name);
        var before = Hive.GetValue(keyPath, name);
        if (before is null)
        {
            return false;
        }

        Apply(new RegistryEdit(_hiveName, keyPath, name, RegistryAction.DeleteValue, before.Value.Render(), null, why), null,
            () => Hive.DeleteValue(keyPath, name));
        return true;
    }

    /// <summary>Deletes a key and its whole subtree; false (and nothing recorded) when it does not exist.</summary>
    public bool DeleteKey(string keyPath, string why)
    {
        if (Hive.Split(keyPath).Length == 0)
        {
            throw new ArgumentException($"{Hive.Path}: the root key of {_hiveName} cannot be deleted", nameof(keyPath));
        }

        if (!Hive.KeyExists(keyPath))
        {
            return false;
        }

        var summary = $"{Hive.Values(keyPath).Count} values, {Hive.SubkeyNames(keyPath).Count} subkeys";
        Apply(new RegistryEdit(_hiveName, keyPath, null, RegistryAction.DeleteKey, summary, null, why), $" (it had {summary})",
            () => Hive.DeleteKey(keyPath));
        return true;
    }

    /// <summary>Creates a key and its missing parents, one recorded edit for each key created.</summary>
    public void CreateKey(string keyPath, string why)
    {
        var path = "";
        foreach (var part in Hive.Split(keyPath))
        {
            path = path.Length == 0 ? part : path + "\\" + part;
            if (!Hive.KeyExists(path))
            {
                var created = path;
                Apply(new RegistryEdit(_hiveName, created, null, RegistryAction.CreateKey, null, null, why), null,
                    () => Hive.CreateKey(created));
            }
        }
    }

    private void Apply(RegistryEdit edit, string? detail, Action change)
    {
        _log.Info($"registry: about to {edit}{detail}");
        change();
        _edits.Add(edit);
        _log.Info($"registry: {edit} done");
    }
}
