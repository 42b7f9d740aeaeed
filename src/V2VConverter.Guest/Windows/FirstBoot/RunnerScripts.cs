namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// <c>firstboot.cmd</c>, the registered startup script, and <c>99-cleanup.cmd</c>, its last step.
/// </summary>
internal static class RunnerScripts
{
    /// <summary>
    /// Runs each step once, in order: a step whose marker <c>done\NN-name.done</c> exists is skipped, so a reboot in the
    /// middle resumes at the first unfinished step. Each step's output and a timestamped exit-code line go to the log;
    /// a failed step is logged and marked done like any other, and the runner always exits 0 (the boot goes on).
    /// </summary>
    public static ScriptText Runner(FirstBootLayout layout, IReadOnlyList<FirstBootStep> steps)
    {
        var s = StepScripts.Header("runs each step once and logs it; registered as a local Group Policy startup script")
            .Line($@"set ""FB={layout.Folder}""")
            .Line($@"set ""LOG={layout.LogPath}""")
            .Line($@"cd /d ""{layout.LogFolder}""")
            .Line(@"if not exist ""%FB%\done"" mkdir ""%FB%\done""")
            .Line(@">>""%LOG%"" echo %DATE% %TIME% firstboot: start");
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var skip = $"skip{i}";
            var next = $"next{i}";
            s.Line()
             .Line($@"if exist ""%FB%\done\{step.Marker}"" goto {skip}")
             .Line($@">>""%LOG%"" echo %DATE% %TIME% {step.FileName}: start")
             .Line(Invocation(layout, step.FileName) + @" <nul >>""%LOG%"" 2>&1")
             .Line($"call :finished {Path.GetFileNameWithoutExtension(step.FileName)} %ERRORLEVEL%")
             .Line($"goto {next}")
             .Line($":{skip}")
             .Line($@">>""%LOG%"" echo %DATE% %TIME% {step.FileName}: done at an earlier boot, skipped")
             .Line($":{next}");
        }

        return s.Line()
            .Line(@">>""%LOG%"" echo %DATE% %TIME% firstboot: end")
            .Line("exit /b 0")
            .Line()
            .Line(":finished")
            .Line(@">>""%LOG%"" echo %DATE% %TIME% %1: exit code %2")
            .Line(@">""%FB%\done\%1.done"" echo %2")
            .Line("goto :eof");
    }

    /// <summary>
    /// Restores scripts.ini and gpt.ini as they were (or deletes them when there were none), deletes our registry keys
    /// (each only if its Script value is our runner), then deletes the Firstboot folder from a detached cmd a few seconds
    /// later, once the runner has written its last marker and exited. The log stays.
    /// </summary>
    public static FirstBootStep Cleanup(FirstBootLayout layout, bool hadScriptsIni, bool hadGptIni, IReadOnlyList<(string CheckKey, string DeleteKey)> keys)
    {
        var s = StepScripts.Header("removes the first-boot registration and files (the log stays)")
            .Line("set \"RC=0\"");
        Restore(s, layout.ScriptsIni, hadScriptsIni ? layout.OrigFolder + @"\scripts.ini" : null);
        Restore(s, layout.GptIni, hadGptIni ? layout.OrigFolder + @"\gpt.ini" : null);
        foreach (var (check, delete) in keys)
        {
            var checkKey = $@"HKLM\{GpoStartupRegistry.Hive}\{check}";
            var deleteKey = $@"HKLM\{GpoStartupRegistry.Hive}\{delete}";
            s.Line($@"reg query ""{checkKey}"" /v Script 2>nul | find /i ""{layout.Runner}"" >nul")
             .Line($@"if errorlevel 1 (echo {checkKey} does not name our runner, left alone) else (reg delete ""{deleteKey}"" /f || set ""RC=1"")");
        }

        return new("99-cleanup.cmd", "clean up the first-boot registration", s
            .Line($@"cd /d ""{layout.LogFolder}""")
            .Line($@"echo deleting {layout.Folder} in a few seconds")
            .Line($@"start """" /b cmd /d /c ""ping -n 4 127.0.0.1 >nul & rd /s /q ""{layout.Folder}""""")
            .Line("exit /b %RC%"));
    }

    private static void Restore(ScriptText s, string target, string? original)
    {
        s.Line($@"if exist ""{target}"" attrib -r -s -h ""{target}""");
        if (original is null)
        {
            s.Line($"echo deleting {target}, which did not exist before")
             .Line($@"if exist ""{target}"" del /f /q ""{target}"" || set ""RC=1""");
        }
        else
        {
            s.Line($"echo restoring {target}")
             .Line($@"copy /y ""{original}"" ""{target}"" >nul || set ""RC=1""");
        }
    }

    private static string Invocation(FirstBootLayout layout, string fileName)
    {
        var path = $@"""%FB%\{fileName}""";
        return Path.GetExtension(fileName) switch
        {
            ".cmd" => $@"cmd /d /c ""{path}""",
            ".ps1" => $@"""{layout.SystemRoot}\{layout.System32}\WindowsPowerShell\v1.0\powershell.exe"" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File {path}",
            ".vbs" => $@"""{layout.SystemRoot}\{layout.System32}\cscript.exe"" //nologo {path}",
            _ => throw new ArgumentException($"no way to run step {fileName}", nameof(fileName)),
        };
    }
}
