using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace V2VConverter.Cli.Infrastructure;

/// <summary>
/// Builders for the options of the command definitions: the name, aliases, value name and description given once
/// serve parsing, <c>--help</c> and shell completion alike.
/// </summary>
internal static class CliOptions
{
    /// <summary>A switch: <c>--json</c>.</summary>
    public static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description };

    /// <summary>One value, given at most once: <c>--config FILE</c>.</summary>
    public static Option<string> Value(string name, string helpName, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, HelpName = helpName };

    /// <summary>One value per occurrence, repeatable: <c>--set K=V --set K2=V2</c>.</summary>
    public static Option<string[]> Repeatable(string name, string helpName, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, HelpName = helpName };

    /// <summary>One of <paramref name="allowed"/>, compared without case and returned in lower case; help shows <c>a|b</c> and completion offers them.</summary>
    public static Option<string> OneOf(string name, string[] aliases, string description, params string[] allowed)
    {
        var option = new Option<string>(name, aliases)
        {
            Description = description,
            HelpName = string.Join('|', allowed),
            CustomParser = r => r.Tokens.Count == 0 ? null : r.Tokens[0].Value.ToLowerInvariant(),
        };
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !allowed.Contains(r.Tokens[0].Value.ToLowerInvariant(), StringComparer.Ordinal))
            {
                var choices = allowed.Length == 1 ? allowed[0] : $"{string.Join(", ", allowed[..^1])} or {allowed[^1]}";
                r.AddError($"{Given(r)} \"{r.Tokens[0].Value}\": must be {choices}");
            }
        });
        return option;
    }

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>; anything else is a usage error naming the option.</summary>
    public static Option<int?> Number(string name, string helpName, string description, int min, int max, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 0 ? "" : r.Tokens[0].Value;
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
                {
                    return n;
                }

                r.AddError($"{Given(r)} needs a whole number {min}..{max}, not \"{text}\"");
                return null;
            },
        };

    /// <summary>A byte count like <c>65536</c>, <c>64K</c> or <c>2M</c> that fits an <see cref="int"/>.</summary>
    public static Option<int?> Size(string name, string description, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = "N[K|M]",
            CustomParser = r =>
            {
                var text = r.Tokens.Count == 0 ? "" : r.Tokens[0].Value;
                if (TryParseSize(text) is { } n)
                {
                    return n;
                }

                r.AddError($"{Given(r)} needs a size like 65536, 64K or 2M, not \"{text}\"");
                return null;
            },
        };

    public static int? TryParseSize(string text)
    {
        var t = text.Trim();
        long mult = 1;
        if (t.Length > 0 && char.IsLetter(t[^1]))
        {
            mult = char.ToUpperInvariant(t[^1]) switch
            {
                'K' => 1024,
                'M' => 1024 * 1024,
                'B' => 1,
                _ => 0,
            };
            t = t[..^1];
        }

        return mult != 0 && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n * mult <= int.MaxValue
            ? (int)(n * mult)
            : null;
    }

    /// <summary>The option as the user wrote it (<c>-of</c> or <c>--output-format</c>), for messages.</summary>
    private static string Given(ArgumentResult r) =>
        (r.Parent as OptionResult)?.IdentifierToken?.Value ?? r.Argument.Name;

    private static string Given(OptionResult r) => r.IdentifierToken?.Value ?? r.Option.Name;
}

/// <summary>
/// An option that exists only to be refused with a message, e.g. <c>--password</c>: a password on the command line
/// would show in <c>ps</c> and in the shell history. It takes an optional value so that <c>--password X</c> is
/// refused with the message rather than with a parse error about <c>X</c>.
/// </summary>
internal sealed class RefusedOption : Option<string>
{
    public RefusedOption(string name, string refusal, params string[] aliases)
        : base(name, aliases)
    {
        Refusal = refusal;
        Arity = ArgumentArity.ZeroOrOne;
        HelpName = "refused";
        Description = "refused: " + refusal;
    }

    public string Refusal { get; }
}
