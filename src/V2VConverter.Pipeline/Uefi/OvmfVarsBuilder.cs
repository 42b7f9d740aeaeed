using System.Diagnostics;
using System.Text.Json;
using Serilog;
using V2VConverter.Formats.Nvram;
using V2VConverter.Model.Diagnostics;
using V2VConverter.Model.IO;
using V2VConverter.Model.Vm;

namespace V2VConverter.Pipeline.Uefi;

/// <summary>
/// Carries the boot entries of VMware's NVRAM into the new domain's own OVMF variable store: the store is made from the OVMF
/// template by <c>virt-fw-vars</c> (Debian's python3-virt-firmware; bookworm-backports on Debian 12), with each file entry's
/// load option in its portable short form (<see cref="UefiBootEntry.PortableLoadOption"/>) and BootOrder. No variable-store
/// writer of our own: without the tool, nothing is carried and the guest boots through the ESP's fallback loader.
/// </summary>
public static class OvmfVarsBuilder
{
    public const string Tool = "virt-fw-vars";

    /// <summary>Bound on the store read back (OVMF's are 128 KiB or 528 KiB).</summary>
    public const long MaxStoreBytes = 16L << 20;

    /// <summary>How long the tool may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The new store's bytes, or null (with the reason logged) when there is nothing to carry, no template, or no tool.
    /// A tool that fails is a warning, not an error: the fallback loader still boots the guest.
    /// </summary>
    public static byte[]? Build(string? template, UefiBootState boot, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(boot);
        ArgumentNullException.ThrowIfNull(log);
        var carried = boot.Ordered.Where(e => e.PortableLoadOption is not null && e.LoadsFile).ToList();
        if (carried.Count == 0)
        {
            log.Info($"uefi: {boot.Origin} has no boot entry for a file on a disk partition; nothing to carry into the domain's variable store");
            return null;
        }

        if (template is null || !File.Exists(template))
        {
            log.Info($"uefi: the OVMF variable store template {template ?? "(none in the firmware mapping)"} is not on this host; the boot entries are not carried");
            return null;
        }

        if (HostProgram.Find(Tool) is not { } tool)
        {
            log.Info($"uefi: {Tool} (package python3-virt-firmware) is not installed, so the boot entries are not carried into the domain's variable store; the EFI system partition's fallback loader boots the guest");
            return null;
        }

        var dir = Directory.CreateTempSubdirectory("v2v-vars-");
        try
        {
            var json = Path.Combine(dir.FullName, "boot.json");
            var output = Path.Combine(dir.FullName, "VARS.fd");
            File.WriteAllText(json, Json(carried));
            var (code, stderr) = Run(tool, ["--input", template, "--output", output, "--set-json", json], ct);
            if (code != 0 || !File.Exists(output))
            {
                log.Warn($"uefi: {Tool} could not write the domain's variable store (exit {code}: {LastLine(stderr)}); the boot entries are not carried, the fallback loader boots the guest");
                return null;
            }

            var bytes = InputFile.ReadAllBytes(output, MaxStoreBytes);
            log.Info($"uefi: carried {string.Join(", ", carried.Select(e => $"{e.Name} \"{e.Description}\" {e.FilePath}"))} and BootOrder {string.Join(",", carried.Select(e => e.Number.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)))} into a variable store made from {template} by {Tool}");
            return bytes;
        }
        finally
        {
            dir.Delete(true);
        }
    }

    /// <summary>virt-fw-vars' JSON variable list: Boot#### in order, then BootOrder (NV+BS+RT).</summary>
    public static string Json(IReadOnlyList<UefiBootEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        const int attributes = 7;
        var global = VmwareNvram.EfiGlobalVariable.ToString();
        var order = entries.SelectMany(e => new[] { (byte)e.Number, (byte)(e.Number >> 8) }).ToArray();
        var variables = entries.Select(e => new { name = e.Name, guid = global, attr = attributes, data = Convert.ToHexStringLower(e.PortableLoadOption!) })
            .Append(new { name = "BootOrder", guid = global, attr = attributes, data = Convert.ToHexStringLower(order) });
        return JsonSerializer.Serialize(new { version = 2, variables });
    }

    private static (int Code, string StdErr) Run(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new IOException($"could not start {tool}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        try
        {
            p.WaitForExitAsync(deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            return (-1, $"no answer after {Timeout.TotalSeconds:F0} s");
        }

        _ = stdout.GetAwaiter().GetResult();
        return (p.ExitCode, stderr.GetAwaiter().GetResult());
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no message";
}
