using System.CommandLine;
using System.Text.RegularExpressions;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;
using V2VConverter.TestSupport;

namespace V2VConverter.Cli.Tests;

/// <summary>The System.CommandLine tree: every option in its command's help, parse errors as exit 2, -v as a real option.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = RepoPaths.NewTempDir("v2v-cmdline");

    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string> CommandPaths()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in Walk(Root(), []))
        {
            data.Add(string.Join(' ', path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void Every_option_name_alias_and_subcommand_is_in_the_commands_help(string path)
    {
        var command = Walk(Root(), []).Single(c => string.Join(' ', c.Path) == path).Command;
        var words = path.Length == 0 ? [] : path.Split(' ');
        var help = CliRunner.Run(_dir, [.. words, "--help"]);
        Assert.Equal(ExitCodes.Success, help.ExitCode);
        var options = command.Options.Concat(Root().Options.Where(o => o.Recursive)).Where(o => !o.Hidden).ToList();
        Assert.NotEmpty(options);
        foreach (var option in options)
        {
            foreach (var name in option.Aliases.Prepend(option.Name))
            {
                Assert.True(Mentions(help.Out, name), $"'{path} --help' does not show {name}:\n{help.Out}");
            }
        }

        foreach (var sub in command.Subcommands)
        {
            Assert.True(Mentions(help.Out, sub.Name), $"'{path} --help' does not list the command {sub.Name}:\n{help.Out}");
        }
    }

    [Fact]
    public void The_tree_has_every_command_and_the_options_the_old_help_missed()
    {
        var all = Walk(Root(), []).ToDictionary(c => string.Join(' ', c.Path), c => c.Command);
        Assert.Equal(["", "completion", "convert", "disk", "disk convert", "disk info", "inspect", "inventory", "plan", "run", "status", "xml"], all.Keys.Order(StringComparer.Ordinal));
        string Names(string path) => string.Join(' ', all[path].Options.SelectMany(o => o.Aliases.Prepend(o.Name)));
        foreach (var path in new[] { "inspect", "xml", "convert" })
        {
            Assert.All(["--password-file", "--thumbprint", "--mappings-dir", "--vm", "-p", "-os", "-of", "--set", "-b", "-n"], n => Assert.Contains(n, Names(path).Split(' ')));
        }

        Assert.All(["--password-file", "--thumbprint", "--page-size"], n => Assert.Contains(n, Names("inventory").Split(' ')));
        Assert.All(["--allow-absolute-extents", "--ignore-cid", "-f", "--compression-level", "-O", "--cluster-size", "--preallocation", "--parallel", "--request-size"], n => Assert.Contains(n, Names("disk convert").Split(' ')));
        Assert.All(["--allow-absolute-extents", "--ignore-cid", "--fstab-style", "--allow-running", "--no-guest-fixups", "-c", "--machine-readable"], n => Assert.Contains(n, Names("convert").Split(' ')));
        Assert.All(["--allow-absolute-extents", "--ignore-cid", "--json"], n => Assert.Contains(n, Names("disk info").Split(' ')));
    }

    [Fact]
    public void Minus_v_given_as_an_options_value_reaches_that_option()
    {
        var vmx = Path.Combine(RepoPaths.Root, "samples", "workstation-demo", "demo.vmx");
        var o = new StringWriter();
        var context = new CliContext(o, new StringWriter(), _dir, new Dictionary<string, string?> { ["HOME"] = _dir });
        Assert.Equal(ExitCodes.Success, CommandLine.Run(["xml", vmx, "--bridge", "-v"], context));
        Assert.Contains("bridge=\"-v\"", o.ToString().Replace('\'', '"'));
        Assert.Equal(0, context.Verbosity);

        // --vm took "-v" as the VM name: the local .vmx then refuses --vm.
        var vm = CliRunner.Run(_dir, "xml", vmx, "--vm", "-v");
        Assert.Equal(ExitCodes.Usage, vm.ExitCode);
        Assert.Contains("--vm", vm.Err);
    }

    [Theory]
    [InlineData(0, new string[0])]
    [InlineData(1, new[] { "-v" })]
    [InlineData(1, new[] { "--verbose" })]
    [InlineData(2, new[] { "-vv" })]
    [InlineData(2, new[] { "-v", "-v" })]
    public void Verbosity_counts_v(int expected, string[] flags)
    {
        string[][] runs = [[.. flags, "disk", "info", "--help"], ["disk", "info", .. flags, "--help"]];
        foreach (var args in runs)
        {
            var context = new CliContext(new StringWriter(), new StringWriter(), _dir);
            Assert.Equal(ExitCodes.Success, CommandLine.Run(args, context));
            Assert.Equal(expected, context.Verbosity);
        }
    }

    [Theory]
    [InlineData("no-such-option", "xml", "a.vmx", "--no-such-option")]
    [InlineData("--frob", "disk", "convert", "a", "b", "--frob")]
    [InlineData("frobnicate", "frobnicate")]
    [InlineData("disk frob", "disk", "frob")]
    [InlineData("-of", "xml", "a.vmx", "-of", "vmdk")]
    [InlineData("-of", "convert", "a.vmx", "-os", "/tmp", "-of", "vmdk")]
    [InlineData("--fstab-style", "convert", "a.vmx", "--fstab-style", "label")]
    [InlineData("-o \"glance\": must be local", "convert", "a.vmx", "-o", "glance", "-os", "/tmp")]
    [InlineData("-O", "disk", "convert", "a", "b", "-O", "vdi")]
    [InlineData("--preallocation", "disk", "convert", "a", "b", "--preallocation", "some")]
    [InlineData("--compression-level", "disk", "convert", "a", "b", "--compression-level", "10")]
    [InlineData("--bridge", "xml", "a.vmx", "--bridge")]
    [InlineData("-of", "xml", "a.vmx", "-of", "raw", "-of", "qcow2")]
    [InlineData("X.vmx", "inspect")]
    [InlineData("--kvm-launch-timeout", "convert", "a.vmx", "-os", ".", "--kvm-launch-timeout", "0")]
    [InlineData("--kvm-launch-timeout", "inspect", "a.vmx", "--guest", "--kvm-launch-timeout", "1h")]
    [InlineData("passwords are not accepted", "inventory", "esx://h/", "--password", "secret")]
    [InlineData("passwords are not accepted", "convert", "-p", "a.vmx")]
    public void Parse_errors_are_one_line_and_exit_2(string mention, params string[] args)
    {
        var r = CliRunner.Run(_dir, args);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("v2v: error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(mention, lines[0], StringComparison.Ordinal);
        Assert.Equal("Run './v2v --help' for usage.", lines[1].TrimEnd());
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void No_arguments_print_the_help_and_exit_2()
    {
        foreach (var args in new[] { Array.Empty<string>(), ["-v"] })
        {
            var r = CliRunner.Run(_dir, args);
            Assert.Equal(ExitCodes.Usage, r.ExitCode);
            Assert.Contains("inventory", r.Out);
            Assert.Contains("Exit codes:", r.Out);
        }

        Assert.Equal(ExitCodes.Success, CliRunner.Run(_dir, "help").ExitCode);
        Assert.Contains("--fstab-style", CliRunner.Run(_dir, "help", "convert").Out);
        var version = CliRunner.Run(_dir, "--version");
        Assert.Equal(ExitCodes.Success, version.ExitCode);
        Assert.Matches(@"^v2v \d+\.\d+", version.Out);
    }

    [Fact]
    public void Completion_offers_commands_options_and_allowed_values()
    {
        static string Suggest(string dir, string line) => CliRunner.Run(dir, $"[suggest:{line.Length}]", line).Out;
        Assert.Equal(["qcow2", "raw"], Suggest(_dir, "convert a.vmx -of ").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("--fstab-style", Suggest(_dir, "convert a.vmx --fs"));
        Assert.Contains("vd", Suggest(_dir, "convert a.vmx --fstab-style "));
        Assert.Contains("falloc", Suggest(_dir, "disk convert a b --preallocation "));
        var script = CliRunner.Run(_dir, "completion", "bash");
        Assert.Equal(ExitCodes.Success, script.ExitCode);
        Assert.Contains("[suggest:", script.Out);
        Assert.Contains("complete -o default -F _v2v_complete v2v", script.Out);
    }

    private static RootCommand Root() => CommandLine.CreateRootCommand(new CliContext(TextWriter.Null, TextWriter.Null, "/"));

    private static IEnumerable<(IReadOnlyList<string> Path, Command Command)> Walk(Command command, IReadOnlyList<string> path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
        {
            foreach (var x in Walk(sub, [.. path, sub.Name]))
            {
                yield return x;
            }
        }
    }

    private static bool Mentions(string help, string name) =>
        Regex.IsMatch(help, $"(?<![\\w-]){Regex.Escape(name)}(?![\\w-])");
}
