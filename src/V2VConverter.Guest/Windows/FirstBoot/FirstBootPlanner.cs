using System.Text;
using Serilog;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// Plans Windows' first boot after conversion without third-party binaries: <c>firstboot.cmd</c> is registered as a
/// machine startup script of the local Group Policy object (scripts.ini, gpt.ini and the registry mirror the Scripts
/// extension keeps), runs as SYSTEM before logon on Windows 2000/XP through 11 / Server 2025, runs the numbered steps
/// once each, and its last step restores the guest's own startup scripts exactly as they were.
/// </summary>
public static class FirstBootPlanner
{
    /// <summary>The runner's file name in the Firstboot folder.</summary>
    public const string RunnerName = "firstboot.cmd";

    /// <summary>Builds the plan. Throws <see cref="ArgumentException"/> for unusable request values,
    /// <see cref="InvalidDataException"/> for malformed existing scripts.ini / gpt.ini text, and
    /// <see cref="NotSupportedException"/> for a SystemRoot off C: or a non-ASCII gpt.ini.</summary>
    public static FirstBootPlan Build(FirstBootRequest request) => Build(request, LogExtensions.None);

    /// <summary>Builds the plan as <see cref="Build(FirstBootRequest)"/> does and logs each decision to <paramref name="log"/>.</summary>
    public static FirstBootPlan Build(FirstBootRequest request, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Release);
        var release = request.Release;
        var layout = FirstBootLayout.For(request.SystemRoot, release.Major);
        var index = request.ExistingStartupScripts;
        if (index < 0 || index > GpoIniFiles.MaxScriptIndex)
        {
            throw new ArgumentException($"ExistingStartupScripts {index} is outside 0..{GpoIniFiles.MaxScriptIndex}", nameof(request));
        }

        var steps = new List<FirstBootStep>();
        if (request.DriverFolder is not null)
        {
            if (StepScripts.Drivers(release, layout, ScriptText.CheckPath(request.DriverFolder, nameof(request.DriverFolder))) is { } drivers)
            {
                steps.Add(drivers);
            }
            else
            {
                log.Info($"first boot: no driver step on NT {release.Major}.{release.Minor} (no pnputil; Windows binds the staged drivers itself)");
            }
        }

        if (request.GuestAgentMsi is not null)
        {
            steps.Add(StepScripts.GuestAgent(layout, ScriptText.CheckPath(request.GuestAgentMsi, nameof(request.GuestAgentMsi))));
        }

        if (request.VmwareToolsProductCodes is { Count: > 0 } codes)
        {
            steps.Add(StepScripts.RemoveVmwareTools(layout, codes));
        }

        if (request.StaticIps is { Count: > 0 } ips)
        {
            var powershell = release.Major > 6 || (release.Major == 6 && release.Minor >= 1);
            steps.Add(StaticIpScripts.Build(powershell, ips));
            log.Info($"first boot: {ips.Count} static IP configuration(s) restored by {(powershell ? "PowerShell" : "VBScript (no PowerShell before NT 6.1)")}");
        }

        var keys = GpoStartupRegistry.CleanupKeys(release, index, request.ExistingStartupScripts);
        steps.Add(RunnerScripts.Cleanup(layout, request.ExistingScriptsIni is not null, request.ExistingGptIni is not null, keys));

        var files = new List<GuestFile>();
        foreach (var step in steps)
        {
            files.Add(new(layout.ToGuest(layout.Folder + @"\" + step.FileName), step.Script.ToAscii()));
        }

        files.Add(new(layout.ToGuest(layout.Runner), RunnerScripts.Runner(layout, steps).ToAscii()));
        var (scriptsIni, iniIndex) = GpoIniFiles.AddStartupScript(request.ExistingScriptsIni, layout.Runner, string.Empty);
        if (iniIndex != index)
        {
            // The Scripts extension rebuilds the registry from scripts.ini when gpt.ini's version moves; the cleanup
            // then finds our entry by its Script value only if the numbers agree.
            log.Warn($"first boot: scripts.ini has our startup script as number {iniIndex} but the registry as {index}; if Group Policy renumbers it, the cleanup leaves our registry entry until Group Policy rebuilds it from the restored scripts.ini at the next boot");
        }

        var gptIni = GpoIniFiles.RegisterScripts(request.ExistingGptIni);
        if (request.ExistingScriptsIni is not null)
        {
            files.Add(new(layout.ToGuest(layout.OrigFolder + @"\scripts.ini"), Utf16WithBom(request.ExistingScriptsIni)));
        }

        if (request.ExistingGptIni is not null)
        {
            files.Add(new(layout.ToGuest(layout.OrigFolder + @"\gpt.ini"), Ascii(request.ExistingGptIni)));
        }

        files.Add(new(layout.ToGuest(layout.ScriptsIni), Utf16WithBom(scriptsIni)));
        files.Add(new(layout.ToGuest(layout.GptIni), Ascii(gptIni)));

        log.Info($"first boot: {layout.Runner} registered as local Group Policy startup script {index}, steps: {string.Join(", ", steps.Select(st => st.FileName))}; log {layout.LogPath}");
        return new FirstBootPlan(
            files,
            GpoStartupRegistry.Writes(release, layout, layout.Runner, index),
            steps.Select(s => s.Name).ToList(),
            layout.LogPath);
    }

    /// <summary>scripts.ini as Windows writes it: UTF-16LE with a byte order mark.</summary>
    private static byte[] Utf16WithBom(string text) => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text.TrimStart('\uFEFF'))];

    private static byte[] Ascii(string text)
    {
        var bad = text.AsSpan().IndexOfAnyExceptInRange('\0', '\x7f');
        if (bad >= 0)
        {
            throw new NotSupportedException($"gpt.ini holds the non-ASCII character U+{(int)text[bad]:X4} at {bad}; only ASCII gpt.ini files are rewritten");
        }

        return Encoding.ASCII.GetBytes(text);
    }
}
