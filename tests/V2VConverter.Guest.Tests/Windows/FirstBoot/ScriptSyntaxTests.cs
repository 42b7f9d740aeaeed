using System.Text.RegularExpressions;
using V2VConverter.Guest.Windows.FirstBoot;

namespace V2VConverter.Guest.Tests.Windows.FirstBoot;

/// <summary>
/// Cheap syntax checks of the generated scripts (pwsh is not installed here and must not be): balanced quotes and
/// brackets in the .ps1, balanced block keywords in the .vbs, paired double quotes on every .cmd line.
/// </summary>
public sealed partial class ScriptSyntaxTests
{
    [Theory]
    [InlineData("win10")]
    [InlineData("win7-32")]
    public void Ps1_has_balanced_quotes_and_brackets(string name)
    {
        var ps1 = FirstBootRender.Text(FirstBootPlanner.Build(FirstBootSamples.Get(name)), "04-static-ip.ps1");
        Assert.Null(PowerShellBalance(ps1));
        Assert.NotNull(PowerShellBalance(ps1.Replace("{ break }", "{ break ", StringComparison.Ordinal))); // the checker does catch a lost brace
        Assert.NotNull(PowerShellBalance(ps1 + "'"));
    }

    [Fact]
    public void Ps1_holds_every_config_with_normalised_mac()
    {
        var ps1 = FirstBootRender.Text(FirstBootPlanner.Build(FirstBootSamples.Win10Full), "04-static-ip.ps1");
        Assert.Contains("@{ Mac = '005056010A10'; Was = 'Ethernet0'; Addresses = @('192.168.10.20'); Masks = @('255.255.255.0'); Gateways = @('192.168.10.1'); Dns = @('192.168.10.2', '9.9.9.9') },", ps1, StringComparison.Ordinal);
        Assert.Contains("@{ Mac = '005056010A11'; Was = 'Ethernet1'; Addresses = @('10.0.0.5', '10.0.0.6'); Masks = @('255.0.0.0', '255.0.0.0'); Gateways = @(); Dns = @('10.0.0.1') }\r\n)", ps1, StringComparison.Ordinal);
        Assert.Contains("$deadline = (Get-Date).AddSeconds(300)", ps1, StringComparison.Ordinal);
        foreach (var call in new[] { "EnableStatic", "SetGateways", "SetDNSServerSearchOrder" })
        {
            Assert.Contains($"Write-Log ('{call} ", ps1, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Vbs_blocks_are_balanced_and_configs_called()
    {
        var vbs = FirstBootRender.Text(FirstBootPlanner.Build(FirstBootSamples.WinXpRequest), "04-static-ip.vbs");
        Assert.Null(VbsBalance(vbs));
        Assert.Contains("Configure \"005056010A10\", \"Ethernet0\", Array(\"192.168.10.20\"), Array(\"255.255.255.0\"), Array(\"192.168.10.1\"), Array(\"192.168.10.2\", \"9.9.9.9\")\r\n", vbs, StringComparison.Ordinal);
        Assert.EndsWith("WScript.Quit failed\r\n", vbs, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(FirstBootSamples.Names), MemberType = typeof(FirstBootSamples))]
    public void Cmd_lines_pair_their_quotes_and_use_no_lone_percent(string name)
    {
        var plan = FirstBootPlanner.Build(FirstBootSamples.Get(name));
        foreach (var f in plan.Files.Where(f => f.GuestPath.EndsWith(".cmd", StringComparison.Ordinal)))
        {
            var text = FirstBootRender.Decode(f).Text;
            Assert.StartsWith("@echo off\r\n", text, StringComparison.Ordinal);
            Assert.Contains("setlocal enableextensions", text, StringComparison.Ordinal);
            foreach (var line in text.Split("\r\n"))
            {
                Assert.True(line.Count(c => c == '"') % 2 == 0, $"{f.GuestPath}: odd quotes in: {line}");

                // Every % is a variable (%X%), an argument (%1, %~1, %~fd), a for variable (%%d) or an escaped %%.
                Assert.True(PercentUse().Replace(line, string.Empty).IndexOf('%', StringComparison.Ordinal) < 0, $"{f.GuestPath}: stray % in: {line}");
            }
        }
    }

    /// <summary>Null when quotes ('' escapes, "..." with backtick escapes), comments and ([{ }]) balance; else the problem.</summary>
    private static string? PowerShellBalance(string text)
    {
        var stack = new Stack<char>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '#':
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }

                    break;
                case '\'':
                    i++;
                    while (i < text.Length && !(text[i] == '\'' && (i + 1 >= text.Length || text[i + 1] != '\'')))
                    {
                        i += text[i] == '\'' ? 2 : 1;
                    }

                    if (i >= text.Length)
                    {
                        return "unterminated single-quoted string";
                    }

                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        i += text[i] == '`' ? 2 : 1;
                    }

                    if (i >= text.Length)
                    {
                        return "unterminated double-quoted string";
                    }

                    break;
                case '(' or '[' or '{':
                    stack.Push(c);
                    break;
                case ')' or ']' or '}':
                    var open = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (stack.Count == 0 || stack.Pop() != open)
                    {
                        return $"unbalanced '{c}' at {i}";
                    }

                    break;
            }
        }

        return stack.Count == 0 ? null : $"{stack.Count} bracket(s) left open";
    }

    /// <summary>Null when Sub/Function/For/Do/block If close in order and every line pairs its double quotes.</summary>
    private static string? VbsBalance(string text)
    {
        var stack = new Stack<string>();
        foreach (var raw in text.Split("\r\n"))
        {
            var line = raw.Trim();
            if (line.StartsWith('\''))
            {
                continue;
            }

            if (line.Count(c => c == '"') % 2 != 0)
            {
                return "odd quotes: " + line;
            }

            var close = line switch
            {
                _ when line.StartsWith("End Sub", StringComparison.Ordinal) => "Sub",
                _ when line.StartsWith("End Function", StringComparison.Ordinal) => "Function",
                _ when line.StartsWith("End If", StringComparison.Ordinal) => "If",
                _ when line == "Next" => "For",
                _ when line == "Loop" => "Do",
                _ => null,
            };
            if (close is not null)
            {
                if (stack.Count == 0 || stack.Pop() != close)
                {
                    return "unexpected " + line;
                }

                continue;
            }

            if (line.StartsWith("Sub ", StringComparison.Ordinal) || line.StartsWith("Function ", StringComparison.Ordinal) || line.StartsWith("For ", StringComparison.Ordinal) || line.StartsWith("Do ", StringComparison.Ordinal))
            {
                stack.Push(line.Split(' ')[0]);
            }
            else if (line.StartsWith("If ", StringComparison.Ordinal) && line.EndsWith(" Then", StringComparison.Ordinal))
            {
                stack.Push("If");
            }
        }

        return stack.Count == 0 ? null : "unclosed " + string.Join(", ", stack);
    }

    [GeneratedRegex(@"%%~?f?[a-z]|%~f?[0-9a-z]|%[0-9]|%[A-Z]+%", RegexOptions.CultureInvariant)]
    private static partial Regex PercentUse();
}
