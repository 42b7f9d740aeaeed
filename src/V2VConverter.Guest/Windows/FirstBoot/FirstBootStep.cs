namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>One numbered first-boot step: its file in the Firstboot folder, a human name, and its script text.</summary>
internal sealed record FirstBootStep(string FileName, string Name, ScriptText Script)
{
    /// <summary>The marker file name (<c>01-install-drivers.done</c>) the runner writes when the step has finished.</summary>
    public string Marker => Path.GetFileNameWithoutExtension(FileName) + ".done";
}
