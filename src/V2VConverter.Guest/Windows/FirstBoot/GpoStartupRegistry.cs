using System.Globalization;
using V2VConverter.Guest.Windows.Drivers;
using V2VConverter.Guest.Windows.Registry;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// The registry mirror of the local GPO's startup scripts, which the Scripts client-side extension writes from
/// scripts.ini and the script runner (gpscript / userinit) reads at boot. NT 6.0 and later:
/// <c>SOFTWARE\Microsoft\Windows\CurrentVersion\Group Policy\Scripts\Startup\0</c> (the GPO: GPO-ID, SOM-ID, FileSysPath,
/// DisplayName, GPOName, PSScriptOrder) and <c>...\0\N</c> (the script: Script, Parameters, IsPowershell, ExecTime), the
/// same under <c>...\Group Policy\State\Machine\Scripts\Startup</c>; NT 5.x: <c>SOFTWARE\Policies\Microsoft\Windows\System\Scripts\Startup</c>.
/// </summary>
internal static class GpoStartupRegistry
{
    public const string Hive = "SOFTWARE";

    private const string ScriptsRoot = @"Microsoft\Windows\CurrentVersion\Group Policy\Scripts\Startup";
    private const string StateRoot = @"Microsoft\Windows\CurrentVersion\Group Policy\State\Machine\Scripts\Startup";
    private const string Nt5Root = @"Policies\Microsoft\Windows\System\Scripts\Startup";
    private const string LocalGpoName = "Local Group Policy";

    /// <summary>The Startup roots gpscript reads for this release (below the SOFTWARE hive).</summary>
    public static IReadOnlyList<string> Roots(WindowsRelease release) => release.Major >= 6 ? [ScriptsRoot, StateRoot] : [Nt5Root];

    /// <summary>The values that register <paramref name="script"/> as startup script number <paramref name="index"/> of the local GPO.</summary>
    public static IReadOnlyList<RegistryWrite> Writes(WindowsRelease release, FirstBootLayout layout, string script, int index)
    {
        // PowerShell scripts in GPOs (IsPowershell, PSScriptOrder) came with NT 6.1.
        var powershellAware = release.Major > 6 || (release.Major == 6 && release.Minor >= 1);
        var writes = new List<RegistryWrite>();
        foreach (var root in Roots(release))
        {
            var gpo = root + @"\0";
            writes.Add(new(Hive, gpo, "GPO-ID", RegValue.Sz("LocalGPO")));
            writes.Add(new(Hive, gpo, "SOM-ID", RegValue.Sz("Local")));
            writes.Add(new(Hive, gpo, "FileSysPath", RegValue.Sz(layout.MachineFolder)));
            writes.Add(new(Hive, gpo, "DisplayName", RegValue.Sz(LocalGpoName)));
            writes.Add(new(Hive, gpo, "GPOName", RegValue.Sz(LocalGpoName)));
            if (powershellAware)
            {
                writes.Add(new(Hive, gpo, "PSScriptOrder", RegValue.Dword(1)));
            }

            var entry = gpo + @"\" + index.ToString(CultureInfo.InvariantCulture);
            writes.Add(new(Hive, entry, "Script", RegValue.Sz(script)));
            writes.Add(new(Hive, entry, "Parameters", RegValue.Sz(string.Empty)));
            if (powershellAware)
            {
                writes.Add(new(Hive, entry, "IsPowershell", RegValue.Dword(0)));
            }

            // Windows stores ExecTime as 16 zero bytes typed REG_QWORD until the script has run.
            writes.Add(new(Hive, entry, "ExecTime", new RegValue(RegKind.Qword, new byte[16])));
        }

        return writes;
    }

    /// <summary>
    /// What the cleanup deletes, per root (below SOFTWARE): the key whose Script value must name our runner, and the key
    /// to delete then: our <c>0\N</c> entry, or the whole GPO key <c>0</c> when we created it (the guest had no startup
    /// script), so exactly what we added goes.
    /// </summary>
    public static IReadOnlyList<(string CheckKey, string DeleteKey)> CleanupKeys(WindowsRelease release, int index, int existingScripts) =>
        Roots(release).Select(r =>
        {
            var entry = r + @"\0\" + index.ToString(CultureInfo.InvariantCulture);
            return (entry, existingScripts == 0 ? r + @"\0" : entry);
        }).ToList();
}
