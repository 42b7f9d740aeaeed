using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace V2VConverter.Guest.Windows.FirstBoot;

/// <summary>
/// The step that re-applies each NIC's static IPv4 configuration to the adapter with the same MAC, through WMI
/// <c>Win32_NetworkAdapterConfiguration</c> (<c>EnableStatic</c>, <c>SetGateways</c>, <c>SetDNSServerSearchOrder</c>):
/// a PowerShell 2.0-compatible script on NT 6.1 and later, the same calls in VBScript (cscript) before. It waits up to
/// <see cref="WaitSeconds"/> in all for the adapters to appear, logs every adapter and every return code, and exits with
/// the number of configurations that failed.
/// </summary>
internal static partial class StaticIpScripts
{
    public const int WaitSeconds = 300;

    public const int PollSeconds = 5;

    public static FirstBootStep Build(bool powershell, IReadOnlyList<StaticIpConfig> configs)
    {
        var checkedConfigs = configs.Select(Check).ToList();
        return powershell
            ? new("04-static-ip.ps1", "restore static IP configuration", PowerShell(checkedConfigs))
            : new("04-static-ip.vbs", "restore static IP configuration", VbScript(checkedConfigs));
    }

    private static ScriptText PowerShell(IReadOnlyList<CheckedConfig> configs)
    {
        static string List(IReadOnlyList<string> items) => "@(" + string.Join(", ", items.Select(i => $"'{i}'")) + ")";
        var s = new ScriptText()
            .Line("# V2VConverter first boot: re-applies static IP configurations to the adapters with the same MAC (PowerShell 2.0+).")
            .Line("$ErrorActionPreference = 'Continue'")
            .Line("function Write-Log([string]$Text) { Write-Output ((Get-Date -Format 'yyyy-MM-dd HH:mm:ss') + ' static-ip: ' + $Text) }")
            .Line("function Get-NormalMac([string]$Mac) { return ($Mac -replace '[^0-9A-Fa-f]', '').ToUpperInvariant() }")
            .Line("$configs = @(");
        for (var i = 0; i < configs.Count; i++)
        {
            var c = configs[i];
            s.Line($"    @{{ Mac = '{c.Mac}'; Was = '{c.Was.Replace("'", "''", StringComparison.Ordinal)}'; Addresses = {List(c.Addresses)}; Masks = {List(c.Masks)}; Gateways = {List(c.Gateways)}; Dns = {List(c.Dns)} }}{(i < configs.Count - 1 ? "," : string.Empty)}");
        }

