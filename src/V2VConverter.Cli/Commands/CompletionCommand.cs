using System.CommandLine;
using V2VConverter.Cli.Infrastructure;
using V2VConverter.Model.Diagnostics;

namespace V2VConverter.Cli.Commands;

/// <summary>
/// <c>v2v completion bash</c>: a bash completion script. It asks v2v itself through System.CommandLine's
/// <c>[suggest:N]</c> directive, so the commands, options and allowed values offered are those of the definitions.
/// </summary>
internal static class CompletionCommand
{
    public const string BashScript = """
        # v2v bash completion: eval "$(./v2v completion bash)"
        _v2v_complete()
        {
            local line="${COMP_LINE:0:COMP_POINT}"
            local args="${line#"${COMP_WORDS[0]}"}"
            args="${args# }"
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#args}]" "$args" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _v2v_complete v2v ./v2v

        """;

    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "the shell (bash)" };
        shell.CompletionSources.Add("bash");
        shell.Validators.Add(r =>
        {
            if (r.Tokens is [{ Value: not "bash" } token])
            {
                r.AddError($"completion \"{token.Value}\": only bash is supported");
            }
        });
        var command = new Command("completion", "Print a shell completion script: eval \"$(./v2v completion bash)\".") { shell };
        command.SetAction(_ =>
        {
            context.Out.Write(BashScript);
            return ExitCodes.Success;
        });
        return command;
    }
}
