using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// Where the first-boot files live, as Windows paths (<c>C:\Windows\V2V\Firstboot</c>) and as guest paths from the C:
/// root (<c>/Windows/V2V/Firstboot</c>), both derived from the guest's own SystemRoot folder name.
/// </summary>
internal sealed partial class FirstBootLayout
{
    private FirstBootLayout(string systemRoot, string guestRoot, bool oldSystem32)
    {
        SystemRoot = systemRoot;
        GuestSystemRoot = guestRoot;
        System32 = oldSystem32 ? "system32" : "System32";
    }

    /// <summary><c>C:\Windows</c> as the guest spells it, without a trailing backslash.</summary>
    public string SystemRoot { get; }

    /// <summary><c>/Windows</c>.</summary>
    public string GuestSystemRoot { get; }

    /// <summary>"System32" (Vista and later) or "system32" (NT 5), as Explorer shows the folder.</summary>
    public string System32 { get; }

    public string Folder => SystemRoot + @"\V2V\Firstboot";

    public string DoneFolder => Folder + @"\done";

    public string OrigFolder => Folder + @"\orig";

    public string LogPath => SystemRoot + @"\V2V\firstboot.log";

    public string LogFolder => SystemRoot + @"\V2V";

    public string Runner => Folder + @"\" + FirstBootPlanner.RunnerName;

    public string GroupPolicy => $@"{SystemRoot}\{System32}\GroupPolicy";

    public string GptIni => GroupPolicy + @"\gpt.ini";

    public string MachineFolder => GroupPolicy + @"\Machine";

    public string ScriptsIni => MachineFolder + @"\Scripts\scripts.ini";

    /// <summary>The guest path ('/'-separated, from the C: root) of a Windows path below SystemRoot.</summary>
    public string ToGuest(string windowsPath)
    {
        if (!windowsPath.StartsWith(SystemRoot + @"\", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{windowsPath} is not below {SystemRoot}", nameof(windowsPath));
        }

        return GuestSystemRoot + windowsPath[SystemRoot.Length..].Replace('\\', '/');
    }

    /// <summary>Checks <paramref name="systemRoot"/> (<c>C:\Windows</c>) and derives the layout.</summary>
    public static FirstBootLayout For(string systemRoot, int ntMajor)
    {
        ArgumentNullException.ThrowIfNull(systemRoot);
        var root = systemRoot.TrimEnd('\\');
        var m = SystemRootPattern().Match(root);
        if (!m.Success)
        {
            throw new ArgumentException($"SystemRoot \"{systemRoot}\" is not a folder of a drive such as C:\\Windows (letters, digits, space, '.', '_' and '-' only)", nameof(systemRoot));
        }

        if (!m.Groups["drive"].Value.Equals("C", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"SystemRoot \"{systemRoot}\" is not on C:; first-boot files are written from the C: root");
        }

        return new FirstBootLayout("C" + root[1..], "/" + m.Groups["rest"].Value.Replace('\\', '/'), ntMajor < 6);
    }

    // Letters, digits, space, '.', '_' and '-' only: SystemRoot also appears unquoted in a cmd.exe line (the deferred rd).
    [GeneratedRegex(@"^(?<drive>[A-Za-z]):\\(?<rest>[A-Za-z0-9 ._-]+(?:\\[A-Za-z0-9 ._-]+)*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SystemRootPattern();
}