        return s.Line(")")
            .Line($"$deadline = (Get-Date).AddSeconds({WaitSeconds})")
            .Line("$failed = 0")
            .Line("foreach ($c in $configs) {")
            .Line("    Write-Log ('looking for the adapter with MAC ' + $c.Mac + ' (was ' + $c.Was + ')')")
            .Line("    $nic = $null")
            .Line("    while ($true) {")
            .Line("        $all = @(Get-WmiObject -Class Win32_NetworkAdapterConfiguration | Where-Object { $_.MACAddress })")
            .Line("        foreach ($a in $all) { if ((Get-NormalMac $a.MACAddress) -eq $c.Mac) { $nic = $a } }")
            .Line("        if (($nic -ne $null) -or ((Get-Date) -ge $deadline)) { break }")
            .Line($"        Start-Sleep -Seconds {PollSeconds}")
            .Line("    }")
            .Line("    foreach ($a in $all) { Write-Log ('adapter ' + $a.Index + ' ' + $a.MACAddress + ' ' + $a.Description) }")
            .Line("    if ($nic -eq $null) {")
            .Line($"        Write-Log ('no adapter with MAC ' + $c.Mac + ' within {WaitSeconds} s; not configured')")
            .Line("        $failed++")
            .Line("        continue")
            .Line("    }")
            .Line("    $r = $nic.EnableStatic([string[]]$c.Addresses, [string[]]$c.Masks)")
            .Line("    Write-Log ('EnableStatic ' + ($c.Addresses -join ',') + ' returned ' + $r.ReturnValue)")
            .Line("    if ($r.ReturnValue -gt 1) { $failed++ }")
            .Line("    if ($c.Gateways.Count -gt 0) {")
            .Line("        $metrics = [uint16[]]@($c.Gateways | ForEach-Object { 1 })")
            .Line("        $r = $nic.SetGateways([string[]]$c.Gateways, $metrics)")
            .Line("        Write-Log ('SetGateways ' + ($c.Gateways -join ',') + ' returned ' + $r.ReturnValue)")
            .Line("        if ($r.ReturnValue -gt 1) { $failed++ }")
            .Line("    }")
            .Line("    if ($c.Dns.Count -gt 0) {")
            .Line("        $r = $nic.SetDNSServerSearchOrder([string[]]$c.Dns)")
            .Line("        Write-Log ('SetDNSServerSearchOrder ' + ($c.Dns -join ',') + ' returned ' + $r.ReturnValue)")
            .Line("        if ($r.ReturnValue -gt 1) { $failed++ }")
            .Line("    }")
            .Line("}")
            .Line("exit $failed");
    }

    private static ScriptText VbScript(IReadOnlyList<CheckedConfig> configs)
    {
        static string List(IReadOnlyList<string> items) => "Array(" + string.Join(", ", items.Select(i => $"\"{i}\"")) + ")";
        var s = new ScriptText()
            .Line("' V2VConverter first boot: re-applies static IP configurations to the adapters with the same MAC (cscript).")
            .Line("Option Explicit")
            .Line("Dim wmi, failed, deadline")
            .Line("Set wmi = GetObject(\"winmgmts:{impersonationLevel=impersonate}!\\\\.\\root\\cimv2\")")
            .Line("failed = 0")
            .Line($"deadline = DateAdd(\"s\", {WaitSeconds}, Now())")
            .Line()
            .Line("Sub WriteLog(text)")
            .Line("    WScript.Echo Now() & \" static-ip: \" & text")
            .Line("End Sub")
            .Line()
            .Line("Function NormalMac(mac)")
            .Line("    Dim i, ch, result")
            .Line("    result = \"\"")
            .Line("    For i = 1 To Len(mac)")
            .Line("        ch = UCase(Mid(mac, i, 1))")
            .Line("        If InStr(\"0123456789ABCDEF\", ch) > 0 Then result = result & ch")
            .Line("    Next")
            .Line("    NormalMac = result")
            .Line("End Function")
            .Line()
            .Line("Function FindAdapter(mac, logAll)")
            .Line("    Dim items, item")
            .Line("    Set FindAdapter = Nothing")
            .Line("    Set items = wmi.ExecQuery(\"SELECT * FROM Win32_NetworkAdapterConfiguration\")")
            .Line("    For Each item In items")
            .Line("        If Not IsNull(item.MACAddress) Then")
            .Line("            If logAll Then WriteLog \"adapter \" & item.Index & \" \" & item.MACAddress & \" \" & item.Description")
            .Line("            If NormalMac(item.MACAddress) = mac Then Set FindAdapter = item")
            .Line("        End If")
            .Line("    Next")
            .Line("End Function")
            .Line()
            .Line("Sub Check(what, rc)")
            .Line("    WriteLog what & \" returned \" & rc")
            .Line("    If rc > 1 Then failed = failed + 1")
            .Line("End Sub")
            .Line()
            .Line("Sub Configure(mac, was, addresses, masks, gateways, dns)")
            .Line("    Dim nic, i")
            .Line("    Dim metrics()")
            .Line("    WriteLog \"looking for the adapter with MAC \" & mac & \" (was \" & was & \")\"")
            .Line("    Set nic = FindAdapter(mac, False)")
            .Line("    Do While nic Is Nothing")
            .Line("        If Now() >= deadline Then Exit Do")
            .Line($"        WScript.Sleep {PollSeconds * 1000}")
            .Line("        Set nic = FindAdapter(mac, False)")
            .Line("    Loop")
            .Line("    Set nic = FindAdapter(mac, True)")
            .Line("    If nic Is Nothing Then")
            .Line($"        WriteLog \"no adapter with MAC \" & mac & \" within {WaitSeconds} s; not configured\"")
            .Line("        failed = failed + 1")
            .Line("        Exit Sub")
            .Line("    End If")
            .Line("    Check \"EnableStatic \" & Join(addresses, \",\"), nic.EnableStatic(addresses, masks)")
            .Line("    If UBound(gateways) >= 0 Then")
            .Line("        ReDim metrics(UBound(gateways))")
            .Line("        For i = 0 To UBound(gateways)")
            .Line("            metrics(i) = 1")
            .Line("        Next")
            .Line("        Check \"SetGateways \" & Join(gateways, \",\"), nic.SetGateways(gateways, metrics)")
            .Line("    End If")
            .Line("    If UBound(dns) >= 0 Then")
            .Line("        Check \"SetDNSServerSearchOrder \" & Join(dns, \",\"), nic.SetDNSServerSearchOrder(dns)")
            .Line("    End If")
            .Line("End Sub")
            .Line();
        foreach (var c in configs)
        {
            s.Line($"Configure \"{c.Mac}\", \"{c.Was.Replace("\"", "\"\"", StringComparison.Ordinal)}\", {List(c.Addresses)}, {List(c.Masks)}, {List(c.Gateways)}, {List(c.Dns)}");
        }

        return s.Line("WScript.Quit failed");
    }

    private static CheckedConfig Check(StaticIpConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var mac = HexOnly().Replace(c.Mac ?? string.Empty, string.Empty).ToUpperInvariant();
        if (mac.Length != 12 || !MacPattern().IsMatch(c.Mac ?? string.Empty))
        {
            throw new ArgumentException($"static IP MAC \"{c.Mac}\" is not a MAC address such as 00:50:56:01:0a:10", nameof(c));
        }

        var addresses = Ipv4List(c.Addresses, mac, "address");
        var masks = Ipv4List(c.SubnetMasks, mac, "subnet mask");
        if (addresses.Count == 0 || addresses.Count != masks.Count)
        {
            throw new ArgumentException($"static IP for {c.Mac}: {addresses.Count} address(es) and {masks.Count} subnet mask(s); EnableStatic needs one mask per address and at least one", nameof(c));
        }

        var was = ScriptText.Printable(c.OldConnectionName ?? "unknown");
        return new CheckedConfig(mac, was, addresses, masks, Ipv4List(c.Gateways, mac, "gateway"), Ipv4List(c.DnsServers, mac, "DNS server"));
    }

    private static List<string> Ipv4List(IReadOnlyList<string>? items, string mac, string what) =>
        (items ?? []).Select(a => IPAddress.TryParse(a, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && a.Count(ch => ch == '.') == 3
            ? ip.ToString()
            : throw new ArgumentException($"static IP for {mac}: {what} \"{a}\" is not a dotted IPv4 address", nameof(items))).ToList();

    private sealed record CheckedConfig(string Mac, string Was, IReadOnlyList<string> Addresses, IReadOnlyList<string> Masks, IReadOnlyList<string> Gateways, IReadOnlyList<string> Dns);

    [GeneratedRegex("[^0-9A-Fa-f]", RegexOptions.CultureInvariant)]
    private static partial Regex HexOnly();

    [GeneratedRegex(@"^[0-9A-Fa-f]{2}(?:[:\-]?[0-9A-Fa-f]{2}){5}$", RegexOptions.CultureInvariant)]
    private static partial Regex MacPattern();
}
