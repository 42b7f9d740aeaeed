namespace V2VConverter.Guest.Windows.Registry;

/// <summary>What one registry edit did.</summary>
public enum RegistryAction
{
    /// <summary>A key was created.</summary>
    CreateKey,

    /// <summary>A key and everything below it was deleted.</summary>
    DeleteKey,

    /// <summary>A value was set (created or changed).</summary>
    SetValue,

    /// <summary>A value was deleted.</summary>
    DeleteValue,
}

/// <summary>
/// One edit of a guest hive, for the log and <c>report.json</c>: the hive ("SYSTEM", "SOFTWARE", "BCD"), the key path
/// below the hive root (<c>ControlSet001\Services\viostor</c>), the value name (null for key edits, "" for the default value),
/// and the value before and after as <see cref="RegValue.Render"/> text (null when it did not exist / no longer exists).
/// </summary>
public sealed record RegistryEdit(string Hive, string Key, string? Value, RegistryAction Action, string? Before, string? After, string Why)
{
    public override string ToString() => Action switch
    {
        RegistryAction.CreateKey => $@"{Hive}\{Key}: key created ({Why})",
        RegistryAction.DeleteKey => $@"{Hive}\{Key}: key deleted ({Why})",
        _ => $@"{Hive}\{Key}: ""{(Value?.Length == 0 ? "@" : Value)}"" {Before ?? "(none)"} -> {After ?? "(deleted)"} ({Why})",
    };
}
